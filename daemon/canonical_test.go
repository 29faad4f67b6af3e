package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// Links that lead to one story (a rel=canonical alias, a redirect) make one
// article; a source that opted out of robots.txt has its article pages
// fetched even where robots.txt disallows them; the revision records the
// page's charset.
func TestCanonicalDedupAndRobotsOptOut(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	var srv *httptest.Server
	page := func(w http.ResponseWriter, title, canonical string) {
		w.Header().Set("Content-Type", "text/html; charset=gbk")
		link := ""
		if canonical != "" {
			link = fmt.Sprintf(`<link rel="canonical" href="%s">`, canonical)
		}
		fmt.Fprintf(w, `<html lang="en"><head><title>%s</title>%s</head><body><article><h1>%s</h1>%s</article></body></html>`,
			title, link, title, strings.Repeat("<p>The ministry said the export control list now covers advanced chips and chip-making tools.</p>", 5))
	}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title>`)
			for _, p := range []string{"/story/1", "/alias/1", "/go/1", "/private/2"} {
				fmt.Fprintf(w, `<item><title>Item %s</title><link>%s%s</link></item>`, p, srv.URL, p)
			}
			fmt.Fprint(w, `</channel></rss>`)
		case "/story/1":
			page(w, "Story one", "")
		case "/alias/1":
			page(w, "Story one", "/story/1")
		case "/go/1":
			http.Redirect(w, r, "/story/1", http.StatusMovedPermanently)
		case "/private/2":
			page(w, "Story two", "")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, []config.SourceSpec{{Name: "s", Outlet: "O", Kind: "feed", URL: srv.URL + "/feed.xml", Language: "en", Interval: time.Hour}})
	appendFile(t, cfg.SourcesFile, "")
	// robots: false for the source (the catalogue helper writes no robots key).
	if err := replaceInFile(cfg.SourcesFile, "interval: 1h0m0s}", "interval: 1h0m0s, robots: false}"); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, ctx, cfg, db, "replica-canon")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles`); n != 2 {
		rows, _ := db.Store.Pool.Query(ctx, `SELECT canonical_url FROM articles`)
		var urls []string
		for rows.Next() {
			var u string
			rows.Scan(&u)
			urls = append(urls, u)
		}
		t.Fatalf("%d articles, want 2 (one story under three links, one robots-disallowed page): %v", n, urls)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE canonical_url = $1 AND fetch_state = 'fetched'`, srv.URL+"/story/1"); n != 1 {
		t.Errorf("story one not stored under its canonical URL")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE canonical_url = $1 AND extract_method <> 'summary'`, srv.URL+"/private/2"); n != 1 {
		t.Errorf("the page robots.txt disallows was not fetched although the source opted out")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM article_revisions WHERE raw_charset <> ''`); n != 2 {
		t.Errorf("%d revisions record their charset, want 2", n)
	}
}
