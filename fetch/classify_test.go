package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/model"
)

// jsCookiePage is the shape of a JavaScript cookie check: a tiny page whose
// script computes a cookie and reloads.
const jsCookiePage = `<html><head><meta charset="utf-8"></head><body><script>
var x="a1b2";document.cookie="__jsl_clearance="+x+";max-age=3600;path=/";location.href=location.pathname+location.search;
</script></body></html>`

func TestResponseClassification(t *testing.T) {
	t.Parallel()
	article := "<html><head><title>短信验证码诈骗治理</title></head><body><div id=detail>" +
		strings.Repeat("<p>工业和信息化部部署开展短信验证码安全专项治理，要求各基础电信企业加强验证码短信的管理。</p>", 40) +
		"</div><script>document.cookie='seen=1'</script></body></html>"
	feed := `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>验证码 安全验证 新规</title><link>https://example.com/a</link></item></channel></rss>`
	cases := []struct {
		name   string
		status int
		ctype  string
		body   string
		kind   string // "" means content
	}{
		{"412 JS cookie", 412, "text/html", jsCookiePage, KindChallenge},
		{"521 JS cookie", 521, "text/html", jsCookiePage, KindChallenge},
		{"403 plain", 403, "text/html", "<html><body><h1>403 Forbidden</h1></body></html>", KindBlocked},
		{"403 with cookie script", 403, "text/html", jsCookiePage, KindChallenge},
		{"451", 451, "text/html", "unavailable", KindBlocked},
		{"200 JS cookie", 200, "text/html; charset=utf-8", jsCookiePage, KindChallenge},
		{"200 访问频繁", 200, "text/html", "<html><body><p>您的访问过于频繁，访问频繁，请稍后再试。</p></body></html>", KindChallenge},
		{"200 安全验证", 200, "text/html", "<html><body><div>安全验证</div><div>请拖动滑块完成验证</div></body></html>", KindChallenge},
		{"200 验证码", 200, "", "<!DOCTYPE html><html><body>请输入验证码<img src=/c.jpg></body></html>", KindChallenge},
		{"200 geo block", 200, "text/html", "<html><body><h1>Access Denied</h1><p>This content is not available in your region.</p></body></html>", KindBlocked},
		{"200 article about 验证码", 200, "text/html", article, ""},
		{"200 feed about 验证码", 200, "application/rss+xml", feed, ""},
		{"200 short page", 200, "text/html", "<html><body><p>Short notice.</p></body></html>", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			cfg := testConfig()
			cfg.RespectRobots = false
			c := newTestClient(t, cfg)
			r, err := c.Get(context.Background(), srv.URL+"/page", Conditional{})
			if got := ErrorKind(err); got != tc.kind {
				t.Fatalf("kind %q, want %q (err %v)", got, tc.kind, err)
			}
			if tc.kind == "" {
				if r == nil || len(r.Body) == 0 {
					t.Fatal("content page lost")
				}
				return
			}
			if r != nil {
				t.Fatal("a classified page was returned as content")
			}
			if HTTPStatus(err) != tc.status {
				t.Fatalf("status %d, want %d", HTTPStatus(err), tc.status)
			}
		})
	}
}

func TestPollChallengeListsNothing(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusPreconditionFailed)
		fmt.Fprint(w, jsCookiePage)
	}))
	cfg := testConfig()
	cfg.RespectRobots = false
	c := newTestClient(t, cfg)
	res, err := c.Poll(context.Background(), model.Source{Name: "s", Kind: model.KindListing, URL: srv.URL + "/", Listing: listingSel})
	if !errors.Is(err, ErrChallenge) || res.Status != 412 || len(res.Items) != 0 {
		t.Fatalf("poll of a 412 challenge: %+v, %v", res, err)
	}
}

// The early stop of visibleText: its count of the collapsed text is the
// rune count of what it would have returned, and it stops only once that
// reaches the limit, so classifyPage decides as on the whole text.
func TestVisibleTextStopsAtLimit(t *testing.T) {
	t.Parallel()
	pages := []string{
		jsCookiePage,
		"<html><body><p>  Short \n\t notice. </p><p>两段\u3000文字</p></body></html>",
		"<p>a</p><p>b</p>" + strings.Repeat("<span>word </span>", 400),
		"<div>" + strings.Repeat("验证码", 250) + "</div><noscript>Please enable JavaScript</noscript>",
		"<p>\xff\xfe broken</p>  <p>\u00a0spaced\u2003out\u00a0</p>",
	}
	for i, p := range pages {
		full, _, long := visibleText([]byte(p), 1<<30)
		if long {
			t.Fatalf("page %d: stopped without a limit", i)
		}
		n := len([]rune(full))
		for _, limit := range []int{1, 5, 300, 600, max(n, 1), n + 1} {
			text, _, long := visibleText([]byte(p), limit)
			if long != (n >= limit) {
				t.Errorf("page %d, limit %d: long %v with %d runes of text", i, limit, long, n)
			}
			if !long && text != full {
				t.Errorf("page %d, limit %d: text %q, want %q", i, limit, text, full)
			}
		}
	}
}
