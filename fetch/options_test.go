package fetch

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wirewatch/wirewatch/model"
)

const listingPage = `<html lang="zh-CN"><head><title>网信要闻</title></head><body>
<div id="loadingInfoPage"><ul>
<li><a href="/2026-11/20/c_1.htm">一</a><span class="times">2026-11-20</span></li>
<li><a href="/2026-11/19/c_2.htm">二</a><span class="times">2026-11-19</span></li>
</ul></div></body></html>`

var listingSel = &model.Listing{Item: "#loadingInfoPage li", Date: ".times", DateLayout: "2006-01-02"}

func TestSourceUserAgentAndHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]http.Header{}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Clone()
		mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, listingPage)
	}))
	c := newTestClient(t, testConfig())
	src := model.Source{Name: "ua", Kind: model.KindListing, URL: srv.URL + "/list", Listing: listingSel, RespectRobots: true,
		Fetch: model.FetchOptions{UserAgent: "Mozilla/5.0 (test browser)", Headers: map[string]string{"Referer": "https://www.example.org/"}}}
	if err := c.UseSources([]model.Source{src}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Poll(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	// An article page of the same host, fetched without naming the source,
	// gets the source's options too.
	if _, err := c.Get(context.Background(), srv.URL+"/article", Conditional{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{"/robots.txt", "/list", "/article"} {
		h := seen[p]
		if h == nil {
			t.Fatalf("%s not requested", p)
		}
		if got := h.Get("User-Agent"); got != "Mozilla/5.0 (test browser)" {
			t.Errorf("%s: User-Agent %q", p, got)
		}
		if p != "/robots.txt" && h.Get("Referer") != "https://www.example.org/" {
			t.Errorf("%s: Referer %q", p, h.Get("Referer"))
		}
	}
}

// cookieGate answers a visitor without its cookie with Set-Cookie and a
// redirect to the same URL, as the anti-bot pages of several ministries do,
// and serves the page only with the cookie.
func cookieGate(page string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		if c, err := r.Cookie("gate"); err != nil || c.Value != "passed" {
			http.SetCookie(w, &http.Cookie{Name: "gate", Value: "passed", Path: "/"})
			http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
			return
		}
		fmt.Fprint(w, page)
	}
}

func TestCookiesPassSetCookieRedirect(t *testing.T) {
	t.Parallel()
	srv := newServer(t, cookieGate(listingPage))
	ctx := context.Background()

	plain := newTestClient(t, testConfig())
	_, err := plain.Poll(ctx, model.Source{Name: "plain", Kind: model.KindListing, URL: srv.URL + "/list", Listing: listingSel})
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("without cookies: want a redirect loop, got %v", err)
	}

	c := newTestClient(t, testConfig())
	src := model.Source{Name: "jar", Kind: model.KindListing, URL: srv.URL + "/list", Listing: listingSel, Fetch: model.FetchOptions{Cookies: true}}
	if err := c.UseSources([]model.Source{src}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Poll(ctx, src)
	if err != nil {
		t.Fatalf("with cookies: %v", err)
	}
	if len(res.Items) != 2 || res.Listing == nil || res.Listing.Dated != 2 {
		t.Fatalf("with cookies: %d items, stats %+v", len(res.Items), res.Listing)
	}
	// The jar is kept: the article page is served at once.
	r, err := c.Get(ctx, srv.URL+"/article", Conditional{})
	if err != nil || !strings.Contains(string(r.Body), "loadingInfoPage") {
		t.Fatalf("article with the kept cookie: %v", err)
	}
}

// testProxy is an HTTP proxy (absolute-form requests and CONNECT) on
// loopback that resolves names through its own table, so the outlet's name
// exists only for it; log records each request it carried.
type testProxy struct {
	hosts map[string]string // host:port asked → loopback address
	mu    sync.Mutex
	log   []string
}

func (p *testProxy) record(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, s)
}

func (p *testProxy) lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

func (p *testProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.record("CONNECT " + r.Host)
		addr, ok := p.hosts[r.Host]
		if !ok {
			http.Error(w, "unknown host", http.StatusBadGateway)
			return
		}
		up, err := net.Dial("tcp", addr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		go func() { _, _ = io.Copy(up, buf); up.Close() }()
		_, _ = io.Copy(conn, up)
		conn.Close()
		return
	}
	p.record("GET " + r.URL.String())
	addr, ok := p.hosts[r.URL.Host]
	if !ok {
		http.Error(w, "unknown host", http.StatusBadGateway)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Host = addr
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// listingOutlet serves listingPage at every path (robots.txt: none).
func listingOutlet(t *testing.T) *httptest.Server {
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, listingPage)
	}))
}

func TestSourceProxyHTTP(t *testing.T) {
	t.Parallel()
	outlet := listingOutlet(t)
	px := &testProxy{hosts: map[string]string{"outlet.test": outlet.Listener.Addr().String()}}
	proxy := newServer(t, px)
	ctx := context.Background()

	// outlet.test resolves nowhere but in the proxy: a success proves the
	// request went through it, and the proxy's log shows it did.
	c := newTestClient(t, testConfig())
	src := model.Source{Name: "via-proxy", Kind: model.KindListing, URL: "http://outlet.test/list", Listing: listingSel, RespectRobots: true,
		Fetch: model.FetchOptions{Proxy: proxy.URL}}
	res, err := c.Poll(ctx, src)
	if err != nil {
		t.Fatalf("poll through the proxy: %v", err)
	}
	if len(res.Items) != 2 {
		t.Fatalf("%d items", len(res.Items))
	}
	log := strings.Join(px.lines(), "\n")
	if !strings.Contains(log, "GET http://outlet.test/list") || !strings.Contains(log, "GET http://outlet.test/robots.txt") {
		t.Fatalf("proxy log:\n%s", log)
	}

	// The same source without the proxy cannot reach the name.
	direct := src
	direct.Name, direct.Fetch = "direct", model.FetchOptions{Proxy: "direct"}
	if _, err := c.Poll(ctx, direct); err == nil {
		t.Fatal("outlet.test reached without the proxy")
	}
}

func TestGlobalProxyAndGuard(t *testing.T) {
	t.Parallel()
	outlet := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, listingPage)
	}))
	px := &testProxy{hosts: map[string]string{"outlet.test": outlet.Listener.Addr().String()}}
	proxy := newServer(t, px)
	ctx := context.Background()

	cfg := testConfig()
	cfg.Proxy = proxy.URL
	cfg.RespectRobots = false
	c := newTestClient(t, cfg)
	if _, err := c.Get(ctx, "http://outlet.test/list", Conditional{}); err != nil {
		t.Fatalf("global proxy: %v", err)
	}
	// Literal special addresses are refused before they reach the proxy,
	// whatever the proxy would do with them.
	for _, target := range []string{"http://10.1.2.3/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/", "http://localhost/"} {
		_, err := c.Get(ctx, target, Conditional{})
		if !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s through the proxy: want ErrBlockedAddress, got %v", target, err)
		}
	}
	for _, l := range px.lines() {
		if !strings.Contains(l, "outlet.test") {
			t.Errorf("the proxy saw %q", l)
		}
	}

	// A proxy on loopback must be allowed explicitly.
	strict := testConfig()
	strict.AllowCIDRs = nil
	strict.Proxy = proxy.URL
	strict.RespectRobots = false
	sc := newTestClient(t, strict)
	if _, err := sc.Get(ctx, "http://outlet.test/list", Conditional{}); !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("proxy on loopback without allow_cidrs: want ErrBlockedAddress, got %v", err)
	}

	// "direct" turns the global proxy off for one source.
	src := model.Source{Name: "no-proxy", Kind: model.KindListing, URL: outlet.URL + "/list", Listing: listingSel, Fetch: model.FetchOptions{Proxy: "direct"}}
	before := len(px.lines())
	if _, err := c.Poll(ctx, src); err != nil {
		t.Fatalf("direct source: %v", err)
	}
	if len(px.lines()) != before {
		t.Fatal("a direct source went through the proxy")
	}
}

func TestProxyCONNECT(t *testing.T) {
	t.Parallel()
	// An https target goes through CONNECT; the test server's certificate is
	// not trusted by the client, so the request fails at TLS, but only
	// after the tunnel was opened through the proxy to the mapped address.
	outlet := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(outlet.Close)
	px := &testProxy{hosts: map[string]string{"outlet.test:443": outlet.Listener.Addr().String()}}
	proxy := newServer(t, px)
	cfg := testConfig()
	cfg.Proxy = proxy.URL
	cfg.RespectRobots = false
	c := newTestClient(t, cfg)
	_, err := c.Get(context.Background(), "https://outlet.test/list", Conditional{})
	if ErrorKind(err) != KindTLS {
		t.Fatalf("want a TLS error from the tunnelled server, got %v (%s)", err, ErrorKind(err))
	}
	if l := px.lines(); len(l) != 1 || l[0] != "CONNECT outlet.test:443" {
		t.Fatalf("proxy log %q", l)
	}
}

// socks5Server is a minimal SOCKS5 server (no authentication, CONNECT
// only) that resolves domain names through its own table.
type socks5Server struct {
	ln    net.Listener
	hosts map[string]string
	mu    sync.Mutex
	log   []string
}

func newSOCKS5(t *testing.T, hosts map[string]string) *socks5Server {
	t.Helper()
	// (Alike by design: a loopback accept loop, as daemon/deliver's scripted SMTP server has;
	// each serves its own protocol and lives in its own package's tests.)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socks5Server{ln: ln, hosts: hosts}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *socks5Server) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *socks5Server) serve(conn net.Conn) {
	defer conn.Close()
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(conn, hdr); err != nil || hdr[0] != 5 {
		return
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(conn, methods); err != nil {
		return
	}
	if _, err := conn.Write([]byte{5, 0}); err != nil {
		return
	}
	req := make([]byte, 4)
	if _, err := io.ReadFull(conn, req); err != nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 3:
		n := make([]byte, 1)
		if _, err := io.ReadFull(conn, n); err != nil {
			return
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(conn, name); err != nil {
			return
		}
		host = string(name)
	case 1:
		ip := make([]byte, 4)
		if _, err := io.ReadFull(conn, ip); err != nil {
			return
		}
		host = net.IP(ip).String()
	default:
		return
	}
	pb := make([]byte, 2)
	if _, err := io.ReadFull(conn, pb); err != nil {
		return
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(pb))))
	s.mu.Lock()
	s.log = append(s.log, "CONNECT "+target)
	s.mu.Unlock()
	addr, ok := s.hosts[target]
	if !ok {
		_, _ = conn.Write([]byte{5, 4, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	up, err := net.Dial("tcp", addr)
	if err != nil {
		_, _ = conn.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	if _, err := conn.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}); err != nil {
		return
	}
	go func() { _, _ = io.Copy(up, conn); up.Close() }()
	_, _ = io.Copy(conn, up)
}

func TestSourceProxySOCKS5(t *testing.T) {
	t.Parallel()
	outlet := listingOutlet(t)
	socks := newSOCKS5(t, map[string]string{"outlet.test:80": outlet.Listener.Addr().String()})
	c := newTestClient(t, testConfig())
	src := model.Source{Name: "socks", Kind: model.KindListing, URL: "http://outlet.test/list", Listing: listingSel, RespectRobots: true,
		Fetch: model.FetchOptions{Proxy: "socks5://" + socks.ln.Addr().String()}}
	res, err := c.Poll(context.Background(), src)
	if err != nil {
		t.Fatalf("poll through SOCKS5: %v", err)
	}
	if len(res.Items) != 2 {
		t.Fatalf("%d items", len(res.Items))
	}
	if l := socks.lines(); len(l) == 0 || l[0] != "CONNECT outlet.test:80" {
		t.Fatalf("SOCKS5 log %q (the proxy must be handed the name, not an address)", l)
	}
	bad := src
	bad.Name, bad.URL = "socks-private", "http://192.168.1.1/list"
	if _, err := c.Poll(context.Background(), bad); !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("private literal through SOCKS5: want ErrBlockedAddress, got %v", err)
	}
}
