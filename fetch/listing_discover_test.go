package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/fetch/discover"
	"github.com/wirewatch/wirewatch/model"
)

// A listing source without selectors gets its article links from the page;
// a page without any is reported as an empty listing.
func TestParseListingWithoutSelectors(t *testing.T) {
	page := []byte(`<html><head><title>时政_新华网</title></head><body>
<ul class="nav"><li><a href="/politics/">时政</a></li><li><a href="/world/index.htm">国际</a></li></ul>
<ul class="list">
<li><a href="/politics/2025-03/04/c_1130001.htm">网信办发布数据出境安全评估办法</a></li>
<li><a href="/politics/2025-03/04/c_1130002.htm?utm_source=home">个人信息保护认证实施规则公布</a></li>
</ul></body></html>`)
	u, _ := url.Parse("http://www.news.cn/politics/")
	prof := discover.NewProfile()
	title, items, err := ParseListing(page, "text/html; charset=utf-8", u, nil, ListingOptions{Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	if title != "时政_新华网" || len(items) != 2 {
		t.Fatalf("title %q, items %+v", title, items)
	}
	if items[0].URL != "http://www.news.cn/politics/2025-03/04/c_1130001.htm" || items[0].Title != "网信办发布数据出境安全评估办法" {
		t.Errorf("first item %+v", items[0])
	}
	if items[1].URL != "http://www.news.cn/politics/2025-03/04/c_1130002.htm" {
		t.Errorf("second item not canonical: %+v", items[1])
	}
	_, _, err = ParseListing([]byte(`<html><body><a href="/politics/">时政</a></body></html>`), "", u, nil, ListingOptions{})
	if !errors.Is(err, ErrListingEmpty) {
		t.Errorf("page without articles: error %v, want ErrListingEmpty", err)
	}
}

// Polls of one listing source without selectors share what they learn: a
// kind of address first seen in a list of articles is recognised on a
// later poll where it stands alone.
func TestPollListingLearns(t *testing.T) {
	t.Parallel()
	poll := 0
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		poll++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>World</title></head><body><nav><a href="/news/">News</a> <a href="/about/">About</a></nav>`)
		if poll == 1 {
			fmt.Fprint(w, `<ul class="latest">
<li><a href="/news/world/leaders-meet-123456.html">Leaders meet in Beijing for talks on trade</a></li>
<li><a href="/news/world/summit-ends-123457.html">Summit ends with a joint statement on climate</a></li>
<li><a href="/news/world/ministers-sign-deal.html">Ministers sign a deal on cross-border data</a></li>
</ul>`)
		} else {
			fmt.Fprint(w, `<div class="feature"><a href="/news/world/regulator-issues-rules.html">Regulator issues new rules on data security</a></div>`)
		}
		fmt.Fprint(w, `</body></html>`)
	}))
	c := newTestClient(t, testConfig())
	src := model.Source{ID: 1, Kind: model.KindListing, URL: srv.URL + "/news/world/", Language: "en"}
	res, err := c.Poll(context.Background(), src)
	if err != nil || len(res.Items) != 3 || res.Title != "World" {
		t.Fatalf("first poll: %+v, %v", res, err)
	}
	// A fresh client has learned nothing: the lone link is not enough.
	if _, err := newTestClient(t, testConfig()).Poll(context.Background(), src); !errors.Is(err, ErrListingEmpty) {
		t.Fatalf("second page on a fresh client: error %v, want ErrListingEmpty", err)
	}
	res, err = c.Poll(context.Background(), src)
	if err != nil || len(res.Items) != 1 || !strings.HasSuffix(res.Items[0].URL, "/news/world/regulator-issues-rules.html") {
		t.Fatalf("third poll: %+v, %v", res, err)
	}
}
