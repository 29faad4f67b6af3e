package store

import (
	"strings"
	"unicode/utf8"
)

// Body text beyond these lengths (in characters) is not indexed, as in
// migration 003.
const (
	searchBodyEn = 100000
	searchBodyZh = 30000
)

// isHan reports whether r is in the Han ranges of wirewatch_han_pattern().
func isHan(r rune) bool {
	return (r >= 0x3400 && r <= 0x4dbf) || (r >= 0x4e00 && r <= 0x9fff) ||
		(r >= 0xf900 && r <= 0xfaff) || (r >= 0x20000 && r <= 0x3134f)
}

// leftRunes is SQL's left(s, n).
func leftRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// stripHan is wirewatch_strip_han: each run of Han characters becomes one
// space (the text the English vector indexes). Invalid UTF-8 becomes
// U+FFFD, as PostgreSQL would never have stored it.
func stripHan(s string) string {
	var b strings.Builder
	kept := 0      // s[kept:i] is copied as is when the next change comes
	inRun := false // inside a run of Han characters
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			inRun = false
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isHan(r):
			if b.Cap() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[kept:i])
			if !inRun {
				b.WriteByte(' ')
				inRun = true
			}
			kept = i + size
		case r == utf8.RuneError && size == 1:
			if b.Cap() == 0 {
				b.Grow(len(s) + 2)
			}
			b.WriteString(s[kept:i])
			b.WriteRune(utf8.RuneError)
			kept = i + 1
			inRun = false
		default:
			inRun = false
		}
		i += size
	}
	if b.Cap() == 0 {
		return s // no Han, nothing invalid: the text itself
	}
	b.WriteString(s[kept:])
	return b.String()
}

// cjkBigrams is wirewatch_cjk_bigrams: the bigrams of every run of Han
// characters, in order, space separated; a lone character stands for itself.
func cjkBigrams(s string) string {
	var b strings.Builder
	prev, prevSize := -1, 0 // byte offset and size of the previous rune when it was Han
	runLen := 0
	sep := func() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
	}
	endRun := func() {
		if runLen == 1 {
			sep()
			b.WriteString(s[prev : prev+prevSize])
		}
		runLen, prev = 0, -1
	}
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			if runLen > 0 {
				endRun()
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isHan(r) {
			if runLen > 0 {
				endRun()
			}
			i += size
			continue
		}
		if b.Cap() == 0 {
			// Each Han character starts at most one bigram of 6 or 8 bytes
			// and a space.
			b.Grow(3 * (len(s) - i))
		}
		if runLen > 0 {
			sep()
			b.WriteString(s[prev : i+size]) // the previous character and this one
		}
		prev, prevSize = i, size
		runLen++
		i += size
	}
	if runLen > 0 {
		endRun()
	}
	return b.String()
}
