package fetch

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/wirewatch/wirewatch/internal/corpus"
	"github.com/wirewatch/wirewatch/model"
)

// TestGofeedConformance runs every feed of gofeed's own test data through our
// guarded layer: nothing may crash, and every feed gofeed itself parses must
// still parse through the pre-scan and transcoding.
func TestGofeedConformance(t *testing.T) {
	t.Parallel()
	dir := corpus.Dir(t, "gofeed/testdata")
	base, _ := url.Parse("https://example.com/feed")
	var total, ok, regressions int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, "_expected.json") {
			return nil
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		total++
		_, ourErr := ParseFeed(body, "", base, FeedOptions{})
		if ourErr == nil {
			ok++
			return nil
		}
		if !errors.Is(ourErr, ErrParse) && !errors.Is(ourErr, ErrNotFeed) {
			t.Errorf("%s: unclassified error %v", path, ourErr)
		}
		if _, rawErr := parseGofeed(body); rawErr == nil {
			regressions++
			t.Errorf("%s: gofeed parses it alone, our layer fails: %v", path, ourErr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total < 500 {
		t.Fatalf("only %d files found under %s", total, dir)
	}
	t.Logf("%d files, %d parsed, %d rejected (malformed or not feeds), %d regressions", total, ok, total-ok, regressions)
}

func TestGB2312Feed(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join(corpus.Dir(t, "rss-parser"), "encoding-gb2312.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"text/xml; charset=gb2312", "text/xml", "", "application/rss+xml; charset=utf-8"} {
		t.Run(ct, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				w.Write(body)
			}))
			cfg := testConfig()
			cfg.RespectRobots = false
			c := newTestClient(t, cfg)
			res, err := c.Poll(context.Background(), model.Source{Kind: model.KindFeed, URL: srv.URL + "/rss", Language: "zh"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Title != "新闻国内" || len(res.Items) != 20 {
				t.Fatalf("title %q, %d items", res.Title, len(res.Items))
			}
			it := res.Items[0]
			if it.Title != "习近平为何如此强调崇尚英雄？" || it.URL != "http://news.qq.com/a/20180918/009846.htm" {
				t.Errorf("first item %q %q", it.Title, it.URL)
			}
			if it.Published == nil || it.Published.Format(time.RFC3339) != "2018-09-18T14:38:10+08:00" {
				t.Errorf("first item published %v, want 2018-09-18T14:38:10+08:00", it.Published)
			}
			if !strings.HasPrefix(it.Summary, "编者按：历史是人民书写的") {
				t.Errorf("summary %q", it.Summary)
			}
			for i, it := range res.Items {
				if it.Published == nil || !strings.HasSuffix(it.Published.Format(time.RFC3339), "+08:00") {
					t.Errorf("item %d published %v", i, it.Published)
				}
				if strings.ContainsRune(it.Title, '\uFFFD') || it.Title == "" {
					t.Errorf("item %d title %q", i, it.Title)
				}
			}
		})
	}
	// Without a source language the feed's <language>zh-cn</language> decides.
	f, err := ParseFeed(body, "", nil, FeedOptions{})
	if err != nil || f.Items[0].Published == nil || f.Items[0].Published.Format(time.RFC3339) != "2018-09-18T14:38:10+08:00" {
		t.Fatalf("zone from <language>: %v", err)
	}
}

func TestParseFeedCases(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://www.example.cn/rss.xml")
	now := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, body string
		err        error
		check      func(t *testing.T, f *Feed)
	}{
		{name: "json null item", body: `{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[null]}`, err: ErrParse}, // gofeed panics
		{name: "json feed", body: `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"/p/1","title":"T &amp; <b>U</b>","content_html":"<p>x</p><script>evil()</script>","date_published":"2025-03-04T10:00:00+08:00","authors":[{"name":"Li"}]}]}`, check: func(t *testing.T, f *Feed) {
			if len(f.Items) != 1 || f.Items[0].URL != "https://www.example.cn/p/1" || f.Items[0].Summary != "x" || f.Items[0].Author != "Li" || f.Items[0].Title != "T & U" {
				t.Errorf("items %+v", f.Items)
			}
		}},
		{name: "atom", body: `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title type="html">&lt;i&gt;Hi&lt;/i&gt;</title><link rel="alternate" href="https://example.com/e1"/><id>urn:1</id><updated>2025-03-04T10:00:00Z</updated><author><name>Wang</name></author></entry></feed>`, check: func(t *testing.T, f *Feed) {
			if len(f.Items) != 1 || f.Items[0].Title != "Hi" || f.Items[0].GUID != "urn:1" || f.Items[0].Author != "Wang" {
				t.Errorf("items %+v", f.Items)
			}
		}},
		{name: "rdf", body: `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>R</title></channel><item><title>R1</title><link>https://example.com/r1</link><dc:date>2025-03-04T10:00:00+08:00</dc:date><dc:creator>Zhang</dc:creator></item></rdf:RDF>`, check: func(t *testing.T, f *Feed) {
			if len(f.Items) != 1 || f.Items[0].Author != "Zhang" || f.Items[0].Published == nil {
				t.Errorf("items %+v", f.Items)
			}
		}},
		{name: "implausible dates", body: `<rss version="2.0"><channel><item><title>old</title><link>https://e.com/1</link><pubDate>Mon, 01 Jan 1979 00:00:00 GMT</pubDate></item><item><title>future</title><link>https://e.com/2</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item></channel></rss>`, check: func(t *testing.T, f *Feed) {
			for _, it := range f.Items {
				if it.Published != nil {
					t.Errorf("%s: published %v kept", it.Title, it.Published)
				}
			}
		}},
		{name: "CST", body: `<rss version="2.0"><channel><item><title>cst</title><link>https://e.com/1</link><pubDate>Tue, 04 Mar 2025 10:00:00 CST</pubDate></item></channel></rss>`, check: func(t *testing.T, f *Feed) {
			if p := f.Items[0].Published; p == nil || p.Format(time.RFC3339) != "2025-03-04T10:00:00+08:00" {
				t.Errorf("CST on a .cn feed: %v", p)
			}
		}},
		{name: "links", body: `<rss version="2.0"><channel><item><title>no link</title></item><item><guid isPermaLink="true">https://e.com/g?utm_medium=x</guid></item><item><link>javascript:alert(1)</link></item><item><link>https://e.com/g</link></item></channel></rss>`, check: func(t *testing.T, f *Feed) {
			if len(f.Items) != 1 || f.Items[0].URL != "https://e.com/g" || f.Skipped != 3 {
				t.Errorf("items %+v skipped %d", f.Items, f.Skipped)
			}
		}},
		{name: "html page", body: `<html><head><title>x</title></head><body>no feed</body></html>`, err: ErrNotFeed},
		{name: "empty", body: "  \n", err: ErrNotFeed},
		{name: "plain text", body: "hello", err: ErrNotFeed},
		{name: "deep json", body: strings.Repeat("[", 200) + strings.Repeat("]", 200), err: ErrParse},
		{name: "too many items", body: "<rss><channel>" + strings.Repeat("<item><link>https://e.com/</link></item>", 5001) + "</channel></rss>", err: ErrParse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFeed([]byte(tc.body), "", base, FeedOptions{Location: SourceLocation("", base.String()), Now: now})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, f)
		})
	}
}

func TestPrescanXMLCountsLikeTheParser(t *testing.T) {
	t.Parallel()
	ok := `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "<a>">]><rss><!-- <a><a><a> --><channel><![CDATA[<a><a><a>]]><x a="<b>" b='/>'/><item><title>t</title></item></channel></rss>`
	if err := prescanXML([]byte(ok), 4, 10); err != nil {
		t.Fatalf("depth 4 document rejected: %v", err)
	}
	if err := prescanXML([]byte(ok), 3, 10); err == nil {
		t.Fatal("depth 4 document accepted with limit 3")
	}
	if err := prescanXML([]byte(`<rss><channel><item></item><atom:entry></atom:entry></channel></rss>`), 10, 1); err == nil {
		t.Fatal("two items accepted with limit 1")
	}
}

// (Alike by design: a map of input to want, as in the other table tests.)
func TestDropIllegalCharRefs(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a&#0;b":            "ab",
		"a&#x0;b&#X1F;c":    "abc",
		"&#65;&#x4e2d;":     "&#65;&#x4e2d;",
		"x&#xFFFE;&#55296;": "x",
		"&#9;&#10;&#13;":    "&#9;&#10;&#13;",
		"&#;&#x;&#0":        "&#;&#x;&#0",
		"&amp;#0;":          "&amp;#0;",
	} {
		if got := string(dropIllegalCharRefs([]byte(in))); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

// (Alike by design: a map of input to want, as in the other table tests.)
func TestPlainText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"<p>Hello <b>world</b></p><script>x()</script>": "Hello world",
		"x<y for all y":   "x<y for all y",
		"Tom &amp; Jerry": "Tom & Jerry",
		"a\x00b\x07c":     "abc",
		"  多个　空格\n\t换行 ":  "多个 空格 换行",
		"<![CDATA[x]]>":   "<![CDATA[x]]>",
	} {
		if got := PlainText(in, 0); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := PlainText("一二三四五", 3); got != "一二三" {
		t.Errorf("truncate: %q", got)
	}
}

func FuzzParseFeed(f *testing.F) {
	seeds := []string{rssFeed, `{"items":[null]}`, `{"version":"https://jsonfeed.org/version/1","items":[{"url":"/x"}]}`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="/e"/></entry></feed>`, "<rss><channel><item><title>&#0;</title>",
		`<?xml version="1.0" encoding="gb2312"?><rss><channel><title>` + "\xd6\xd0" + `</title></channel></rss>`}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	if dir := filepath.Join(corpus.Root(), "gofeed/testdata/parser/universal"); true {
		if ents, err := os.ReadDir(dir); err == nil {
			for _, e := range ents {
				if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && len(b) < 64<<10 {
					f.Add(b)
				}
			}
		}
	}
	base, _ := url.Parse("https://example.com/feed")
	f.Fuzz(func(t *testing.T, b []byte) {
		feed, err := ParseFeed(b, "", base, FeedOptions{MaxDepth: 50, MaxItems: 100})
		if err != nil {
			if !errors.Is(err, ErrParse) && !errors.Is(err, ErrNotFeed) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		for _, it := range feed.Items {
			if !strings.HasPrefix(it.URL, "http://") && !strings.HasPrefix(it.URL, "https://") {
				t.Fatalf("item URL %q", it.URL)
			}
			if strings.ContainsRune(it.Title+it.Summary+it.Author, 0) {
				t.Fatalf("NUL in item %+v", it)
			}
		}
	})
}

func BenchmarkParseFeed(b *testing.B) {
	var body []byte
	if m, err := os.ReadFile(filepath.Join(corpus.Root(), "rss-parser/encoding-gb2312.xml")); err == nil {
		body = m
	} else {
		body = []byte(rssFeed)
	}
	// A large feed: 2,000 items, ~1 MB.
	var big bytes.Buffer
	big.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>`)
	for i := range 2000 {
		big.WriteString(`<item><title>网络安全 headline number `)
		big.WriteString(strings.Repeat("x", i%50))
		big.WriteString(`</title><link>https://www.example.cn/a/` + strings.Repeat("1", i%7+1) + `/` + string(rune('a'+i%26)) + `.htm?utm_source=rss&amp;id=` + time.Duration(i).String() + `</link><pubDate>2025-03-04 10:00:00</pubDate><description>&lt;p&gt;` + strings.Repeat("摘要文本 ", 40) + `&lt;/p&gt;</description></item>`)
	}
	big.WriteString(`</channel></rss>`)
	base, _ := url.Parse("https://www.example.cn/rss.xml")
	for _, bc := range []struct {
		name string
		body []byte
	}{{"gb2312-20items", body}, {"utf8-2000items", big.Bytes()}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				if _, err := ParseFeed(bc.body, "", base, FeedOptions{Location: SourceLocation("zh", "")}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("gofeed-alone-utf8-2000items", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gofeed.NewParser().Parse(bytes.NewReader(big.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
	})
}
