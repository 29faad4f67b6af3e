package store

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/internal/runes"
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
	eachBigram(s, func(tok string, _, _ rune) {
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
// of s holding two Han characters, or one for a run of one, and the
// characters themselves (r1 is 0 for a lone character).
func eachBigram(s string, fn func(tok string, r1, r2 rune)) {
	prev, prevSize := -1, 0 // byte offset and size of the previous rune when it was Han
	var prevRune rune
	runLen := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			if runLen == 1 {
				fn(s[prev:prev+prevSize], 0, prevRune)
			}
			runLen = 0
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isHan(r) {
			if runLen == 1 {
				fn(s[prev:prev+prevSize], 0, prevRune)
			}
			runLen = 0
			i += size
			continue
		}
		if runLen > 0 {
			fn(s[prev:i+size], prevRune, r) // the previous character and this one
		}
		prev, prevSize, prevRune = i, size, r
		runLen++
		i += size
	}
	if runLen == 1 {
		fn(s[prev:prev+prevSize], 0, prevRune)
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
	sp := zhScratchPool.Get().(*[]uint64)
	occ := (*sp)[:0]
	defer func() {
		*sp = occ[:0]
		zhScratchPool.Put(sp)
	}()
	// Each occurrence is one uint64: the bigram's characters (21 bits
	// each) above its position and weight (position<<2 | weight, 16 bits),
	// so sorting groups each bigram's occurrences in position order.
	offset := 0
	for part, text := range [3]string{title, summary, runes.Prefix(body, searchBodyZh)} {
		weight := uint64(3 - part) // A, B, C
		n := 0
		plain := true
		eachBigram(text, func(_ string, r1, r2 rune) {
			if !plain {
				return
			}
			if !plainHan(r2) || (r1 != 0 && !plainHan(r1)) {
				plain = false
				return
			}
			key := uint64(r1)<<21 | uint64(r2)
			n++
			if offset+n > tsMaxZhPosition {
				plain = false
				return
			}
			occ = append(occ, key<<16|uint64(offset+n)<<2|weight)
		})
		if !plain {
			return "", false
		}
		// The next part's positions follow this one's last (tsvector ||
		// shifts by the largest position of the left operand).
		offset += n
	}
	if len(occ) == 0 {
		return "", true
	}
	slices.Sort(occ)
	var b strings.Builder
	b.Grow(len(occ) * 12)
	var digits [8]byte
	for i := 0; i < len(occ); {
		key := occ[i] >> 16
		j := i + 1
		for j < len(occ) && occ[j]>>16 == key {
			j++
		}
		if j-i > tsMaxLexemePos {
			return "", false
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('\'')
		if key >= 1<<21 {
			b.WriteRune(rune(key >> 21))
		}
		b.WriteRune(rune(key & (1<<21 - 1)))
		b.WriteString("':")
		for k := i; k < j; k++ {
			if k > i {
				b.WriteByte(',')
			}
			p := occ[k] & 0xffff
			b.Write(strconv.AppendUint(digits[:0], p>>2, 10))
			b.WriteByte(" CBA"[p&3])
		}
		i = j
	}
	return b.String(), true
}

// plainHan reports whether r is in the Han blocks every locale knows as
// letters (CJK Unified Ideographs to U+9FEF, Extension A to U+4DB5).
func plainHan(r rune) bool {
	return (r >= 0x4e00 && r <= 0x9fef) || (r >= 0x3400 && r <= 0x4db5)
}

var zhScratchPool = sync.Pool{New: func() any { s := make([]uint64, 0, 1024); return &s }}
