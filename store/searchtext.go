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
// space (the text the English vector indexes).
func stripHan(s string) string {
	var b strings.Builder
	inRun := false
	for _, r := range s {
		if isHan(r) {
			if !inRun {
				b.WriteByte(' ')
				inRun = true
			}
			continue
		}
		inRun = false
		if r == utf8.RuneError {
			b.WriteRune(r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cjkBigrams is wirewatch_cjk_bigrams: the bigrams of every run of Han
// characters, in order, space separated; a lone character stands for itself.
func cjkBigrams(s string) string {
	var b strings.Builder
	var run []rune
	flush := func() {
		switch {
		case len(run) == 1:
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(run[0])
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteRune(run[i])
				b.WriteRune(run[i+1])
			}
		}
		run = run[:0]
	}
	for _, r := range s {
		if isHan(r) {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
	return b.String()
}
