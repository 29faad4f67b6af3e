package extract

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// FuzzFastExtract: the density pass never panics and returns valid UTF-8
// text; when its gate passes, the text is at least the gate's minimum.
func FuzzFastExtract(f *testing.F) {
	for _, s := range []string{
		`<article><p>` + string(bytes.Repeat([]byte("这是一段足够长的中文文字，用来测试。"), 20)) + `</p></article>`,
		`<div><p>a, b, c</p><p>d</p><a href=x>link</a><nav>n</nav></div>`,
		`<table><td><p>` + string(bytes.Repeat([]byte("word, "), 100)) + `</p></td></table>`,
		"<p>\xff\xfe broken, utf-8</p>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		root, err := html.Parse(bytes.NewReader(doc))
		if err != nil {
			return
		}
		r := fastExtract(bodyOf(root))
		if !utf8.ValidString(r.text) && utf8.Valid(doc) {
			t.Fatalf("invalid UTF-8 from valid input")
		}
		if r.ok && len(r.text) < gateMinBytes {
			t.Fatalf("gate passed %d bytes of text", len(r.text))
		}
	})
}
