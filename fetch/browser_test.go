package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

// A listing that sets its cookie in JavaScript and serves the list only
// with it: a plain client gets the challenge, a via: browser source the
// list. The page also tries to reach an address the guard forbids; the
// browser's request never arrives.
func TestBrowserPassesJavaScriptCookie(t *testing.T) {
	cfg := testConfig()
	cfg.RespectRobots = false
	cfg.Timeout = 30 * time.Second
	cfg.BrowserSettle = 2 * time.Second
	c := newTestClient(t, cfg)
	if err := c.BrowserAvailable(); err != nil {
		t.Skipf("SKIP via: browser untested: %v (CI must install Debian's chromium package)", err)
	}

	// A server on 127.0.0.2, which fetch.allow_cidrs (127.0.0.1/32) does not
	// allow: the guard must keep the browser from it.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this host: %v", err)
	}
	var forbiddenHits atomic.Int32
	forbidden := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forbiddenHits.Add(1)
	})}}
	forbidden.Start()
	t.Cleanup(forbidden.Close)

	var lists atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if ck, err := r.Cookie("js_ok"); err != nil || ck.Value != "1" {
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprintf(w, `<html><body><script>
fetch(%q).catch(function(){});
document.cookie = "js_ok=1; path=/";
location.reload();
</script></body></html>`, forbidden.URL+"/secret")
			return
		}
		lists.Add(1)
		fmt.Fprint(w, listingPage)
	}))
	ctx := context.Background()
	plain := model.Source{Name: "plain", Kind: model.KindListing, URL: srv.URL + "/list", Listing: listingSel}
	if _, err := c.Poll(ctx, plain); !errors.Is(err, ErrChallenge) {
		t.Fatalf("plain HTTP: want a challenge, got %v", err)
	}
	src := model.Source{Name: "browser", Kind: model.KindListing, URL: srv.URL + "/list", Listing: listingSel, Fetch: model.FetchOptions{Via: "browser"}}
	res, err := c.Poll(ctx, src)
	if err != nil {
		t.Fatalf("via: browser: %v", err)
	}
	if len(res.Items) != 2 || lists.Load() == 0 {
		t.Fatalf("via: browser: %d items, list served %d times", len(res.Items), lists.Load())
	}
	if n := forbiddenHits.Load(); n != 0 {
		t.Fatalf("the browser reached a forbidden address %d times", n)
	}
}

func TestBrowserMissingIsAClearError(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.BrowserPath = "/nonexistent/chromium"
	cfg.RespectRobots = false
	c := newTestClient(t, cfg)
	src := model.Source{Name: "b", Kind: model.KindListing, URL: "http://127.0.0.1:1/list", Listing: listingSel, Fetch: model.FetchOptions{Via: "browser"}}
	if _, err := c.Poll(context.Background(), src); !errors.Is(err, ErrNoBrowser) {
		t.Fatalf("want ErrNoBrowser, got %v", err)
	}
}
