package store

import (
	"slices"
	"strconv"
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
	eachBigram(s, func(tok string) {
		if b.Len() == 0 {
			// Each Han character starts at most one bigram of 6 or 8 bytes
			// and a space.
			b.Grow(3 * len(s))
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(tok)
	})
	return b.String()
}

// eachBigram calls fn with each token of cjkBigrams(s), in order: a slice
// of s holding two Han characters, or one for a run of one.
func eachBigram(s string, fn func(tok string)) {
	prev, prevSize := -1, 0 // byte offset and size of the previous rune when it was Han
	runLen := 0
	endRun := func() {
		if runLen == 1 {
			fn(s[prev : prev+prevSize])
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
		if runLen > 0 {
			fn(s[prev : i+size]) // the previous character and this one
		}
		prev, prevSize = i, size
		runLen++
		i += size
	}
	if runLen > 0 {
		endRun()
	}
}

// PostgreSQL's tsvector limits: positions stop at 16383, and the text
// input form keeps at most 255 positions per lexeme.
const (
	tsMaxPos        = 16383
	tsMaxLexemePos  = 255
	tsMaxZhPosition = tsMaxPos - 1
)

// zhVector is search_zh as wirewatch_search_zh(title, summary, body)
// computes it, in tsvector text form, so that PostgreSQL only reads it
// instead of parsing the bigram text. ok is false, and PostgreSQL must
// build the vector, when the text reaches a tsvector limit (a bigram at
// more than 255 positions, positions past 16382) or has a Han character
// outside the blocks every PostgreSQL locale classifies as a letter (the
// parser splits tokens at characters it does not know as letters).
func zhVector(title, summary, body string) (vec string, ok bool) {
	type entry struct {
		lexeme string
		pos    []uint16 // position<<2 | weight (3 = A, 2 = B, 1 = C)
	}
	var entries []entry
	index := map[string]int{}
	offset := 0
	for part, text := range [3]string{title, summary, leftRunes(body, searchBodyZh)} {
		weight := uint16(3 - part)
		n := 0
		plain := true
		eachBigram(text, func(tok string) {
			if !plain {
				return
			}
			for _, r := range tok {
				if !(r >= 0x4e00 && r <= 0x9fef) && !(r >= 0x3400 && r <= 0x4db5) {
					plain = false
					return
				}
			}
			n++
			pos := offset + n
			if pos > tsMaxZhPosition {
				plain = false
				return
			}
			i, seen := index[tok]
			if !seen {
				i = len(entries)
				index[tok] = i
				entries = append(entries, entry{lexeme: tok})
			}
			if len(entries[i].pos) == tsMaxLexemePos {
				plain = false
				return
			}
			entries[i].pos = append(entries[i].pos, uint16(pos)<<2|weight)
		})
		if !plain {
			return "", false
		}
		// The next part's positions follow this one's last (tsvector ||
		// shifts by the largest position of the left operand).
		offset += n
	}
	if len(entries) == 0 {
		return "", true
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.lexeme, b.lexeme) })
	var b strings.Builder
	b.Grow(len(entries) * 16)
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('\'')
		b.WriteString(e.lexeme)
		b.WriteString("':")
		for j, p := range e.pos {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(p >> 2)))
			switch p & 3 {
			case 3:
				b.WriteByte('A')
			case 2:
				b.WriteByte('B')
			case 1:
				b.WriteByte('C')
			}
		}
	}
	return b.String(), true
}
