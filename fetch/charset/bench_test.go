package charset

import (
	"strings"
	"sync"
	"testing"

	"github.com/wirewatch/wirewatch/fetch/extract/farmtest"
)

var farmOnce struct {
	sync.Once
	pages []farmtest.Page
}

// farmPages fetches article pages of the feed farm once per test binary.
func farmPages(tb testing.TB) []farmtest.Page {
	tb.Helper()
	farmOnce.Do(func() { farmOnce.pages = farmtest.Pages(tb, 20) })
	if farmOnce.pages == nil {
		tb.Skip("no feed farm pages (see the first benchmark's message)")
	}
	return farmOnce.pages
}

func benchDecodeFarm(b *testing.B, contentType func(farmtest.Page) string) {
	pages := farmPages(b)
	var n int64
	for _, p := range pages {
		n += int64(len(p.Body))
	}
	b.SetBytes(n / int64(len(pages)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pages[i%len(pages)]
		i++
		if _, _, err := DecodeHTML(p.Body, contentType(p)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeHTMLFarm decodes the feed farm's UTF-8 article pages with
// the Content-Type they are served with (charset=utf-8).
func BenchmarkDecodeHTMLFarm(b *testing.B) {
	benchDecodeFarm(b, func(p farmtest.Page) string { return p.ContentType })
}

// BenchmarkDecodeHTMLFarmMeta decodes the same pages served as plain
// "text/html": the <meta charset> declaration decides.
func BenchmarkDecodeHTMLFarmMeta(b *testing.B) {
	benchDecodeFarm(b, func(farmtest.Page) string { return "text/html" })
}

// BenchmarkDecodeHTMLNoDeclaration is the worst case of the <meta> scan: a
// 64 KiB head without any declaration.
func BenchmarkDecodeHTMLNoDeclaration(b *testing.B) {
	var s strings.Builder
	s.WriteString("<!DOCTYPE html><html><head><meta name=\"viewport\" content=\"width=device-width\"><title>t</title>")
	for s.Len() < 80<<10 {
		s.WriteString("<meta property=\"og:x\" content=\"y\"><link rel=\"preload\" href=\"/a.css\"><p class=\"c\">Some text, <b>bold</b> and a <a href=\"/x\">link</a>.</p>\n")
	}
	body := []byte(s.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeHTML(body, "text/html"); err != nil {
			b.Fatal(err)
		}
	}
}
