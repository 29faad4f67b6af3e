package daemon_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/fetch/extract/farmtest"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// The end-to-end points on the shared feed farm
// (../shared/tools/feedfarm: 30-60 KB news pages amid boilerplate, a third
// of them about cyber policy). Both tests skip when the farm is absent.

// startFeedFarm starts the farm with feeds feeds of items items, the newest
// dated epoch, and returns the catalogue sources of its feeds.
func startFeedFarm(t *testing.T, feeds, items int, epoch time.Time) []config.SourceSpec {
	t.Helper()
	base, _ := farmtest.Start(t, "-feeds", strconv.Itoa(feeds), "-items", strconv.Itoa(items), "-epoch", epoch.UTC().Format(time.RFC3339))
	specs := make([]config.SourceSpec, feeds)
	for i := range specs {
		specs[i] = config.SourceSpec{Name: fmt.Sprintf("farm-%03d", i), Outlet: fmt.Sprintf("Farm Outlet %d", i%7), Kind: "feed",
			URL: fmt.Sprintf("%s/feeds/%d.xml", base, i), Language: "en", Interval: time.Hour}
	}
	return specs
}

// The first start on a farm whose items are all a week old archives and
// classifies them and queues nothing: no delivery, no message, every item
// counted as held back; `alert replay` queues the relevant ones on purpose.
func TestFeedFarmFirstStartOnWeekOldItems(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	specs := startFeedFarm(t, 10, 10, time.Now().Add(-7*24*time.Hour))
	box := alerttest.NewSMTPServer(t)
	cfg := alertingConfig(t, db, specs, box, 10*time.Second,
		config.Subscriber{Name: "desk", Email: "desk@example.org", Cadence: "immediate"},
		config.Subscriber{Name: "morning", Email: "morning@example.org", Cadence: "daily at 07:00 UTC"})
	d := newDaemon(t, ctx, cfg, db, "replica-farm-backfill")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched' AND extract_method IN ('rule', 'generic')`); n != 100 {
		t.Fatalf("%d articles fetched and extracted, want the farm's 100", n)
	}
	relevant := queryInt(t, db, `SELECT count(*) FROM articles WHERE relevant`)
	if relevant == 0 {
		t.Fatal("no farm article judged relevant: nothing could have been alerted")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries`); n != 0 {
		t.Errorf("first start on week-old items queued %d deliveries, want 0", n)
	}
	if n := queryInt(t, db, `SELECT sum(held_back) FROM sources`); n != 100 {
		t.Errorf("sources.held_back sums to %d, want 100", n)
	}
	// A day later the digest's period has closed: still nothing to send.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE subscribers SET created_at = now() - interval '3 days'`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(box.Messages()); n != 0 {
		t.Errorf("%d messages after a first start on week-old items, want 0", n)
	}
	// (The oldest farm items are 7 days and up to 54 hours old.)
	rep, err := daemon.Replay(ctx, db.Store, time.Now().Add(-14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Articles != relevant || rep.Queued != 2*relevant {
		t.Errorf("replay: %+v, want %d articles queued for 2 subscribers", rep, relevant)
	}
	t.Logf("100 week-old farm items (%d relevant): 0 deliveries; replay queued %d", relevant, rep.Queued)
}

// A burst of fresh relevant farm items for an immediate subscriber
// arrives as at most 10 messages, and every delivery is sent.
func TestFeedFarmBurstOfImmediateItems(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	// 30 feeds of 6 items, the newest just now: none is older than
	// alert.backfill.
	specs := startFeedFarm(t, 30, 6, time.Now())
	box := alerttest.NewSMTPServer(t)
	cfg := alertingConfig(t, db, specs, box, 10*time.Second, config.Subscriber{Name: "desk", Email: "desk@example.org", Cadence: "immediate"})
	d := newDaemon(t, ctx, cfg, db, "replica-farm-burst")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	relevant := queryInt(t, db, `SELECT count(*) FROM articles WHERE relevant AND fetch_state = 'fetched'`)
	if relevant < 50 {
		t.Fatalf("%d fresh relevant farm items, want a burst of at least 50", relevant)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE channel = 'email'`); n != relevant {
		t.Fatalf("%d email deliveries for %d fresh relevant items", n, relevant)
	}
	// The burst window closes.
	msgs := closeBurst(t, ctx, db, d, box, relevant)
	t.Logf("a burst of %d immediate farm items: %d message(s)", relevant, msgs)
}
