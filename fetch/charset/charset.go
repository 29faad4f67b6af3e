// Package charset turns page and feed bytes of any declared or undeclared
// character encoding into valid UTF-8 without NUL or other C0 control
// characters, so that every later stage (parsers, extraction, storage) sees
// clean text.
//
// The encoding is chosen, in order, from a byte-order mark, the HTTP
// Content-Type header, the document's own declaration (an HTML <meta> anywhere
// in the first 64 KiB, or the XML prolog), and finally a statistical check of
// the bytes. Declarations are checked against the bytes: a page that declares
// UTF-8 but is GB18030, or declares a legacy encoding but is valid UTF-8, is
// decoded as its bytes say, and the returned label says so.
//
// The bytes are transcoded exactly once. Invalid sequences become U+FFFD.
package charset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// MetaScanLimit is how much of an HTML document is searched for a <meta>
// charset declaration. x/net/html/charset only looks at 1024 bytes, which
// misses declarations behind long comments or scripts in the head.
const MetaScanLimit = 64 << 10

// prologScanLimit bounds the search for the XML declaration.
const prologScanLimit = 1024

// ErrEmpty is returned for an empty body; the result is then empty as well.
var ErrEmpty = errors.New("charset: empty body")

// Canonical labels returned for the encodings the package decides on itself.
const (
	LabelUTF8        = "utf-8"
	LabelGB18030     = "gb18030"
	LabelBig5        = "big5"
	LabelWindows1252 = "windows-1252"
	LabelUTF16BE     = "utf-16be"
	LabelUTF16LE     = "utf-16le"
	LabelUTF32BE     = "utf-32be"
	LabelUTF32LE     = "utf-32le"
)

var (
	reHeaderCharset = regexp.MustCompile(`(?i)charset\s*=\s*["']?\s*([a-z0-9_.:\-]+)`)
	// reMetaCharset finds a charset declaration in one <meta> tag; it is
	// anchored because metaCharset runs it on each tag alone.
	reMetaCharset = regexp.MustCompile(`(?is)^<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:\-]+)`)
	reProlog      = regexp.MustCompile(`^\s*<\?xml\b[^>]*?\?>`)
	rePrologEnc   = regexp.MustCompile(`(?i)\bencoding\s*=\s*["']([^"']*)["']`)
)

// choice is a decided encoding and how it was decided.
type choice struct {
	enc   encoding.Encoding // nil means UTF-8
	label string
	// bomLen is the number of leading bytes to drop before decoding.
	bomLen int
}

// DecodeHTML decodes an HTML page to valid UTF-8. contentType is the HTTP
// Content-Type header value, possibly empty. It returns the decoded bytes and
// a label naming the encoding used; when the decision overrode a declaration
// the label says so, e.g. "gb18030 (declared utf-8, bytes invalid)".
//
// A body that is already clean UTF-8 is returned as it is, without a copy:
// the result may share memory with body (it is capped at its length, so
// appending to it never writes into body).
func DecodeHTML(body []byte, contentType string) ([]byte, string, error) {
	if len(body) == 0 {
		return nil, LabelUTF8, ErrEmpty
	}
	c := choose(body, contentType, func(b []byte) string {
		if label, ok := metaCharset(b[:min(len(b), MetaScanLimit)]); ok {
			return label
		}
		return prologEncoding(b)
	})
	out, err := decode(body, c)
	if err != nil {
		return nil, c.label, fmt.Errorf("charset: decode HTML as %s: %w", c.label, err)
	}
	return out, c.label, nil
}

// DecodeXML decodes a feed (RSS, Atom, RDF or any XML) to valid UTF-8. After
// transcoding, the encoding declaration of the XML prolog is rewritten to
// UTF-8 so that an XML parser does not decode the text a second time. As with
// DecodeHTML, the result may share memory with body.
func DecodeXML(body []byte, contentType string) ([]byte, string, error) {
	if len(body) == 0 {
		return nil, LabelUTF8, ErrEmpty
	}
	c := choose(body, contentType, prologEncoding)
	out, err := decode(body, c)
	if err != nil {
		return nil, c.label, fmt.Errorf("charset: decode XML as %s: %w", c.label, err)
	}
	return rewritePrologUTF8(out), c.label, nil
}

// choose decides the encoding of body. declared extracts the document's own
// declaration from (ASCII-compatible) bytes.
func choose(body []byte, contentType string, declared func([]byte) string) choice {
	if c, ok := sniffBOM(body); ok {
		return c
	}
	var label string
	if m := reHeaderCharset.FindStringSubmatch(contentType); m != nil {
		label = m[1]
	}
	if label == "" || lookup(label) == nil && !isUTF8Label(label) {
		// The XML spec's autodetection (Appendix F): UTF-16/32 without a BOM
		// shows as NULs around '<'. The document's own declaration can only
		// be read after this.
		if c, ok := sniffXMLPattern(body); ok {
			return c
		}
		label = declared(body)
	}
	if label != "" {
		if c, ok := fromDeclaration(body, label); ok {
			return c
		}
	}
	return detect(body)
}

// fromDeclaration checks a declared label against the bytes. ok is false when
// the label is unknown, so that detection decides instead.
func fromDeclaration(body []byte, label string) (choice, bool) {
	if isUTF8Label(label) {
		if utf8.Valid(body) || validUTF8ButTruncated(body) {
			return choice{label: LabelUTF8}, true
		}
		// A lying declaration: trust the bytes when they decode cleanly as
		// Chinese.
		if d := detect(body); d.label == LabelGB18030 || d.label == LabelBig5 {
			if replacementRatio(body, d.enc) == 0 {
				d.label += " (declared utf-8, bytes invalid)"
				return d, true
			}
		}
		return choice{label: LabelUTF8}, true
	}
	enc := lookup(label)
	if enc == nil {
		return choice{}, false
	}
	name := canonicalName(enc, label)
	switch name {
	case LabelUTF16BE, LabelUTF16LE, LabelUTF32BE, LabelUTF32LE, "utf-16", "utf-32":
		// A UTF-16/32 declaration on ASCII-looking bytes (no BOM, no NUL
		// pattern) is wrong; the bytes are at least ASCII-compatible.
		return detect(body), true
	}
	if hasMultibyteUTF8(body) && utf8.Valid(body) {
		// Valid multi-byte UTF-8 is almost never an accident of a legacy
		// encoding; feeds that keep a stale prolog after re-encoding are.
		return choice{label: LabelUTF8 + " (declared " + name + ", bytes are utf-8)"}, true
	}
	if !hasMultibyteUTF8(body) {
		return choice{enc: enc, label: name}, true
	}
	return doubtDeclared(body, choice{enc: enc, label: name}), true
}

func isUTF8Label(label string) bool {
	switch normalizeLabel(label) {
	case "utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8":
		return true
	}
	return false
}

func normalizeLabel(label string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(label)), "_", "-")
}

// lookup maps a charset label to an encoding, or nil when it is unknown or
// unusable. Every GB label decodes as GB18030, the superset that also covers
// the four-byte sequences real "gb2312" pages contain.
func lookup(label string) encoding.Encoding {
	l := normalizeLabel(label)
	switch l {
	case "gb2312", "gbk", "x-gbk", "gb18030", "cp936", "ms936", "windows-936", "euc-cn", "x-euc-cn",
		"csgb2312", "csgbk", "chinese", "iso-ir-58", "csiso58gb231280", "gb-2312", "gb2312-80":
		return simplifiedchinese.GB18030
	case "big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5", "cp950", "x-big5":
		return traditionalchinese.Big5
	case "utf-16", "utf16", "iso-10646-ucs-2", "ucs-2", "csunicode":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	case "utf-16be", "unicodefffe":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case "utf-16le", "unicodefeff":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case "utf-32", "utf32", "ucs-4", "iso-10646-ucs-4":
		return utf32.UTF32(utf32.BigEndian, utf32.UseBOM)
	case "utf-32be":
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case "utf-32le":
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	}
	if enc, err := htmlindex.Get(l); err == nil && enc != nil && enc != encoding.Replacement {
		return enc
	}
	if enc, err := ianaindex.IANA.Encoding(l); err == nil && enc != nil && enc != encoding.Replacement {
		return enc
	}
	return nil
}

// canonicalName names enc for labels; label is the fallback.
func canonicalName(enc encoding.Encoding, label string) string {
	switch enc {
	case simplifiedchinese.GB18030:
		return LabelGB18030
	case traditionalchinese.Big5:
		return LabelBig5
	}
	switch l := normalizeLabel(label); l {
	case "utf-16", "utf16", "utf-16be", "utf-16le", "utf-32", "utf32", "utf-32be", "utf-32le":
		return strings.Replace(l, "utf16", "utf-16", 1)
	}
	if n, err := htmlindex.Name(enc); err == nil {
		return n
	}
	if n, err := ianaindex.IANA.Name(enc); err == nil {
		return strings.ToLower(n)
	}
	return normalizeLabel(label)
}

func sniffBOM(b []byte) (choice, bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0xFE, 0xFF}):
		return choice{enc: utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), label: LabelUTF32BE, bomLen: 4}, true
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0x00, 0x00}):
		return choice{enc: utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), label: LabelUTF32LE, bomLen: 4}, true
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return choice{label: LabelUTF8, bomLen: 3}, true
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return choice{enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), label: LabelUTF16BE, bomLen: 2}, true
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return choice{enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), label: LabelUTF16LE, bomLen: 2}, true
	}
	return choice{}, false
}

func sniffXMLPattern(b []byte) (choice, bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0x00, '<'}):
		return choice{enc: utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), label: LabelUTF32BE}, true
	case bytes.HasPrefix(b, []byte{'<', 0x00, 0x00, 0x00}):
		return choice{enc: utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), label: LabelUTF32LE}, true
	case bytes.HasPrefix(b, []byte{0x00, '<', 0x00}):
		return choice{enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), label: LabelUTF16BE}, true
	case bytes.HasPrefix(b, []byte{'<', 0x00}):
		return choice{enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), label: LabelUTF16LE}, true
	}
	return choice{}, false
}

// metaCharset returns the charset a <meta> tag of head declares: the first
// match of reMetaCharset in head. Such a match starts at a '<' and cannot
// cross a '>', so the expression only runs on the tags that start with
// "<meta" (in any case), each cut at its first '>', instead of on the whole
// head: on a page without a declaration that is a thousandth of the work.
func metaCharset(head []byte) (string, bool) {
	for i := 0; ; {
		j := bytes.IndexByte(head[i:], '<')
		if j < 0 {
			return "", false
		}
		i += j
		// The letters of "meta" and "char" have no case variants outside
		// ASCII (unlike the s of "charset": U+017F), so byte comparisons
		// select the same tags as the expression's (?i), and a tag without
		// "char" cannot match.
		if i+5 <= len(head) && asciiEqualFold(head[i+1:i+5], "meta") {
			end := len(head)
			if k := bytes.IndexByte(head[i+1:], '>'); k >= 0 {
				end = i + 1 + k
			}
			if tag := head[i:end]; containsASCIIFold(tag[5:], "char") {
				if m := reMetaCharset.FindSubmatch(tag); m != nil {
					return string(m[1]), true
				}
			}
		}
		i++
	}
}

// asciiEqualFold reports whether b equals the lower-case ASCII word lower,
// ignoring ASCII case.
func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// containsASCIIFold reports whether b holds the lower-case ASCII word lower,
// ignoring ASCII case.
func containsASCIIFold(b []byte, lower string) bool {
	for i := 0; i+len(lower) <= len(b); i++ {
		if b[i]|0x20 == lower[0] && asciiEqualFold(b[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}

// prologEncoding returns the encoding pseudo-attribute of an XML declaration
// at the start of b, or "".
func prologEncoding(b []byte) string {
	p := reProlog.Find(b[:min(len(b), prologScanLimit)])
	if p == nil {
		return ""
	}
	if m := rePrologEnc.FindSubmatch(p); m != nil {
		return string(m[1])
	}
	return ""
}

// rewritePrologUTF8 makes the XML declaration of already-UTF-8 text say so.
func rewritePrologUTF8(b []byte) []byte {
	loc := reProlog.FindIndex(b[:min(len(b), prologScanLimit)])
	if loc == nil {
		return b
	}
	p := b[loc[0]:loc[1]]
	m := rePrologEnc.FindSubmatchIndex(p)
	if m == nil {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	out = append(out, b[:loc[0]]...)
	out = append(out, p[:m[0]]...)
	out = append(out, `encoding="UTF-8"`...)
	out = append(out, p[m[1]:]...)
	out = append(out, b[loc[1]:]...)
	return out
}

// decode transcodes body once and sanitises the result. UTF-8 that is
// already clean is returned without a copy.
func decode(body []byte, c choice) ([]byte, error) {
	b := body[c.bomLen:]
	if c.enc == nil {
		// sanitize repairs invalid UTF-8 itself.
		return sanitize(b[:len(b):len(b)]), nil
	}
	out, err := c.enc.NewDecoder().Bytes(b)
	if err != nil {
		return nil, err
	}
	return sanitize(out), nil
}

// sanitize removes a leading U+FEFF, NUL and the C0 controls other than tab,
// newline and carriage return, and guarantees valid UTF-8. C1 controls
// (U+0080–U+009F) never occur in real text; they are windows-1252 bytes that
// went through a Latin-1 step, so they are mapped as windows-1252 (as HTML
// does for &#146;) or dropped. Clean input (see clean) is returned as it is;
// otherwise the result is a new slice.
func sanitize(b []byte) []byte {
	if clean(b) {
		return b
	}
	return sanitizeCopy(b)
}

// sanitizeCopy is sanitize for input that needs changes: it always copies.
// (Duplicate by design: fetch/charset/fastpath_test.go keeps the code this replaced, frozen, as
// the reference the equivalence tests compare it with.)
func sanitizeCopy(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			continue
		case c == 0xC2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9F:
			i++
			if r := cp1252C1[b[i]-0x80]; r != 0 {
				out = utf8.AppendRune(out, r)
			}
			continue
		}
		out = append(out, c)
	}
	return out
}

// clean reports whether sanitize would return b unchanged: b is valid UTF-8
// without a leading U+FEFF, C0 controls other than tab, newline and carriage
// return, or C1 controls. After utf8.Valid it is one pass over sixteen bytes
// at a time.
func clean(b []byte) bool {
	if bytes.HasPrefix(b, []byte("\uFEFF")) || !utf8.Valid(b) {
		return false
	}
	// In valid UTF-8 a C0 control is a byte below 0x20 and a C1 control is
	// 0xC2 followed by 0x80–0x9F. Words holding neither kind of byte are
	// skipped whole; the others are checked byte by byte.
	rest := b
	for len(rest) >= 16 {
		x, y := binary.LittleEndian.Uint64(rest), binary.LittleEndian.Uint64(rest[8:16])
		if suspect(x)|suspect(y) != 0 {
			if i := len(b) - len(rest); !cleanBytes(b, i, i+16) {
				return false
			}
		}
		rest = rest[16:]
	}
	return cleanBytes(b, len(b)-len(rest), len(b))
}

// suspect is non-zero when one of the eight bytes of x is below 0x20 or is
// 0xC2 (and may be non-zero for some other words too): the SWAR test for a
// zero byte, applied to x-0x20 and to x^0xC2 in every byte.
func suspect(x uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	c2 := x ^ 0xC2*ones
	return ((x-0x20*ones)&^x | (c2-ones)&^c2) & highs
}

// cleanBytes checks b[from:to] of valid UTF-8 b byte by byte for clean.
func cleanBytes(b []byte, from, to int) bool {
	for i := from; i < to; i++ {
		switch c := b[i]; {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return false
		case c == 0xC2 && i+1 < len(b) && b[i+1] <= 0x9F:
			return false
		}
	}
	return true
}

// cp1252C1 maps 0x80..0x9F as windows-1252 does; 0 marks an unassigned byte.
var cp1252C1 = [32]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
}

func hasMultibyteUTF8(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// validUTF8ButTruncated reports whether b is valid UTF-8 except for an
// incomplete sequence at its very end (a page cut at a size limit).
func validUTF8ButTruncated(b []byte) bool {
	for i := 1; i <= 3 && i < len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return true
		}
	}
	return false
}

// replacementRatio decodes b with enc and returns the share of U+FFFD among
// the non-ASCII runes of the result.
func replacementRatio(b []byte, enc encoding.Encoding) float64 {
	if enc == nil {
		return 1
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return 1
	}
	var bad, wide int
	for _, r := range string(out) {
		if r < 0x80 {
			continue
		}
		wide++
		if r == utf8.RuneError {
			bad++
		}
	}
	if wide == 0 {
		return 0
	}
	return float64(bad) / float64(wide)
}
