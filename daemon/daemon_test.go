package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// Two schedulers with several workers each, against one database: every
// source is polled exactly once and every article (some listed by two
// feeds) is fetched exactly once.
func TestTwoSchedulersNeverClaimTheSameWork(t *testing.T) {
	ctx, db, f := farmTest(t)
	const sources = 150
	// feeds overlap: feed n lists articles 2n, 2n+1, 2n+2, so neighbours share one.
	f.items = func(n int) []int { return []int{2 * n, 2*n + 1, 2*n + 2} }
	f.feedWait = func(*http.Request) { time.Sleep(5 * time.Millisecond) }
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(sources))
	a := newDaemon(t, ctx, cfg, db, "replica-a")
	b := newDaemon(t, ctx, cfg, db, "replica-b")

	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, d := range []interface{ Run(context.Context) error }{a, b} {
		wg.Go(func() {
			if err := d.Run(runCtx); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	wantArticles := 2*sources + 1
	waitFor(t, 60*time.Second, "all sources polled and articles fetched", func() bool {
		return queryInt(t, db, `SELECT count(*) FROM sources WHERE last_polled_at IS NOT NULL`) == sources &&
			queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched'`) == wantArticles
	})
	stop()
	wg.Wait()

	for i := range sources {
		if n := f.count(fmt.Sprintf("/feed/%d.xml", i)); n != 1 {
			t.Errorf("feed %d fetched %d times, want 1", i, n)
		}
	}
	for k := range wantArticles {
		if n := f.count(fmt.Sprintf("/article/%d.html", k)); n != 1 {
			t.Errorf("article %d fetched %d times, want 1", k, n)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles`); n != wantArticles {
		t.Errorf("%d article rows, want %d", n, wantArticles)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM article_revisions`); n != wantArticles {
		t.Errorf("%d revisions, want one per article (%d)", n, wantArticles)
	}
	// Both replicas did part of the work, and neither holds a lease now.
	f.mu.Lock()
	byA, byB := f.agents["wirewatch-replica-a/1.0"], f.agents["wirewatch-replica-b/1.0"]
	f.mu.Unlock()
	if byA == 0 || byB == 0 {
		t.Errorf("requests by replica: a=%d b=%d; want both to have worked", byA, byB)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sources WHERE lease_owner IS NOT NULL`); n != 0 {
		t.Errorf("%d sources still leased after shutdown", n)
	}
	// URLs were canonicalised: no tracking parameter reached the table.
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE canonical_url LIKE '%utm_%'`); n != 0 {
		t.Errorf("%d URLs kept utm_ parameters", n)
	}
}

// Cancelling Run (what SIGTERM does) in the middle of a cycle stops
// claiming, cuts in-flight work after the grace period, and releases every
// lease so the sources are due again at once, not counted as failures.
func TestShutdownMidCycleReleasesLeases(t *testing.T) {
	ctx, db, f := farmTest(t)
	var entered atomic.Int32
	f.feedWait = func(r *http.Request) {
		entered.Add(1)
		<-r.Context().Done() // hang until the client gives up
	}
	cfg := testConfig(db)
	cfg.Daemon.ShutdownGrace = 300 * time.Millisecond
	cfg.SourcesFile = catalogue(t, f.specs(10))
	d := newDaemon(t, ctx, cfg, db, "replica-term")

	stop, done := runDaemon(ctx, d)
	waitFor(t, 10*time.Second, "polls in flight", func() bool { return entered.Load() >= int32(cfg.Daemon.PollWorkers) })
	if n := queryInt(t, db, `SELECT count(*) FROM sources WHERE lease_owner = 'replica-term'`); n != cfg.Daemon.PollWorkers {
		t.Fatalf("%d sources leased mid-cycle, want %d", n, cfg.Daemon.PollWorkers)
	}
	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %s with a %s grace period", took, cfg.Daemon.ShutdownGrace)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sources WHERE lease_owner IS NOT NULL OR lease_until IS NOT NULL`); n != 0 {
		t.Errorf("%d leases left after shutdown", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sources WHERE failures > 0`); n != 0 {
		t.Errorf("%d sources counted a failure for an interrupted poll", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sources WHERE next_poll_at <= now()`); n != 10 {
		t.Errorf("%d of 10 sources due again, want all", n)
	}
}

// In-flight work that finishes within the grace period is recorded.
func TestShutdownLetsInFlightWorkFinish(t *testing.T) {
	ctx, db, f := farmTest(t)
	release := make(chan struct{})
	var entered atomic.Int32
	f.feedWait = func(*http.Request) { entered.Add(1); <-release }
	cfg := testConfig(db)
	cfg.Daemon.ShutdownGrace = 10 * time.Second
	cfg.Daemon.PollWorkers = 2
	cfg.SourcesFile = catalogue(t, f.specs(2))
	d := newDaemon(t, ctx, cfg, db, "replica-grace")
	stop, done := runDaemon(ctx, d)
	waitFor(t, 10*time.Second, "polls in flight", func() bool { return entered.Load() == 2 })
	stop()
	time.Sleep(100 * time.Millisecond)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sources WHERE last_ok_at IS NOT NULL AND etag = '"v1"'`); n != 2 {
		t.Errorf("%d of 2 in-flight polls recorded", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles`); n != 6 {
		t.Errorf("%d articles queued by the finished polls, want 6", n)
	}
}

// The daemon survives its database going away: while PostgreSQL is down it
// logs and backs off; when it is back, the work resumes and nothing is lost
// (a poll whose result could not be stored is redone).
func TestSurvivesPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL cluster")
	}
	ctx := context.Background()
	cl := storetest.NewCluster(t)
	dbCfg := config.Default().Database
	dbCfg.URL = cl.URL("wirewatch")
	dbCfg.RetryMax = 300 * time.Millisecond
	dbCfg.ConnectTimeout = 2 * time.Second

	// Down at start: OpenRetry waits for it instead of failing.
	cl.Stop()
	type opened struct {
		db  *storetest.Database
		err error
	}
	got := make(chan opened, 1)
	go func() {
		st, err := storeOpenRetry(ctx, dbCfg)
		got <- opened{st, err}
	}()
	time.Sleep(700 * time.Millisecond)
	cl.Start()
	o := <-got
	if o.err != nil {
		t.Fatalf("OpenRetry after the database came up: %v", o.err)
	}
	db := o.db
	if _, err := db.Store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	f := newFarm(t)
	var firstPoll sync.Once
	stopped := make(chan struct{})
	f.feedWait = func(r *http.Request) {
		// The first poll's answer arrives while the database is down.
		firstPoll.Do(func() {
			cl.Stop()
			close(stopped)
		})
	}
	cfg := testConfig(db)
	cfg.Database = dbCfg
	cfg.Daemon.Lease = 5 * time.Second
	cfg.Daemon.PollWorkers = 1
	cfg.SourcesFile = catalogue(t, f.specs(3))
	d := newDaemon(t, ctx, cfg, db, "replica-outage")
	stop, done := runDaemon(ctx, d)
	<-stopped
	time.Sleep(time.Second) // the daemon runs into the outage
	cl.Start()
	waitFor(t, 40*time.Second, "all articles stored after the outage", func() bool {
		var n int
		err := db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched'`).Scan(&n)
		return err == nil && n == 9
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sources WHERE last_ok_at IS NOT NULL`); n != 3 {
		t.Errorf("%d of 3 sources recorded", n)
	}
	if f.count("/feed/0.xml")+f.count("/feed/1.xml")+f.count("/feed/2.xml") < 4 {
		t.Errorf("the poll lost to the outage was not redone")
	}
}

var _ = model.KindFeed
