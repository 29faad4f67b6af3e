package classify

import (
	"unicode"
	"unicode/utf8"
)

// asciiFold is what normalize makes of an ASCII byte: lower case for
// letters, the byte itself for digits and "'", 0 for a separator.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		switch b := byte(c); {
		case b >= 'A' && b <= 'Z':
			t[c] = b + 'a' - 'A'
		case b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '\'':
			t[c] = b
		}
	}
	return t
}()

// asciiSpaceFold is asciiFold with a space for the separators.
var asciiSpaceFold = func() (t [utf8.RuneSelf]byte) {
	for c, f := range asciiFold {
		t[c] = f
		if f == 0 {
			t[c] = ' '
		}
	}
	return t
}()

// normalize folds s into the form both terms and texts are matched in:
// lower case, full-width ASCII as ASCII, curly apostrophes as "'", every
// other ASCII punctuation, dash, CJK punctuation and white space as a single
// space. It appends to dst and records in offs, for every output byte, the
// offset in s of the rune it came from, so matches can be mapped back to the
// original text for snippets. Leading spaces are dropped. offs must be as
// long as dst.
func normalize(dst []byte, offs []int32, s string) ([]byte, []int32) {
	n := len(dst)
	// Room for the output: at most one byte per input byte, except for the
	// rare runes whose lower case is longer (see normRune).
	dst, offs = growNorm(dst, offs, n, len(s))
	fold := &asciiSpaceFold
	space := n == 0 || dst[n-1] == ' ' // a separator now adds nothing
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			// Without branches on the text: the byte is always written,
			// and kept unless it is a separator after a space.
			f := fold[c]
			dst[n], offs[n] = f, int32(i)
			sep := f == ' '
			if !sep || !space {
				n++
			}
			space = sep
			i++
			continue
		}
		if c >= 0xE4 && c <= 0xE9 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			// U+4000-U+9FFF (CJK unified ideographs, most of extension A,
			// Yijing hexagrams): no case, no space, kept as they are.
			dst[n], dst[n+1], dst[n+2] = c, s[i+1], s[i+2]
			offs[n], offs[n+1], offs[n+2] = int32(i), int32(i), int32(i)
			n += 3
			i += 3
			space = false
			continue
		}
		dst, offs, n, i = normRune(dst, offs, n, s, i)
		space = n == 0 || dst[n-1] == ' '
	}
	return dst[:n], offs[:n]
}

// normRune is normalize for the rune at s[i:], other than ASCII and CJK
// unified ideographs: it writes its form at dst[n:] and offs[n:] and
// returns them (grown if need be), the new n and the offset of the next
// rune.
func normRune(dst []byte, offs []int32, n int, s string, i int) ([]byte, []int32, int, int) {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII forms
		r -= 0xFEE0
	}
	switch {
	case r < utf8.RuneSelf:
		if f := asciiFold[r]; f != 0 {
			dst[n], offs[n] = f, int32(i)
			n++
		} else if n > 0 && dst[n-1] != ' ' {
			dst[n], offs[n] = ' ', int32(i)
			n++
		}
	case r == '\u2018' || r == '\u2019' || r == '\u02BC':
		dst[n], offs[n] = '\'', int32(i)
		n++
	case r == utf8.RuneError && size == 1,
		r >= 0x2000 && r <= 0x206F, // general punctuation, dashes, quotes
		r >= 0x3000 && r <= 0x303F, // CJK symbols and punctuation
		r == 0x00A0 || r == 0x00B7 || r == 0xFEFF || r == 0x2212,
		unicode.IsSpace(r) || unicode.IsControl(r):
		if n > 0 && dst[n-1] != ' ' {
			dst[n], offs[n] = ' ', int32(i)
			n++
		}
	default:
		lr := unicode.ToLower(r)
		if len(dst)-n < len(s)-i+utf8.UTFMax {
			dst, offs = growNorm(dst[:n], offs[:n], n, len(s)-i+utf8.UTFMax)
		}
		k := n + utf8.EncodeRune(dst[n:], lr)
		for ; n < k; n++ {
			offs[n] = int32(i)
		}
	}
	return dst, offs, n, i + size
}

// growNorm returns dst and offs, both of length n, extended to a length of
// at least n+more.
func growNorm(dst []byte, offs []int32, n, more int) ([]byte, []int32) {
	want := n + more
	if cap(dst) < want {
		d := make([]byte, want, max(want, 2*cap(dst)))
		copy(d, dst[:n])
		dst = d
	}
	if cap(offs) < want {
		o := make([]int32, want, max(want, 2*cap(offs)))
		copy(o, offs[:n])
		offs = o
	}
	return dst[:cap(dst)], offs[:cap(offs)]
}

// isWordByte reports whether b continues an English word for boundary checks.
// Bytes of non-ASCII runes are not word bytes, so an English term next to a
// Chinese character still matches ("TikTok禁令").
// (Duplicate by design: classify/reference_test.go keeps the code this replaced, frozen, as
// the reference the equivalence tests compare it with.)
func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}

// hasHan reports whether s contains a Han character; such terms are matched
// as substrings, as Chinese is written without spaces.
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
