package daemon_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/store"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func TestHealthReadyAndMetrics(t *testing.T) {
	ctx, db, f := farmTest(t)
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(1))
	reg := prometheus.NewRegistry()
	setup, err := daemon.NewSetup(ctx, cfg, db.Store, testLogger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	d := daemon.New(cfg, setup.Deps, testLogger(t), reg)
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	h := d.Handler(reg)
	if code, body := get(t, h, "/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, h, "/readyz"); code != 200 {
		t.Errorf("/readyz: %d %q", code, body)
	}
	code, body := get(t, h, "/metrics")
	for _, m := range []string{`wirewatch_polls_total{outcome="ok"} 1`, `wirewatch_articles_total{event="new"} 3`, `wirewatch_extractions_total{method=`,
		`wirewatch_classifications_total{decision=`, `wirewatch_http_requests_total`, `wirewatch_oldest_overdue_source_seconds`} {
		if code != 200 || !strings.Contains(body, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	// A schema newer than the binary knows makes the process unready.
	if _, err := db.Store.Pool.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, 'future.sql', 'x')`, store.LatestVersion()+1); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, h, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "newer") {
		t.Errorf("/readyz with a newer schema: %d %q", code, body)
	}
}

// A feed that answers with no items is recorded as a failing source.
func TestEmptyFeedIsReported(t *testing.T) {
	ctx, db, f := farmTest(t)
	f.items = func(int) []int { return nil }
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(1))
	d := newDaemon(t, ctx, cfg, db, "replica-empty")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var failures int
	var lastErr string
	if err := db.Store.Pool.QueryRow(ctx, `SELECT failures, coalesce(last_error, '') FROM sources WHERE enabled`).Scan(&failures, &lastErr); err != nil {
		t.Fatal(err)
	}
	if failures != 1 || !strings.Contains(lastErr, "no items") {
		t.Errorf("empty feed: failures %d, last_error %q", failures, lastErr)
	}
}
