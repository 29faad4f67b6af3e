package fetch

import (
	"errors"
	"net/url"
	"testing"

	"github.com/wirewatch/wirewatch/fetch/discover"
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
