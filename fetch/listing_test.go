package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

func TestParseListing(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/listing-gbk.html")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := url.Parse("https://www.example.cn/index.html")
	now := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
	l := &model.Listing{Item: "ul.list li", Link: "a", Date: ".date"}
	title, items, err := ParseListing(body, "text/html", page, l, ListingOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if title != "网信要闻 - 测试" {
		t.Errorf("title %q", title)
	}
	want := []struct{ url, title, date string }{
		{"https://www.example.cn/news/2025-03/04/c_1.htm", "网络安全法修订草案公开征求意见", "2025-03-04T10:00:00+08:00"},
		{"https://www.example.cn/tech/2025-03/03/c_2.htm", "数据出境安全评估办法解读", "2025-03-03T00:00:00+08:00"},
		{"https://other.example.com/a3", "External & one", ""},
	}
	if len(items) != len(want) {
		t.Fatalf("got %d items %+v, want %d", len(items), items, len(want))
	}
	for i, w := range want {
		it := items[i]
		if it.URL != w.url || it.Title != w.title {
			t.Errorf("item %d: %q %q, want %q %q", i, it.URL, it.Title, w.url, w.title)
		}
		got := ""
		if it.Published != nil {
			got = it.Published.Format(time.RFC3339)
		}
		if got != w.date {
			t.Errorf("item %d date %q, want %q", i, got, w.date)
		}
	}
}

func TestParseListingSelectors(t *testing.T) {
	t.Parallel()
	page, _ := url.Parse("http://example.com/list/")
	html := []byte(`<html><body><div class="news"><h3><a href="a1.html" title="T1">One</a></h3><time datetime="2025-03-04T08:00:00Z">4 March</time></div>
<a class="card" href="/c2"><span class="t">Two</span></a></body></html>`)
	now := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
	_, items, err := ParseListing(html, "", page, &model.Listing{Item: "div.news", Date: "time"}, ListingOptions{Now: now})
	if err != nil || len(items) != 1 || items[0].URL != "http://example.com/list/a1.html" || items[0].Title != "One" ||
		items[0].Published == nil || !items[0].Published.Equal(time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("container with first link: %+v, %v", items, err)
	}
	_, items, err = ParseListing(html, "", page, &model.Listing{Item: "a.card", Title: ".t"}, ListingOptions{Now: now})
	if err != nil || len(items) != 1 || items[0].URL != "http://example.com/c2" || items[0].Title != "Two" {
		t.Fatalf("item is the link: %+v, %v", items, err)
	}
	for _, l := range []*model.Listing{{Item: "ul.gone li"}, {Item: "div.news", Link: "a.nope"}} {
		_, _, err = ParseListing(html, "", page, l, ListingOptions{Now: now})
		if !errors.Is(err, ErrListingEmpty) || ErrorKind(err) != KindListingEmpty {
			t.Errorf("selectors %+v: %v, want ErrListingEmpty", l, err)
		}
	}
	if _, _, err = ParseListing(html, "", page, &model.Listing{Item: "div[[["}, ListingOptions{}); !errors.Is(err, ErrParse) {
		t.Errorf("bad selector: %v", err)
	}
	if _, _, err = ParseListing(html, "", page, nil, ListingOptions{}); err == nil {
		t.Error("nil listing accepted")
	}
}

func TestPollListing(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/listing-gbk.html")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=GBK")
		if r.URL.Path == "/empty" {
			w.Write([]byte("<html><body><p>redesigned</p></body></html>"))
			return
		}
		w.Write(body)
	}))
	c := newTestClient(t, testConfig())
	src := model.Source{Kind: model.KindListing, URL: srv.URL + "/list", Listing: &model.Listing{Item: "ul.list li", Date: ".date"}, RespectRobots: true}
	res, err := c.Poll(context.Background(), src)
	if err != nil || len(res.Items) != 3 || !strings.HasPrefix(res.Items[0].Title, "网络安全法") {
		t.Fatalf("poll listing: %+v, %v", res, err)
	}
	src.URL = srv.URL + "/empty"
	res, err = c.Poll(context.Background(), src)
	if !errors.Is(err, ErrListingEmpty) || res.Status != 200 {
		t.Fatalf("empty listing: %+v, %v", res, err)
	}
}

// A list whose items open with an image link takes the title from the text
// link to the same article, and keeps one item per article.
func TestListingImageLinkTakesTextTitle(t *testing.T) {
	t.Parallel()
	page, _ := url.Parse("https://www.chinadaily.com.cn/china")
	body := `<html><body>
<div class="x"><a href="/a/202612/05/WS1.html"><img src="p.jpg"></a><h4><a href="/a/202612/05/WS1.html">First story</a></h4></div>
<a href="/a/202612/04/WS2.html"><img src="q.jpg"></a><a href="/a/202612/04/WS2.html">Second story</a>
<a href="/china">China</a></body></html>`
	for _, l := range []*model.Listing{
		{Item: "div.x, a[href*='/a/']", LinkPattern: `/a/\d{6}/\d{2}/WS`},
		{Item: "a[href*='/a/']", DateFromURL: true},
	} {
		_, items, err := ParseListing([]byte(body), "text/html", page, l, ListingOptions{Now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 2 || items[0].Title != "First story" || items[1].Title != "Second story" {
			t.Fatalf("%+v: items %+v", l, items)
		}
		if l.DateFromURL && (items[0].Published == nil || items[0].Published.Day() != 5) {
			t.Fatalf("date from URL: %v", items[0].Published)
		}
	}
}
