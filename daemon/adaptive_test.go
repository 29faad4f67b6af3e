package daemon_test

import (
	"testing"
	"time"
)

// With fetch.adaptive, a source whose articles come every few minutes is
// polled sooner than its configured hour, also after a 304.
func TestAdaptiveIntervalShortensBusySources(t *testing.T) {
	ctx, db, f := farmTest(t)
	cfg := testConfig(db)
	cfg.Fetch.Adaptive = true
	cfg.Fetch.MinInterval = time.Minute
	cfg.Fetch.Jitter = 0
	cfg.SourcesFile = catalogue(t, f.specs(1))
	d := newDaemon(t, ctx, cfg, db, "replica-adaptive")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// Pretend the three articles came out ten minutes apart, just now.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE articles SET published_at = now() - (id % 3) * interval '10 minutes'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE sources SET next_poll_at = now()`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil { // answered 304
		t.Fatal(err)
	}
	var wait float64
	if err := db.Store.Pool.QueryRow(ctx, `SELECT extract(epoch FROM next_poll_at - now()) FROM sources WHERE enabled`).Scan(&wait); err != nil {
		t.Fatal(err)
	}
	if wait > 15*60 || wait < 60 {
		t.Errorf("next poll in %.0f s; want about half the 10-minute gap, within [1m, 15m]", wait)
	}
}
