package daemon_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/internal/syncbuf"
)

// An article whose fetch is refused (an unsafe address, a permanent 4xx)
// is stored as refused at the first attempt, never fetched again and never
// alerted, although its feed summary is relevant.
func TestRefusedArticlesAreNeverAlerted(t *testing.T) {
	ctx, db, f := farmTest(t)
	f.items = func(n int) []int { return []int{0, 1} }
	f.extra = []string{"http://169.254.169.254/latest/meta-data/story.html"}
	f.set("/article/1.html", http.StatusBadRequest, "")
	box := alerttest.NewSMTPServer(t)
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(1))
	cfg.Alert.SMTP.URL = "smtp://" + box.Addr
	cfg.Alert.SMTP.Timeout = 5 * time.Second
	cfg.Alert.Subscribers = []config.Subscriber{{Name: "desk", Email: "desk@example.org", Cadence: "immediate"}}
	d := newDaemon(t, ctx, cfg, db, "replica-refused")
	for range 3 {
		if _, err := d.PollOnce(ctx); err != nil {
			t.Fatal(err)
		}
		// Everything due again: a refused article must not be retried.
		if _, err := db.Store.Pool.Exec(ctx, `UPDATE sources SET next_poll_at = now(); UPDATE articles SET next_check_at = now() WHERE next_check_at IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'refused'`); n != 2 {
		t.Errorf("%d refused articles, want 2 (the unsafe address and the 400)", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'refused' AND (fetch_attempts <> 1 OR next_check_at IS NOT NULL)`); n != 0 {
		t.Errorf("%d refused articles were tried more than once or stay scheduled", n)
	}
	if n := f.count("/article/1.html"); n != 1 {
		t.Errorf("the refused page was requested %d times, want 1", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries d JOIN articles a ON a.id = d.article_id WHERE a.fetch_state = 'refused'`); n != 0 {
		t.Errorf("%d deliveries for refused articles, want 0", n)
	}
	if n := len(box.Messages()); n != 1 {
		t.Errorf("%d messages, want 1 (the article that was fetched)", n)
	}
}

// The first start on week-old items archives them and queues nothing; the
// poll logs how many it held back; fresh items on the next poll are
// alerted; `alert replay` queues the old ones on purpose, once.
func TestBackfillHoldsBackOldItems(t *testing.T) {
	ctx, db, f := farmTest(t)
	f.items = func(n int) []int { return []int{n*10 + 1, n*10 + 2, n*10 + 3} }
	f.pubDate = time.Now().Add(-7 * 24 * time.Hour).Format(time.RFC1123Z)
	f.headline = "China issues rules on data security and cross-border data transfers"
	cfg := testConfig(db)
	cfg.Alert.Backfill = config.DefaultBackfill
	cfg.SourcesFile = catalogue(t, f.specs(2))
	cfg.Alert.Subscribers = []config.Subscriber{{Name: "desk", Email: "desk@example.org", Cadence: "immediate"}}
	cfg.Daemon.ReplicaID = "replica-backfill"
	var logs syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	setup, err := daemon.NewSetup(ctx, cfg, db.Store, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(setup.Client.Close)
	d := daemon.New(cfg, setup.Deps, logger, nil)
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE relevant`); n != 6 {
		t.Fatalf("%d relevant articles archived, want 6", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries`); n != 0 {
		t.Errorf("first start on week-old items queued %d deliveries, want 0", n)
	}
	// The farm's pages carry one headline and one text (copies of one
	// story, from two outlets): saving them puts them in one story.
	if n := queryInt(t, db, `SELECT count(DISTINCT story_id) FROM articles WHERE story_id IS NOT NULL`); n != 1 {
		t.Errorf("%d stories for six copies of one text, want 1", n)
	}
	if n := queryInt(t, db, `SELECT sum(held_back) FROM sources`); n != 6 {
		t.Errorf("sources.held_back sums to %d, want 6", n)
	}
	if got := strings.Count(logs.String(), "held_back=3"); got != 2 {
		t.Errorf("%d poll log lines say held_back=3, want 2 (one per source):\n%s", got, logs.String())
	}
	// Fresh items on the next poll are alerted.
	f.mu.Lock()
	f.pubDate = time.Now().Add(-time.Hour).Format(time.RFC1123Z)
	f.mu.Unlock()
	f.items = func(n int) []int { return []int{n*10 + 4} }
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE sources SET next_poll_at = now(), etag = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries`); n != 2 {
		t.Errorf("%d deliveries for 2 fresh items, want 2", n)
	}
	rep, err := daemon.Replay(ctx, db.Store, time.Now().Add(-8*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Articles != 8 || rep.Queued != 6 {
		t.Errorf("replay: %+v, want 8 articles and 6 queued (the held-back ones)", rep)
	}
	if rep, _ := daemon.Replay(ctx, db.Store, time.Now().Add(-8*24*time.Hour)); rep.Queued != 0 {
		t.Errorf("a second replay queued %d, want 0", rep.Queued)
	}
}

// A 408 or 425 answer means "try later": the article is retried, not
// refused.
func TestTryLaterIsNotRefused(t *testing.T) {
	ctx, db, f := farmTest(t)
	f.items = func(n int) []int { return []int{0, 1} }
	f.set("/article/0.html", http.StatusRequestTimeout, "")
	f.set("/article/1.html", http.StatusTooEarly, "")
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(1))
	d := newDaemon(t, ctx, cfg, db, "replica-later")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'refused'`); n != 0 {
		t.Errorf("%d articles refused after 408/425, want 0", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'pending' AND next_check_at IS NOT NULL AND fetch_attempts = 1`); n != 2 {
		t.Errorf("%d articles scheduled for a retry, want 2", n)
	}
}

// A burst of 50 fresh relevant items for an immediate subscriber arrives
// as at most 10 messages (here: one, when the burst window closes); every
// delivery is marked sent (the farm's copies of one text are one story,
// listed once).
func TestBurstOfFiftyImmediateItems(t *testing.T) {
	ctx, db, f := farmTest(t)
	f.items = func(n int) []int {
		out := make([]int, 10)
		for i := range out {
			out[i] = n*10 + i
		}
		return out
	}
	f.pubDate = time.Now().Add(-time.Hour).Format(time.RFC1123Z)
	box := alerttest.NewSMTPServer(t)
	cfg := alertingConfig(t, db, f.specs(5), box, 5*time.Second, config.Subscriber{Name: "desk", Email: "desk@example.org", Cadence: "immediate"})
	d := newDaemon(t, ctx, cfg, db, "replica-burst")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE channel = 'email'`); n != 50 {
		t.Fatalf("%d email deliveries for 50 fresh relevant items, want 50", n)
	}
	// The burst window closes.
	t.Logf("a burst of 50 immediate items: %d message(s)", closeBurst(t, ctx, db, d, box, 50))
}
