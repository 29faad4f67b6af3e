package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSourcesCheckReportsGoodAndBroken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<rss version="2.0"><channel><title>T</title><item><title>Data rules take effect</title><link>http://%s/a.html</link><pubDate>Mon, 23 Nov 2026 08:00:00 +0800</pubDate></item></channel></rss>`, r.Host)
		case "/a.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html lang="en"><head><meta property="article:published_time" content="2026-11-23T08:00:00+08:00"></head><body><article><h1>Data rules take effect</h1>`+
				strings.Repeat("<p>The new data security rules require a review before personal information leaves the country.</p>", 6)+`</article></body></html>`)
		case "/list.html":
			fmt.Fprint(w, `<html><body><div class="other">nothing here</div></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cat := fmt.Sprintf(`version: 1
sources:
  - {name: good, outlet: Test, kind: feed, url: %q, language: en}
  - name: broken-listing
    outlet: Test
    kind: listing
    url: %q
    language: en
    listing: {item: "ul.news li"}
`, srv.URL+"/feed.xml", srv.URL+"/list.html")
	p := filepath.Join(t.TempDir(), "sources.yaml")
	os.WriteFile(p, []byte(cat), 0o600)
	env := []string{"WIREWATCH_SOURCES_FILE=" + p, "WIREWATCH_FETCH_ALLOW_CIDRS=127.0.0.1/32"}
	out, _, code := runCmd(t, "", env, "sources", "check")
	if code != 1 {
		t.Errorf("exit %d with a broken source, want 1", code)
	}
	for _, want := range []string{"OK  good", "1 item(s)", "Data rules take effect", "BROKEN  broken-listing", "listing", "2 source(s) checked, 1 look broken"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runCmd(t, "", env, "sources", "check", "--source", "good")
	if code != 0 || !strings.Contains(out, "article: Data rules take effect") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
