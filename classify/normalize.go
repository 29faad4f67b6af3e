package classify

import (
	"unicode"
	"unicode/utf8"
)

// normalize folds s into the form both terms and texts are matched in:
// lower case, full-width ASCII as ASCII, curly apostrophes as "'", every
// other ASCII punctuation, dash, CJK punctuation and white space as a single
// space. It appends to dst and records in offs, for every output byte, the
// offset in s of the rune it came from, so matches can be mapped back to the
// original text for snippets. Leading spaces are dropped.
func normalize(dst []byte, offs []int32, s string) ([]byte, []int32) {
	space := func(i int) {
		if len(dst) > 0 && dst[len(dst)-1] != ' ' {
			dst = append(dst, ' ')
			offs = append(offs, int32(i))
		}
	}
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII forms
			r -= 0xFEE0
		}
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			switch {
			case c >= 'A' && c <= 'Z':
				dst = append(dst, c+'a'-'A')
				offs = append(offs, int32(i))
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '\'':
				dst = append(dst, c)
				offs = append(offs, int32(i))
			default:
				space(i)
			}
		case r == '\u2018' || r == '\u2019' || r == '\u02BC':
			dst = append(dst, '\'')
			offs = append(offs, int32(i))
		case r == utf8.RuneError && size == 1,
			r >= 0x2000 && r <= 0x206F, // general punctuation, dashes, quotes
			r >= 0x3000 && r <= 0x303F, // CJK symbols and punctuation
			r == 0x00A0 || r == 0x00B7 || r == 0xFEFF || r == 0x2212,
			unicode.IsSpace(r) || unicode.IsControl(r):
			space(i)
		default:
			lr := unicode.ToLower(r)
			n := len(dst)
			dst = utf8.AppendRune(dst, lr)
			for k := n; k < len(dst); k++ {
				offs = append(offs, int32(i))
			}
		}
		i += size
	}
	return dst, offs
}

// isWordByte reports whether b continues an English word for boundary checks.
// Bytes of non-ASCII runes are not word bytes, so an English term next to a
// Chinese character still matches ("TikTok禁令").
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
