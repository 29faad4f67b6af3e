package charset

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// detectLimit bounds the bytes the statistical check looks at.
const detectLimit = 256 << 10

// detect decides the encoding of undeclared bytes. Valid UTF-8 is UTF-8.
// Otherwise it chooses between GB18030, Big5 and windows-1252 from the shape
// of the high-byte pairs:
//
//   - In GB2312/GBK text nearly every byte >= 0x80 is part of a pair whose
//     second byte is also >= 0xA1 (the common hanzi all live there).
//   - Big5 puts about 40% of its common characters' trail bytes in 0x40–0x7E,
//     which GB2312 never does and GBK does only for rare characters.
//   - Latin text in windows-1252 has isolated high bytes followed by ASCII,
//     often by a space or punctuation, which no double-byte encoding allows.
//
// The verdict is then checked against the decoders' replacement counts.
func detect(body []byte) choice {
	if utf8.Valid(body) || validUTF8ButTruncated(body) {
		return choice{label: LabelUTF8}
	}
	b := body[:min(len(body), detectLimit)]
	var pairs, highTrail, asciiLetterTrail, impossible int
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			continue
		}
		pairs++
		if i+1 >= len(b) {
			break
		}
		t := b[i+1]
		switch {
		case c == 0x80 || c == 0xFF:
			impossible++
		case t >= 0xA1 && t <= 0xFE:
			highTrail++
		case t >= 0x40 && t <= 0x7E:
			asciiLetterTrail++
		case t >= 0x30 && t <= 0x39:
			// GB18030 four-byte sequences start like this; neutral.
		default:
			impossible++
		}
		i++
	}
	latin1252 := choice{enc: charmap.Windows1252, label: LabelWindows1252}
	gb := choice{enc: simplifiedchinese.GB18030, label: LabelGB18030}
	big5 := choice{enc: traditionalchinese.Big5, label: LabelBig5}
	if pairs == 0 {
		return choice{label: LabelUTF8}
	}
	p := float64(pairs)
	if float64(impossible)/p > 0.05 || float64(highTrail)/p < 0.3 {
		return latin1252
	}
	// Let the decoders break near-ties: the one with clearly fewer invalid
	// sequences wins.
	gbBad := replacementRatio(b, gb.enc)
	big5Bad := replacementRatio(b, big5.enc)
	switch {
	case gbBad+0.01 < big5Bad:
		return gb
	case big5Bad+0.01 < gbBad:
		return big5
	}
	if float64(asciiLetterTrail)/p > 0.1 {
		return big5
	}
	return gb
}
