package charset

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/wirewatch/wirewatch/internal/corpus"
)

func checkClean(t testing.TB, name string, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Errorf("%s: output is not valid UTF-8", name)
	}
	for _, c := range out {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			t.Errorf("%s: output holds control byte %#x", name, c)
			break
		}
	}
}

func baseLabel(l string) string {
	if i := strings.IndexByte(l, ' '); i >= 0 {
		return l[:i]
	}
	return l
}

func TestDecodeHTMLTable(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("<p>网络安全法实施条例发布，国家互联网信息办公室负责人答记者问。</p>")
	big5, _ := traditionalchinese.Big5.NewEncoder().String("<p>網路安全法實施條例發布，國家互聯網信息辦公室負責人答記者問，說明個人資料保護。</p>")
	pad := "<!--" + strings.Repeat("x", 3000) + "-->"
	tests := []struct {
		name, ct, body, want, label string
	}{
		{"utf8 plain", "", "<p>Café 中文</p>", "Café 中文", "utf-8"},
		{"header gbk", "text/html; charset=GBK", gbk, "网络安全法", "gb18030"},
		{"header gb2312 quoted", `text/html; charset="gb2312"`, gbk, "网络安全法", "gb18030"},
		{"meta http-equiv after 1024", "text/html", "<html><head>" + pad + `<meta http-equiv="Content-Type" content="text/html; charset=gb2312">` + "</head>" + gbk, "国家互联网信息办公室", "gb18030"},
		{"meta charset big5", "", `<meta charset='big5'>` + big5, "網路安全法", "big5"},
		{"undeclared gbk", "", "<html>" + gbk + gbk, "负责人答记者问", "gb18030"},
		{"undeclared big5", "", "<html>" + big5 + big5, "個人資料保護", "big5"},
		{"undeclared latin", "", "<p>Caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve \x93quotes\x94.</p>", "Café crème brûlée", "windows-1252"},
		{"lying utf-8 meta", "", `<meta charset="utf-8">` + gbk, "网络安全法", "gb18030"},
		{"lying utf-8 header", "text/html; charset=utf-8", gbk, "网络安全法", "gb18030"},
		{"legacy label on utf-8 bytes", "text/html; charset=iso-8859-1", "<p>Café 中文</p>", "Café 中文", "utf-8"},
		{"bom utf-8 overrides header", "text/html; charset=gbk", "\xef\xbb\xbf<p>Café</p>", "<p>Café", "utf-8"},
		{"bom utf-16le", "", "\xff\xfe<\x00p\x00>\x00\xe9\x00", "<p>é", "utf-16le"},
		{"nul and controls removed", "", "a\x00b\x01c\td\r\ne\x1b", "abc\td\r\ne", "utf-8"},
		{"invalid utf-8 replaced", "text/html; charset=utf-8", "ok \xff\xfe end, otherwise English", "ok \uFFFD", "utf-8"},
		{"unknown label falls back", "text/html; charset=bogus", "<p>Café</p>", "Café", "utf-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, label, err := DecodeHTML([]byte(tc.body), tc.ct)
			if err != nil {
				t.Fatal(err)
			}
			checkClean(t, tc.name, out)
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output %q does not contain %q", out, tc.want)
			}
			if baseLabel(label) != tc.label {
				t.Errorf("label = %q, want %q", label, tc.label)
			}
		})
	}
	if _, _, err := DecodeHTML(nil, ""); err == nil {
		t.Error("empty body: want ErrEmpty")
	}
}

func TestDecodeXMLRewritesProlog(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(`<?xml version="1.0" encoding="gb2312"?><rss><title>新闻国内</title></rss>`)
	out, label, err := DecodeXML([]byte(gbk), "")
	if err != nil {
		t.Fatal(err)
	}
	if label != "gb18030" {
		t.Errorf("label = %q", label)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><rss><title>新闻国内</title></rss>`
	if string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

var (
	reExpect     = regexp.MustCompile(`Expect:\s*(.*)`)
	reHeader     = regexp.MustCompile(`Header:\s*Content-type:\s*(.*)`)
	reExpectEnc  = regexp.MustCompile(`encoding == '([^']+)'`)
	reHexEscape  = regexp.MustCompile(`\\x([0-9a-fA-F]{2})`)
	reExpectText = regexp.MustCompile(`(?:description|title|summary)'?\]? == '((?:[^'\\]|\\.)*)'`)
)

// TestFeedparserEncodingCorpus decodes kurtmckee/feedparser's encoding cases.
// Each file states in its header comment the Content-Type it is served with
// and the encoding (or decoded text) expected. A case passes when our output
// equals the file decoded with the expected encoding, or, for text
// expectations, holds the expected non-ASCII characters. Cases feedparser
// marks "bozo" (broken on purpose) must only come out clean.
func TestFeedparserEncodingCorpus(t *testing.T) {
	dir := corpus.Dir(t, "feedparser/tests")
	var files []string
	for _, pat := range []string{"encoding/*.xml", "illformed/*.xml", "illformed/chardet/*.xml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	if len(files) < 80 {
		t.Fatalf("found only %d feedparser files", len(files))
	}
	checked := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		meta := string(bytes.ReplaceAll(body, []byte{0}, nil))
		var ct, expect string
		if m := reHeader.FindStringSubmatch(meta); m != nil {
			ct = strings.TrimSpace(m[1])
		}
		if m := reExpect.FindStringSubmatch(meta); m != nil {
			expect = m[1]
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		out, label, err := DecodeXML(body, ct)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkClean(t, name, out)
		bozo := strings.HasPrefix(expect, "bozo")
		if m := reExpectEnc.FindStringSubmatch(expect); m != nil {
			want := strings.ToLower(m[1])
			if bozo && want != "gb2312" && want != "big5" {
				// Undeclared Japanese, Korean, Thai, Cyrillic, Hebrew: outside
				// what the statistical check is meant to tell apart.
				continue
			}
			enc := lookup(want)
			if enc == nil {
				t.Errorf("%s: test cannot look up %q", name, want)
				continue
			}
			c, _ := sniffBOM(body)
			c.enc = enc
			ref, err := decode(body, c)
			if err != nil {
				t.Fatal(err)
			}
			ref = rewritePrologUTF8(ref)
			if !bytes.Equal(out, ref) {
				t.Errorf("%s: decoded as %q, but the file expects %s:\n got %q\nwant %q", name, label, want, trim(out), trim(ref))
			}
			checked++
			continue
		}
		if m := reExpectText.FindStringSubmatch(expect); m != nil && !bozo && hasMultibyteUTF8(body) {
			// Python's \xNN is a code point, Go's a byte.
			py := reHexEscape.ReplaceAllString(m[1], `\u00$1`)
			want, err := strconv.Unquote(`"` + strings.ReplaceAll(py, `"`, `\"`) + `"`)
			if err != nil {
				t.Fatalf("%s: unquote %q: %v", name, m[1], err)
			}
			for _, r := range want {
				if r >= 0x80 && !strings.ContainsRune(string(out), r) {
					t.Errorf("%s (label %q): output lacks %q of expected %q:\n%s", name, label, r, want, trim(out))
				}
			}
			checked++
		}
	}
	if checked < 50 {
		t.Errorf("only %d cases checked", checked)
	}
	t.Logf("%d feedparser files, %d with an encoding or text expectation checked", len(files), checked)
}

func trim(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return string(b)
}

func TestMinifluxEncodingCorpus(t *testing.T) {
	dir := corpus.Dir(t, "miniflux/internal/reader")
	tests := []struct {
		file  string
		html  bool
		want  []string
		label string
	}{
		{"encoding/testdata/utf8.html", true, []string{"<title>Café</title>"}, "utf-8"},
		{"encoding/testdata/utf8-meta-after-1024.html", true, []string{"Café"}, "utf-8"},
		{"encoding/testdata/iso-8859-1.html", true, []string{"Frédéric", "Café"}, "windows-1252"},
		{"encoding/testdata/iso-8859-1-meta-after-1024.html", true, []string{"Café"}, "windows-1252"},
		{"encoding/testdata/utf8.xml", false, []string{"테스트 피드", "Café"}, "utf-8"},
		{"encoding/testdata/utf8-incorrect-prolog.xml", false, []string{"테스트 피드", "Café"}, "utf-8"},
		{"encoding/testdata/invalid-prolog.xml", false, []string{"테스트 피드", "Café"}, "utf-8"},
		{"encoding/testdata/iso-8859-1.xml", false, []string{"Café", "Présentation"}, "windows-1252"},
		{"encoding/testdata/windows-1252.xml", false, []string{"Euro €"}, "windows-1252"},
		{"encoding/testdata/windows-1252-incorrect-prolog.xml", false, []string{"Euro €"}, "utf-8"},
		{"encoding/testdata/koi8r.xml", false, []string{"Пример RSS ленты"}, "koi8-r"},
		{"parser/testdata/encoding_WINDOWS-1251.xml", false, []string{"Новый цитатник Рунета"}, "windows-1251"},
		{"parser/testdata/encoding_ISO-8859-1.xml", false, []string{"Golem.de"}, "windows-1252"},
		{"parser/testdata/no_encoding_ISO-8859-1.xml", false, []string{"Le Cercle Psy"}, "windows-1252"},
		{"parser/testdata/urdu_UTF8.xml", false, nil, "utf-8"},
		{"parser/testdata/large_rss.xml", false, nil, "utf-8"},
	}
	for _, tc := range tests {
		body, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		decodeFn := DecodeXML
		if tc.html {
			decodeFn = DecodeHTML
		}
		out, label, err := decodeFn(body, "")
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		checkClean(t, tc.file, out)
		if baseLabel(label) != tc.label {
			t.Errorf("%s: label %q, want %q", tc.file, label, tc.label)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: output lacks %q", tc.file, w)
			}
		}
		if !tc.html && bytes.Contains(out[:min(len(out), 200)], []byte("encoding=")) && !bytes.Contains(out[:min(len(out), 200)], []byte(`encoding="UTF-8"`)) {
			t.Errorf("%s: prolog still declares a non-UTF-8 encoding: %q", tc.file, trim(out))
		}
	}
}

func TestRSSParserGB2312(t *testing.T) {
	dir := corpus.Dir(t, "rss-parser")
	body, err := os.ReadFile(filepath.Join(dir, "encoding-gb2312.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"", "text/xml", "application/rss+xml; charset=gb2312", "text/xml; charset=GBK"} {
		out, label, err := DecodeXML(body, ct)
		if err != nil {
			t.Fatal(err)
		}
		checkClean(t, "encoding-gb2312.xml", out)
		if label != "gb18030" {
			t.Errorf("content type %q: label %q, want gb18030", ct, label)
		}
		for _, w := range []string{`encoding="UTF-8"`, "<title>新闻国内</title>", "习近平"} {
			if !strings.Contains(string(out), w) {
				t.Errorf("content type %q: output lacks %q", ct, w)
			}
		}
		if n := strings.Count(string(out), "\uFFFD"); n > 0 {
			t.Errorf("content type %q: %d replacement characters", ct, n)
		}
	}
}

func FuzzDecodeHTML(f *testing.F) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("<p>网络安全</p>")
	for _, s := range []string{"", "<p>hi</p>", "\xff\xfe<\x00", "\x00\x00\xfe\xff", gbk, `<meta charset="utf-8">` + gbk, "<?xml version='1.0' encoding='utf-16'?>", "a\x00\x01\x02\xed\xa0\x80"} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "text/html; charset=gbk")
	}
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		for _, fn := range []func([]byte, string) ([]byte, string, error){DecodeHTML, DecodeXML} {
			out, _, err := fn(body, ct)
			if err != nil {
				if len(body) == 0 {
					continue
				}
				t.Fatalf("error on non-empty input: %v", err)
			}
			checkClean(t, "fuzz", out)
		}
	})
}

func BenchmarkDecodeHTMLGBK(b *testing.B) {
	page, _ := simplifiedchinese.GBK.NewEncoder().String(strings.Repeat("<p>网络安全法实施条例发布，国家互联网信息办公室负责人答记者问。</p>\n", 2000))
	body := []byte(page)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, err := DecodeHTML(body, ""); err != nil {
			b.Fatal(err)
		}
	}
}
