package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSourcesCheckReportsGoodAndBroken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<rss version="2.0"><channel><title>T</title><item><title>Data rules take effect</title><link>http://%s/a.html</link><pubDate>%s</pubDate></item></channel></rss>`, r.Host, time.Now().Add(-2*time.Hour).Format(time.RFC1123Z))
		case "/a.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html lang="en"><head><meta property="article:published_time" content="2026-11-23T08:00:00+08:00"></head><body><article><h1>Data rules take effect</h1>`+
				strings.Repeat("<p>The new data security rules require a review before personal information leaves the country.</p>", 6)+`</article></body></html>`)
		case "/old.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<rss version="2.0"><channel><title>T</title><item><title>Old</title><link>http://%s/a.html</link><pubDate>%s</pubDate></item></channel></rss>`, r.Host, time.Now().Add(-300*24*time.Hour).Format(time.RFC1123Z))
		case "/wall.html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprint(w, `<html><body><script>document.cookie="__jsl_clearance=1;path=/";location.reload()</script></body></html>`)
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
	for _, want := range []string{"OK  good", "1 item(s)", "Data rules take effect", "BROKEN  broken-listing", "selectors: item matched 0", "next: the listing matches nothing", "2 source(s) checked: 1 ok, 1 broken; 1 look broken"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runCmd(t, "", env, "sources", "check", "--source", "good")
	if code != 0 || !strings.Contains(out, "article: Data rules take effect") {
		t.Errorf("exit %d:\n%s", code, out)
	}

	// --json: one object per source with its state and the next step.
	cat2 := fmt.Sprintf(`version: 1
sources:
  - {name: old, outlet: Test, kind: feed, url: %q, language: en}
  - {name: wall, outlet: Test, kind: listing, url: %q, language: en, listing: {item: li}}
`, srv.URL+"/old.xml", srv.URL+"/wall.html")
	p2 := filepath.Join(t.TempDir(), "sources.yaml")
	os.WriteFile(p2, []byte(cat2), 0o600)
	env2 := []string{"WIREWATCH_SOURCES_FILE=" + p2, "WIREWATCH_FETCH_ALLOW_CIDRS=127.0.0.1/32"}
	out, _, code = runCmd(t, "", env2, "sources", "check", "--json", "--articles", "0")
	if code != 1 {
		t.Errorf("exit %d with stale and challenged sources, want 1", code)
	}
	got := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON lines: %v\n%s", err, out)
		}
		got[m["name"].(string)] = m
	}
	if o := got["old"]; o["state"] != "stale" || o["status"] != 200.0 || o["items"] != 1.0 || o["newest_age_hours"].(float64) < 300*24-1 || o["next_step"] == "" {
		t.Errorf("old: %v", o)
	}
	if w := got["wall"]; w["state"] != "challenge" || w["status"] != 412.0 || w["items"] != 0.0 || !strings.Contains(w["next_step"].(string), "cookies: true") {
		t.Errorf("wall: %v", w)
	}
}
