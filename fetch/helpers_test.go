package fetch

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/config"
)

// testConfig returns a fetch configuration for loopback test servers: short
// timeouts, 127.0.0.1 allowed, generous rate limits.
func testConfig() config.Fetch {
	cfg := config.DefaultFetch()
	cfg.AllowCIDRs = []string{"127.0.0.1/32"}
	cfg.ConnectTimeout = 2 * time.Second
	cfg.HeaderTimeout = 2 * time.Second
	cfg.Timeout = 5 * time.Second
	cfg.HostRate = 1000
	cfg.HostBurst = 1000
	cfg.HostConcurrency = 64
	return cfg
}

func newTestClient(t testing.TB, cfg config.Fetch) *Client {
	t.Helper()
	return newTestClientOn(t, cfg, prometheus.NewRegistry())
}

// newTestClientOn is newTestClient with its metrics on reg.
func newTestClientOn(t testing.TB, cfg config.Fetch, reg prometheus.Registerer) *Client {
	t.Helper()
	c, err := NewClient(cfg, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
