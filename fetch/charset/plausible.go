package charset

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// A declaration can be wrong in a way no decoder notices: GBK bytes served
// as shift_jis or euc-kr, Big5 served as gbk, decode with few or no
// replacement characters, but into mojibake. Such text is recognised by
// what it is made of: halfwidth katakana, private-use and C1 characters,
// box drawing, and Han characters outside both the 3,755 common characters
// of GB 2312 (level 1) and the 5,401 of Big5 (level 1), which real Chinese
// and Japanese text is almost entirely made of.

// implausibleLimit is the share of odd characters above which a declared
// multi-byte encoding is doubted.
const implausibleLimit = 0.15

var (
	commonHanOnce sync.Once
	commonHan     map[rune]bool
)

// commonHanSet builds the set of level-1 GB 2312 and Big5 characters by
// decoding their code ranges.
func commonHanSet() map[rune]bool {
	commonHanOnce.Do(func() {
		commonHan = make(map[rune]bool, 10000)
		add := func(enc encoding.Encoding, lead, trail [2]byte, from, to [2]byte) {
			dec := enc.NewDecoder()
			for l := lead[0]; l <= lead[1]; l++ {
				for t := trail[0]; t <= trail[1]; t++ {
					if [2]byte{l, t} == ([2]byte{}) || l < from[0] || l == from[0] && t < from[1] || l > to[0] || l == to[0] && t > to[1] {
						continue
					}
					out, err := dec.Bytes([]byte{l, t})
					if err != nil {
						continue
					}
					if r, _ := utf8.DecodeRune(out); r != utf8.RuneError && r >= 0x3400 {
						commonHan[r] = true
					}
				}
			}
		}
		add(simplifiedchinese.GB18030, [2]byte{0xB0, 0xD7}, [2]byte{0xA1, 0xFE}, [2]byte{0xB0, 0xA1}, [2]byte{0xD7, 0xF9})
		add(traditionalchinese.Big5, [2]byte{0xA4, 0xC6}, [2]byte{0x40, 0xFE}, [2]byte{0xA4, 0x40}, [2]byte{0xC6, 0x7E})
	})
	return commonHan
}

// implausibility returns the share of odd characters among the non-ASCII
// runes of b decoded with enc (1 when it does not decode).
func implausibility(b []byte, enc encoding.Encoding) float64 {
	var out []byte
	if enc == nil {
		out = b
	} else {
		var err error
		if out, err = enc.NewDecoder().Bytes(b); err != nil {
			return 1
		}
	}
	common := commonHanSet()
	var wide, odd int
	for _, r := range string(out) {
		if r < 0x80 {
			continue
		}
		wide++
		switch {
		case r == utf8.RuneError,
			r <= 0x9F,                  // C1 controls
			r >= 0xFF61 && r <= 0xFF9F, // halfwidth katakana
			r >= 0xE000 && r <= 0xF8FF, // private use
			r >= 0x2500 && r <= 0x257F: // box drawing
			odd++
		case isHan(r) && !common[r]:
			odd++
		}
	}
	if wide == 0 {
		return 0
	}
	return float64(odd) / float64(wide)
}

func isHan(r rune) bool {
	return r >= 0x3400 && r <= 0x4DBF || r >= 0x4E00 && r <= 0x9FFF || r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x3FFFF
}

// isMultiByteCJK reports whether enc is a double-byte East Asian encoding
// whose declaration the bytes are checked against.
func isMultiByteCJK(name string) bool {
	switch name {
	case LabelGB18030, LabelBig5, "shift_jis", "euc-jp", "euc-kr", "iso-2022-jp", "gbk":
		return true
	}
	return false
}

// doubtDeclared checks a declared legacy encoding against the bytes: when
// its text is implausible (see implausibility) and GB18030, Big5 or the
// statistical check's choice reads the bytes clearly better, that one wins
// and its label says what was declared.
func doubtDeclared(body []byte, declared choice) choice {
	b := body[:min(len(body), detectLimit)]
	multi := isMultiByteCJK(declared.label)
	if !multi {
		// A single-byte declaration (windows-1252, koi8-r, …) decodes
		// anything; it is doubted only when the bytes have the shape of
		// double-byte Chinese and decode as such without error.
		d := detect(body)
		if (d.label == LabelGB18030 || d.label == LabelBig5) && replacementRatio(b, d.enc) == 0 && implausibility(b, d.enc) < implausibleLimit {
			d.label += " (declared " + declared.label + ", bytes are " + d.label + ")"
			return d
		}
		return declared
	}
	have := implausibility(b, declared.enc)
	if have <= implausibleLimit {
		return declared
	}
	best, bestScore := declared, have
	for _, c := range []choice{
		{enc: simplifiedchinese.GB18030, label: LabelGB18030},
		{enc: traditionalchinese.Big5, label: LabelBig5},
	} {
		if c.label == declared.label {
			continue
		}
		if s := implausibility(b, c.enc); s < bestScore {
			best, bestScore = c, s
		}
	}
	if best.label == declared.label || bestScore > implausibleLimit || bestScore > have/2 {
		return declared
	}
	best.label += " (declared " + declared.label + ", bytes are " + best.label + ")"
	return best
}
