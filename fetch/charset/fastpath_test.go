package charset

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/wirewatch/wirewatch/internal/corpus"
)

// The reference implementations below are the code the fast paths replaced:
// decode that always repaired and copied, and the <meta> expression run on
// the whole head. The fast paths must give exactly what they gave.

var refMetaCharsetRE = regexp.MustCompile(`(?is)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:\-]+)`)

func refMetaCharset(head []byte) (string, bool) {
	if m := refMetaCharsetRE.FindSubmatch(head); m != nil {
		return string(m[1]), true
	}
	return "", false
}

func refDecode(body []byte, c choice) ([]byte, error) {
	b := body[c.bomLen:]
	var out []byte
	if c.enc == nil {
		out = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	} else {
		var err error
		out, err = c.enc.NewDecoder().Bytes(b)
		if err != nil {
			return nil, err
		}
	}
	return refSanitize(out), nil
}

func refSanitize(b []byte) []byte {
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

// decodeChoices are the decisions decode is compared under.
var decodeChoices = []choice{
	{label: LabelUTF8},
	{label: LabelUTF8, bomLen: 3},
	{enc: simplifiedchinese.GB18030, label: LabelGB18030},
	{enc: traditionalchinese.Big5, label: LabelBig5},
	{enc: charmap.Windows1252, label: LabelWindows1252},
}

func checkDecodeSame(t *testing.T, name string, body []byte) {
	t.Helper()
	for _, c := range decodeChoices {
		if c.bomLen > len(body) {
			continue
		}
		want, werr := refDecode(body, c)
		got, gerr := decode(body, c)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
			t.Errorf("%s as %s (bom %d): decode = %q, %v; reference %q, %v", name, c.label, c.bomLen, trim(got), gerr, trim(want), werr)
		}
	}
	head := body[:min(len(body), MetaScanLimit)]
	gotL, gotOK := metaCharset(head)
	wantL, wantOK := refMetaCharset(head)
	if gotL != wantL || gotOK != wantOK {
		t.Errorf("%s: metaCharset = %q, %v; reference %q, %v", name, gotL, gotOK, wantL, wantOK)
	}
}

func fastPathInputs() map[string]string {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(`<meta charset="gbk"><p>网络安全法实施条例发布，国家互联网信息办公室负责人答记者问。</p>`)
	big5, _ := traditionalchinese.Big5.NewEncoder().String(`<META CHARSET=big5><p>網路安全法實施條例發布，國家互聯網信息辦公室。</p>`)
	long := strings.Repeat("<p>Plain ASCII text, long enough for the eight-byte loop.</p>\n", 50)
	return map[string]string{
		"empty":               "",
		"ascii":               "<p>hello</p>",
		"ascii long":          long,
		"chinese":             "<p>网络安全 Café</p>" + long,
		"tab newline cr":      "a\tb\nc\r\nd",
		"nul":                 long + "a\x00b",
		"control at start":    "\x01" + long,
		"control in word 2":   "abcdefgh\x1bijklmnop",
		"del kept":            "abc\x7fdef",
		"c1 controls":         "x\u0080\u0085\u0092\u009d\u009fy",
		"c1 late":             long + "\u0093quoted\u0094",
		"nbsp kept":           "a\u00a0b",
		"bom":                 "\uFEFF<p>x</p>",
		"two boms":            "\uFEFF\uFEFF<p>x</p>",
		"bom mid":             "a\uFEFFb",
		"invalid":             "ok \xff\xfe end",
		"invalid late":        long + "\xc3",
		"truncated rune":      long + "中"[:2],
		"surrogate":           "a\xed\xa0\x80b",
		"overlong":            "a\xc0\xafb",
		"replacement char":    "a\uFFFDb",
		"invalid then bom":    "\xff\uFEFFx",
		"gbk":                 gbk,
		"big5":                big5,
		"latin":               "<p>Caf\xe9 cr\xe8me \x93quotes\x94.</p>",
		"meta late":           long + `<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`,
		"meta first fails":    `<meta charset=""><meta name=x charset = 'big5'>`,
		"meta two charsets":   `<meta content="charset=" charset="utf-8">`,
		"meta unclosed":       `<p><meta charset=utf-8`,
		"meta no boundary":    `<metax charset=gbk><meta charset=big5>`,
		"meta case":           `<MeTa CharSet="Shift_JIS">`,
		"meta long s":         "<meta chars\u017fet=gbk>",
		"meta kelvin":         "<meta charset=\u212aoi8-r>",
		"meta cut":            "<meta",
		"meta invalid bytes":  "<meta \xff charset=\xfe gbk><meta charset=\"big5\xff\">",
		"meta newline":        "<meta\ncharset\n=\n\"\nutf-8\">",
		"lt only":             "<<<<<",
		"meta after gt split": `<meta name="a>b" charset="big5">`,
	}
}

func TestDecodeFastPathMatchesReference(t *testing.T) {
	for name, s := range fastPathInputs() {
		checkDecodeSame(t, name, []byte(s))
	}
}

func TestDecodeFastPathMatchesReferenceOnCorpora(t *testing.T) {
	dir := corpus.Dir(t, ".")
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(p) {
		case ".html", ".htm", ".xml", ".rss", ".atom", ".txt":
		default:
			return nil
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		checkDecodeSame(t, rel, body)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d corpus files compared", n)
}

func TestDecodeCleanUTF8IsNotCopied(t *testing.T) {
	body := []byte("<p>网络安全 Café</p>\n" + strings.Repeat("text ", 100))
	out, label, err := DecodeHTML(body, "text/html; charset=utf-8")
	if err != nil || label != LabelUTF8 {
		t.Fatalf("label %q, err %v", label, err)
	}
	if !bytes.Equal(out, body) || &out[0] != &body[0] {
		t.Error("clean UTF-8 was copied")
	}
	// Appending to the result must not write into the caller's buffer.
	buf := make([]byte, len(body), len(body)+16)
	copy(buf, body)
	out, _, _ = DecodeHTML(buf, "")
	_ = append(out, "tail"...)
	if string(buf[:cap(buf)][len(body):len(body)+4]) == "tail" {
		t.Error("append to the result wrote into the body's spare capacity")
	}
}

// TestDecodeFastPathRandom compares on random inputs built from the pieces
// both paths branch on.
func TestDecodeFastPathRandom(t *testing.T) {
	pieces := []string{
		"a", "Z", " ", "\t", "\n", "\r", "\x00", "\x01", "\x1f", "\x7f", "\xc2", "\x80", "\x9f", "\xa0",
		"\xef\xbb\xbf", "\xff", "\xe4\xb8", "中", "é", "\u0085", "\uFFFD", "\u017f", "\u212a", "<", ">", "=",
		`"`, "'", "<meta", "<META ", "charset", "CHARSET=", "utf-8", "gbk", "abcdefghijklmnop",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b []byte
		for range rng.IntN(40) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		checkDecodeSame(t, fmt.Sprintf("%q", b), b)
		if t.Failed() {
			return
		}
	}
}

func FuzzDecodeFastPath(f *testing.F) {
	for _, s := range fastPathInputs() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecodeSame(t, "fuzz", body)
	})
}
