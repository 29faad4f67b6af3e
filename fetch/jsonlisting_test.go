package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

func TestParseJSONListing(t *testing.T) {
	t.Parallel()
	page, _ := url.Parse("https://www.miit.gov.cn/search-front-server/api/search/info?p=1")
	// The shape of MIIT's search API (RSSHub gov/miit/zcwj.ts): entries
	// under data.searchResult.dataResults, each with groupData[0].data.
	body := `{"success":true,"data":{"searchResult":{"dataResults":[
	 {"groupData":[{"data":{"title":"关于<em>网络安全</em>的通知","url":"/zwgk/zcwj/wjfb/tz/art/2026/art_1.html","deploytime":"1764900000000"}}]},
	 {"groupData":[{"data":{"title":"第二份","url":"https://www.miit.gov.cn/zwgk/zcwj/wjfb/tz/art/2026/art_2.html","deploytime":1764800000000}}]},
	 {"groupData":[{"data":{"title":"no link"}}]},
	 {"groupData":[{"data":{"title":"navigation","url":"/search/index.html"}}]}]}}}`
	l := &model.Listing{Format: model.ListingFormatJSON, Item: "data.searchResult.dataResults", Link: "groupData.0.data.url",
		Title: "groupData.0.data.title", Date: "groupData.0.data.deploytime", LinkPattern: `/art/\d{4}/art_`}
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	r, err := ParseJSONListing([]byte(body), page, l, ListingOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Items) != 2 || r.Stats.Containers != 4 || r.Stats.Dated != 2 {
		t.Fatalf("items %+v stats %+v", r.Items, r.Stats)
	}
	if r.Items[0].URL != "https://www.miit.gov.cn/zwgk/zcwj/wjfb/tz/art/2026/art_1.html" || !strings.Contains(r.Items[0].Title, "网络安全") || strings.Contains(r.Items[0].Title, "<em>") {
		t.Fatalf("first item %+v", r.Items[0])
	}
	if got := r.Items[1].Published.Unix(); got != 1764800000 {
		t.Fatalf("millisecond date read as %d", got)
	}
	if _, err := ParseJSONListing([]byte(`{"data":{}}`), page, l, ListingOptions{Now: now}); !errors.Is(err, ErrListingEmpty) {
		t.Fatalf("missing array: %v", err)
	}
	if _, err := ParseJSONListing([]byte(`<html>`), page, l, ListingOptions{Now: now}); !errors.Is(err, ErrParse) {
		t.Fatalf("not JSON: %v", err)
	}
}

func TestDateFromURL(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"https://www.cac.gov.cn/2026-12/05/c_1.htm":              "2026-12-05",
		"https://www.chinadaily.com.cn/a/202612/05/WS6751a.html": "2026-12-05",
		"https://en.people.cn/n3/2026/1204/c90000-20000000.html": "2026-12-04",
		"https://www.news.cn/politics/20261203/abc/c.html":       "2026-12-03",
		"https://www.globaltimes.cn/page/202612/1336000.shtml":   "",
		"https://www.news.cn/politics/20261399/abc/c.html":       "",
	} {
		got := DateFromURL(in, time.UTC, now)
		if (got == nil) != (want == "") || (got != nil && got.Format("2006-01-02") != want) {
			t.Errorf("%s: got %v, want %q", in, got, want)
		}
	}
}

// A news.cn page whose list is filled by script: the poll reads the data
// file the page names.
func TestListingFollowsNewsCNDataFile(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/politics/":
			fmt.Fprint(w, `<html><body><ul class="wz-list" data="datasource:abc123"></ul></body></html>`)
		case "/politics/ds_abc123.json":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"datasource":[{"title":"时政要闻","publishUrl":"20261205/x1/c.html","publishTime":"%s"}]}`, time.Now().Format("2006-01-02 15:04:05"))
		default:
			http.NotFound(w, r)
		}
	}))
	cfg := testConfig()
	cfg.RespectRobots = false
	c := newTestClient(t, cfg)
	res, err := c.Poll(context.Background(), model.Source{Name: "xh", Kind: model.KindListing, URL: srv.URL + "/politics/", Language: "zh",
		Listing: &model.Listing{Item: ".wz-list li", DataSource: "ul.wz-list"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].URL != srv.URL+"/politics/20261205/x1/c.html" || res.Items[0].Published == nil {
		t.Fatalf("items %+v", res.Items)
	}
}

func FuzzParseJSONListing(f *testing.F) {
	f.Add(`{"datasource":[{"title":"t","publishUrl":"a/b.html","publishTime":"2026-12-05 10:00:00"}]}`, "datasource")
	f.Add(`[{"url":"/x","title":"y","date":1764900000000}]`, "")
	f.Add(`{"data":{"list":[[1,2],{"url":3}]}}`, "data.list.0")
	page, _ := url.Parse("https://www.news.cn/politics/")
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body, item string) {
		l := &model.Listing{Format: model.ListingFormatJSON, Item: item, Link: "publishUrl", Title: "title", Date: "publishTime", DateFromURL: true}
		r, err := ParseJSONListing([]byte(body), page, l, ListingOptions{Now: now})
		if err == nil && len(r.Items) == 0 {
			t.Fatal("no error and no items")
		}
		for _, it := range r.Items {
			if u, err := url.Parse(it.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				t.Fatalf("item URL %q", it.URL)
			}
		}
	})
}

func FuzzClassifyPage(f *testing.F) {
	f.Add(200, "text/html", jsCookiePage)
	f.Add(412, "text/html", "<html><body>访问频繁</body></html>")
	f.Add(200, "", "<!doctype html><p>hello</p>")
	f.Fuzz(func(t *testing.T, status int, ct, body string) {
		err := classifyPage(status, ct, []byte(body), 32<<10)
		if err != nil && !errors.Is(err, ErrChallenge) && !errors.Is(err, ErrBlocked) {
			t.Fatalf("unexpected error %v", err)
		}
		if len(body) > 32<<10 && err != nil {
			t.Fatal("a large page was classified")
		}
	})
}
