package fetch

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/model"
)

// A listing page with more items than fetch.max_feed_items keeps the first
// max_feed_items and counts the rest as dropped.
func TestListingItemCap(t *testing.T) {
	t.Parallel()
	const n, limit = 1200, 100
	var page strings.Builder
	page.WriteString("<html><head><title>list</title></head><body><ul class=list>")
	for i := range n {
		fmt.Fprintf(&page, `<li><a href="/2026/1201/a%d.html">Article number %d</a></li>`, i, i)
	}
	page.WriteString("</ul></body></html>")
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page.String()))
	}))
	cfg := testConfig()
	cfg.MaxFeedItems = limit
	reg := prometheus.NewRegistry()
	c := newTestClientOn(t, cfg, reg)
	for _, l := range []*model.Listing{{Item: "ul.list li"}, nil} {
		src := model.Source{Name: "big", Kind: model.KindListing, URL: srv.URL + "/list", Listing: l}
		res, err := c.Poll(context.Background(), src)
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		if len(res.Items) != limit || res.Dropped != n-limit {
			t.Errorf("listing %v: %d items, %d dropped; want %d and %d", l, len(res.Items), res.Dropped, limit, n-limit)
		}
	}
	if got := counterValue(t, reg, "wirewatch_listing_items_dropped_total"); got != 2*(n-limit) {
		t.Errorf("wirewatch_listing_items_dropped_total = %v, want %d", got, 2*(n-limit))
	}
}

// An article page's <title> is cut to 1,000 runes, like a feed title.
func TestArticleTitleCap(t *testing.T) {
	t.Parallel()
	title := strings.Repeat("网络安全", 100_000)
	page := "<html><head><title>" + title + "</title></head><body><article><p>" +
		strings.Repeat("国家网信办发布网络数据安全管理条例。", 40) + "</p></article></body></html>"
	out, err := extract.Extract([]byte(page), "https://example.cn/a.html", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(out.Title); n > extract.MaxTitleRunes || n == 0 {
		t.Errorf("title of %d runes, want 1..%d", n, extract.MaxTitleRunes)
	}
	byline := strings.Repeat("x", 100_000)
	page = `<html><head><title>t</title><meta name="author" content="` + byline + `"></head><body><article><p>` +
		strings.Repeat("国家网信办发布网络数据安全管理条例。", 40) + "</p></article></body></html>"
	if out, err = extract.Extract([]byte(page), "https://example.cn/a.html", nil); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(out.Byline); n > extract.MaxBylineRunes {
		t.Errorf("byline of %d runes, want at most %d", n, extract.MaxBylineRunes)
	}
	if s := extract.FromSummary(title, "x"); utf8.RuneCountInString(s.Title) > extract.MaxTitleRunes {
		t.Errorf("FromSummary title of %d runes", utf8.RuneCountInString(s.Title))
	}
}

// counterValue reads an unlabelled counter from a registry.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
