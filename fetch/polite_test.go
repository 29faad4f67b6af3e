package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRobots(t *testing.T) {
	t.Parallel()
	var robotsHits atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			robotsHits.Add(1)
			fmt.Fprint(w, "User-agent: *\nDisallow: /all-private/\n\nUser-agent: wirewatch\nDisallow: /private/\nDisallow: /*?print=\n")
			return
		}
		fmt.Fprint(w, "ok")
	}))
	c := newTestClient(t, testConfig())
	ctx := context.Background()
	for _, tc := range []struct {
		path   string
		ignore bool
		want   error
	}{
		{"/public/a", false, nil},
		{"/private/a", false, ErrRobotsDisallowed},
		{"/public/b?print=1", false, ErrRobotsDisallowed},
		{"/all-private/a", false, nil}, // our own group replaces "*"
		{"/private/a", true, nil},      // source with robots: false
	} {
		_, err := c.Get(ctx, srv.URL+tc.path, Conditional{IgnoreRobots: tc.ignore})
		if !errors.Is(err, tc.want) {
			t.Errorf("GET %s (ignore %v): %v, want %v", tc.path, tc.ignore, err, tc.want)
		}
		if tc.want != nil && ErrorKind(err) != KindRobots {
			t.Errorf("kind %q", ErrorKind(err))
		}
	}
	if n := robotsHits.Load(); n != 1 {
		t.Errorf("robots.txt fetched %d times, want once (cached)", n)
	}
	// Past the TTL it is fetched again.
	c.now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if _, err := c.Get(ctx, srv.URL+"/public/c", Conditional{}); err != nil {
		t.Fatal(err)
	}
	if n := robotsHits.Load(); n != 2 {
		t.Errorf("robots.txt fetched %d times after the TTL, want 2", n)
	}
}

func TestRobotsUnavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status    int
		wantRetry bool // fetched again after robots_retry (not only after the TTL)
	}{
		{404, false}, {403, false}, {500, true}, {503, true}, {429, true},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			var hits atomic.Int32
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					hits.Add(1)
					w.WriteHeader(tc.status)
					return
				}
				fmt.Fprint(w, "ok")
			}))
			c := newTestClient(t, testConfig())
			if _, err := c.Get(context.Background(), srv.URL+"/x", Conditional{}); err != nil {
				t.Fatalf("robots.txt %d must allow: %v", tc.status, err)
			}
			c.now = func() time.Time { return time.Now().Add(11 * time.Minute) }
			if _, err := c.Get(context.Background(), srv.URL+"/y", Conditional{}); err != nil {
				t.Fatal(err)
			}
			if got := hits.Load() == 2; got != tc.wantRetry {
				t.Errorf("robots.txt fetched %d times, want retry %v", hits.Load(), tc.wantRetry)
			}
		})
	}
}

func TestHostConcurrencyCap(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		fmt.Fprint(w, "ok")
	}))
	cfg := testConfig()
	cfg.RespectRobots = false
	cfg.HostConcurrency = 3
	c := newTestClient(t, cfg)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.Get(context.Background(), srv.URL, Conditional{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 3 {
		t.Fatalf("peak concurrency %d, want exactly the cap 3", p)
	}
}

func TestHostRateLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	cfg := testConfig()
	cfg.RespectRobots = false
	cfg.HostRate = 20
	cfg.HostBurst = 2
	c := newTestClient(t, cfg)
	start := time.Now()
	for range 8 {
		if _, err := c.Get(context.Background(), srv.URL, Conditional{}); err != nil {
			t.Fatal(err)
		}
	}
	// 2 at once, then 6 more at 20/s: at least 300 ms.
	if el := time.Since(start); el < 280*time.Millisecond {
		t.Fatalf("8 requests took %v, the rate limit was not applied", el)
	}
	// Waiting for a token respects the context.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	for range 4 {
		_, err := c.Get(ctx, srv.URL, Conditional{})
		if err != nil {
			return
		}
	}
	t.Fatal("rate-limited requests ignored the context deadline")
}

func TestAddressGuard(t *testing.T) {
	t.Parallel()
	g, err := newAddressGuard(nil)
	if err != nil {
		t.Fatal(err)
	}
	blocked := []string{
		"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
		"169.254.169.254", "fe80::1", "100.64.0.1", "100.100.100.200", "0.0.0.0", "::", "224.0.0.1",
		"255.255.255.255", "fd00:ec2::254", "fc00::1", "64:ff9b::7f00:1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
		"192.0.2.1", "198.18.0.1", "ff02::1",
	}
	for _, s := range blocked {
		if err := g.check(netip.MustParseAddr(s)); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: %v, want blocked", s, err)
		}
	}
	for _, s := range []string{"1.1.1.1", "202.108.22.5", "2400:da00::6666", "::ffff:8.8.8.8"} {
		if err := g.check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s: %v, want allowed", s, err)
		}
	}
	ga, _ := newAddressGuard([]string{"127.0.0.1/32", "10.9.0.0/16"})
	for s, want := range map[string]bool{"127.0.0.1": true, "::ffff:127.0.0.1": true, "127.0.0.2": false, "10.9.3.4": true, "10.8.0.1": false, "::1": false} {
		if got := ga.check(netip.MustParseAddr(s)) == nil; got != want {
			t.Errorf("with allow list: %s allowed=%v, want %v", s, got, want)
		}
	}
	if err := g.control("udp4", "8.8.8.8:53", nil); !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("udp: %v", err)
	}
}

func FuzzAddressGuard(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::ffff:127.0.0.1", "169.254.169.254", "fd00::1", "8.8.8.8", "64:ff9b::a00:1", "::ffff:0:a00:1"} {
		f.Add(netip.MustParseAddr(s).AsSlice())
	}
	g, err := newAddressGuard(nil)
	if err != nil {
		f.Fatal(err)
	}
	special := []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("240.0.0.0/4"), netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("64:ff9b::/96"),
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		if g.check(ip) != nil {
			return
		}
		for _, a := range []netip.Addr{ip, ip.Unmap()} {
			if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
				a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast() {
				t.Fatalf("guard allowed special address %s", ip)
			}
			for _, p := range special {
				if p.Contains(a) {
					t.Fatalf("guard allowed %s in %s", ip, p)
				}
			}
		}
	})
}

func TestNextPoll(t *testing.T) {
	t.Parallel()
	const iv, maxI = 10 * time.Minute, 6 * time.Hour
	for range 200 {
		if d := NextPoll(iv, 0.1, 0, maxI, time.Time{}); d < 9*time.Minute || d > 11*time.Minute {
			t.Fatalf("no failures: %v outside 10m ± 10%%", d)
		}
		if d := NextPoll(iv, 0.1, 3, maxI, time.Time{}); d < 72*time.Minute || d > 88*time.Minute {
			t.Fatalf("3 failures: %v, want about 80m", d)
		}
		if d := NextPoll(iv, 0.1, 50, maxI, time.Time{}); d > maxI || d < maxI*9/10 {
			t.Fatalf("50 failures: %v, want at most and near %v", d, maxI)
		}
		if d := NextPoll(iv, 0.1, 1000, maxI, time.Time{}); d > maxI || d <= 0 {
			t.Fatalf("1000 failures: %v", d)
		}
		if d := NextPoll(iv, 0.1, 0, maxI, time.Now().Add(2*time.Hour)); d < 2*time.Hour-time.Second {
			t.Fatalf("Retry-After in 2h: %v", d)
		}
	}
	if d := NextPoll(iv, 0, 0, maxI, time.Time{}); d != iv {
		t.Fatalf("no jitter: %v", d)
	}
	if d := NextPoll(0, 0.5, 0, 0, time.Time{}); d < time.Second {
		t.Fatalf("zero interval: %v", d)
	}
	if d := NextPoll(12*time.Hour, 0, 2, maxI, time.Time{}); d != 12*time.Hour {
		t.Fatalf("interval above max: %v", d)
	}
}

func TestAdaptiveInterval(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)
	var hourly []time.Time
	for i := range 10 {
		hourly = append(hourly, now.Add(-time.Duration(i)*time.Hour))
	}
	if d, ok := AdaptiveInterval(hourly, now, 5*time.Minute, 6*time.Hour); !ok || d != 30*time.Minute {
		t.Fatalf("hourly: %v %v", d, ok)
	}
	if d, ok := AdaptiveInterval(hourly, now, time.Hour, 6*time.Hour); !ok || d != time.Hour {
		t.Fatalf("clamped to min: %v %v", d, ok)
	}
	if _, ok := AdaptiveInterval(hourly[:2], now, time.Minute, time.Hour); ok {
		t.Fatal("two items must not adapt")
	}
}

func TestNoAllowListBlocksLoopbackNames(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("request reached the loopback server")
	}))
	cfg := testConfig()
	cfg.AllowCIDRs = nil
	c := newTestClient(t, cfg)
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	for _, u := range []string{srv.URL, "http://localhost:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/"} {
		_, err := c.Get(context.Background(), u, Conditional{IgnoreRobots: true})
		if !errors.Is(err, ErrBlockedAddress) || ErrorKind(err) != KindBlockedAddress {
			t.Errorf("GET %s: %v, want ErrBlockedAddress", u, err)
		}
	}
	if _, err := c.Get(context.Background(), "ftp://example.com/", Conditional{}); !errors.Is(err, ErrScheme) {
		t.Errorf("ftp: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/404" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "12345")
	}))
	cfg := testConfig()
	cfg.RespectRobots = false
	reg := prometheus.NewRegistry()
	c := newTestClientOn(t, cfg, reg)
	// A second client on the same registry shares the collectors (or
	// NewClient fails).
	c2 := newTestClientOn(t, cfg, reg)
	ctx := context.Background()
	c.Get(ctx, srv.URL+"/ok", Conditional{})
	c2.Get(ctx, srv.URL+"/ok", Conditional{})
	c.Get(ctx, srv.URL+"/404", Conditional{})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			switch {
			case m.GetCounter() != nil:
				got[key] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	want := map[string]float64{
		"wirewatch_http_requests_total/2xx":           2,
		"wirewatch_http_requests_total/4xx":           1,
		"wirewatch_http_response_bytes_total":         10,
		"wirewatch_http_request_duration_seconds/2xx": 2,
		"wirewatch_http_request_duration_seconds/4xx": 1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
