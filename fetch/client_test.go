package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

const rssFeed = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test &amp; feed</title><link>https://example.com/</link>
<item><title>First</title><link>/a/1?utm_source=rss</link><guid>g1</guid><pubDate>Tue, 04 Mar 2025 10:00:00 +0000</pubDate><description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description></item>
<item><title>Second</title><link>https://example.com/a/2#top</link><pubDate>2025-03-04 10:00:00</pubDate></item>
</channel></rss>`

func TestGetConditional(t *testing.T) {
	t.Parallel()
	var gotUA atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		gotUA.Store(r.Header.Get("User-Agent"))
		if r.Header.Get("If-None-Match") == `"v1"` || r.Header.Get("If-Modified-Since") == "Tue, 04 Mar 2025 10:00:00 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Tue, 04 Mar 2025 10:00:00 GMT")
		fmt.Fprint(w, "hello")
	}))
	c := newTestClient(t, testConfig())
	ctx := context.Background()

	r, err := c.Get(ctx, srv.URL+"/page", Conditional{})
	if err != nil {
		t.Fatal(err)
	}
	if r.NotModified || string(r.Body) != "hello" || r.ETag != `"v1"` || r.LastModified == "" {
		t.Fatalf("first GET: %+v", r)
	}
	if ua, _ := gotUA.Load().(string); !strings.HasPrefix(ua, "wirewatch/1.0 (+https://") {
		t.Fatalf("User-Agent %q", ua)
	}
	r2, err := c.Get(ctx, srv.URL+"/page", Conditional{ETag: r.ETag})
	if err != nil {
		t.Fatal(err)
	}
	if !r2.NotModified || r2.Status != 304 || r2.ETag != `"v1"` || len(r2.Body) != 0 {
		t.Fatalf("ETag GET: %+v", r2)
	}
	r3, err := c.Get(ctx, srv.URL+"/page", Conditional{LastModified: r.LastModified})
	if err != nil {
		t.Fatal(err)
	}
	if !r3.NotModified || r3.LastModified != r.LastModified {
		t.Fatalf("Last-Modified GET: %+v", r3)
	}
}

func TestPollFeed(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"f1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("ETag", `"f1"`)
		fmt.Fprint(w, rssFeed)
	}))
	c := newTestClient(t, testConfig())
	src := model.Source{ID: 1, Kind: model.KindFeed, URL: srv.URL + "/feed.xml", Language: "zh"}
	res, err := c.Poll(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Title != "Test & feed" || res.ETag != `"f1"` || len(res.Items) != 2 {
		t.Fatalf("poll: %+v", res)
	}
	it := res.Items[0]
	if it.URL != "https://example.com/a/1" || it.Title != "First" || it.Summary != "Hello world" || it.GUID != "g1" {
		t.Fatalf("item 0: %+v", it)
	}
	if it.Published == nil || !it.Published.Equal(time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("item 0 published %v", it.Published)
	}
	it = res.Items[1]
	if it.URL != "https://example.com/a/2" {
		t.Fatalf("item 1 URL %q", it.URL)
	}
	if it.Published == nil || it.Published.Format(time.RFC3339) != "2025-03-04T10:00:00+08:00" {
		t.Fatalf("zone-less date of a zh source: %v, want Beijing time", it.Published)
	}
	src.ETag = res.ETag
	res, err = c.Poll(context.Background(), src)
	if err != nil || !res.NotModified || res.Status != 304 || res.ETag != `"f1"` || len(res.Items) != 0 {
		t.Fatalf("second poll: %+v, %v", res, err)
	}
}

func TestGetStatusErrors(t *testing.T) {
	t.Parallel()
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/429":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/503":
			w.Header().Set("Retry-After", date)
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/404":
			http.NotFound(w, r)
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	cfg := testConfig()
	cfg.RespectRobots = false
	ctx := context.Background()
	tests := []struct {
		path, kind string
		status     int
		retry      time.Duration // approximate Retry-After from now; 0 none
	}{
		{"/404", KindHTTP4xx, 404, 0},
		{"/500", KindHTTP5xx, 500, 0},
		{"/429", KindRateLimited, 429, 120 * time.Second},
		{"/503", KindHTTP5xx, 503, 90 * time.Second},
	}
	var c *Client
	for _, tc := range tests {
		c = newTestClient(t, cfg) // a fresh client: 429/503 put the host in back-off
		_, err := c.Get(ctx, srv.URL+tc.path, Conditional{})
		var se *StatusError
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Fatalf("%s: error %v, want status %d", tc.path, err, tc.status)
		}
		if k := ErrorKind(err); k != tc.kind {
			t.Errorf("%s: kind %q, want %q", tc.path, k, tc.kind)
		}
		ra, ok := RetryAfter(err)
		if tc.retry == 0 {
			if ok {
				t.Errorf("%s: unexpected Retry-After %v", tc.path, ra)
			}
			continue
		}
		if !ok || time.Until(ra) < tc.retry-5*time.Second || time.Until(ra) > tc.retry+5*time.Second {
			t.Errorf("%s: Retry-After %v (in %v), want in about %v", tc.path, ra, time.Until(ra), tc.retry)
		}
	}
	// The host is now in back-off: no request goes out, the error says why.
	_, err := c.Get(ctx, srv.URL+"/404", Conditional{})
	if _, ok := RetryAfter(err); !ok || ErrorKind(err) != KindHTTP5xx {
		t.Fatalf("during back-off: %v (kind %s)", err, ErrorKind(err))
	}
}
