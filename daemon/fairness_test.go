package daemon_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// outletLog records the order in which article pages were fetched across
// two loopback outlets.
type outletLog struct {
	mu    sync.Mutex
	order []string // "a" or "b", one per article fetched
	aSeen int
	ready chan struct{} // closed when outlet a has served its 3rd article
}

func (l *outletLog) article(name string, w http.ResponseWriter, path string) {
	l.mu.Lock()
	l.order = append(l.order, name)
	if name == "a" {
		l.aSeen++
		if l.aSeen == 3 {
			close(l.ready)
		}
	}
	l.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<html lang="en"><head><title>%s</title></head><body><article>`, path)
	for i := range 5 {
		fmt.Fprintf(w, "<p>Paragraph %d: the regulator issued rules on data security and cross-border transfers for companies.</p>", i)
	}
	io.WriteString(w, `</article></body></html>`)
}

func feedOf(w http.ResponseWriter, base string, n int) {
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f</title><link>%s</link>`, base)
	for k := range n {
		fmt.Fprintf(w, `<item><title>Story %d</title><link>%s/article/%d.html</link><pubDate>Mon, 23 Nov 2026 08:00:00 +0800</pubDate></item>`, k, base, k)
	}
	io.WriteString(w, `</channel></rss>`)
}

// outletServer serves a feed of n articles at /feed.xml (once wait is
// closed, when wait is not nil) and the articles, logged under name.
func outletServer(t *testing.T, log *outletLog, name string, n int, wait <-chan struct{}) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/feed.xml":
			if wait != nil {
				select {
				case <-wait:
				case <-r.Context().Done():
					return
				}
			}
			feedOf(w, srv.URL, n)
		case strings.HasPrefix(r.URL.Path, "/article/"):
			log.article(name, w, r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// One outlet delivers 5,000 articles (the most a feed may hold) and its
// host allows 5 fetches a second; a second outlet publishes one article
// while that backlog is being worked. The newcomer must be fetched before
// the backlog's 20th article, not after the 5,000 (counted, not timed).
func TestOneOutletCannotStarveAnother(t *testing.T) {
	db := storetest.New(t)
	log := &outletLog{ready: make(chan struct{})}
	a := outletServer(t, log, "a", 5000, nil)
	// b publishes once a's backlog is being fetched.
	b := outletServer(t, log, "b", 1, log.ready)

	cfg := testConfig(db)
	cfg.Fetch.HostRate = 5
	cfg.Fetch.HostBurst = 1
	cfg.Fetch.HostConcurrency = config.DefaultFetch().HostConcurrency
	cfg.Fetch.MaxFeedItems = 5000
	cfg.SourcesFile = catalogue(t, []config.SourceSpec{
		{Name: "big", Outlet: "Big Outlet", Kind: "feed", URL: a.URL + "/feed.xml", Language: "en", Interval: time.Hour},
		{Name: "small", Outlet: "Small Outlet", Kind: "feed", URL: b.URL + "/feed.xml", Language: "en", Interval: time.Hour},
	})
	ctx, cancel := context.WithCancel(context.Background())
	d := newDaemon(t, ctx, cfg, db, "r1")
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	pos := func() (bPos, aCount int) {
		log.mu.Lock()
		defer log.mu.Unlock()
		for i, o := range log.order {
			if o == "b" && bPos == 0 {
				bPos = i + 1
			}
			if o == "a" {
				aCount++
			}
		}
		return bPos, aCount
	}
	waitFor(t, 60*time.Second, "the small outlet's article or 20 of the big one's", func() bool {
		bp, ac := pos()
		return bp > 0 || ac >= 20
	})
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE canonical_url LIKE $1`, a.URL+"%"); n != 5000 {
		t.Fatalf("the big outlet queued %d articles, want 5000", n)
	}
	bp, _ := pos()
	log.mu.Lock()
	defer log.mu.Unlock()
	aBefore := 0
	for _, o := range log.order {
		if o == "b" {
			break
		}
		aBefore++
	}
	if bp == 0 || aBefore >= 20 {
		t.Fatalf("the small outlet's article was not fetched before the big outlet's 20th (%d of the big one's fetched first)", aBefore)
	}
	t.Logf("the small outlet's article came after %d of the big outlet's", aBefore)
}
