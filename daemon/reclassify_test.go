package daemon_test

import (
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
)

// Reclassify re-runs a changed classifier over stored articles, stores the
// new version's results and counts the decisions that changed.
func TestReclassifyCountsChangedDecisions(t *testing.T) {
	ctx, db, f := farmTest(t)
	polledFarm(t, ctx, db, f, 2, "replica-reclassify")
	relevant := queryInt(t, db, `SELECT count(*) FROM articles WHERE relevant`)
	if relevant != 6 {
		t.Fatalf("%d relevant articles after the first cycle, want 6", relevant)
	}
	strict, err := daemon.LoadClassifier(config.Classify{Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := daemon.Reclassify(ctx, db.Store, daemon.NewClassifier(strict), time.Time{}, false, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Articles != 6 || rep.NoLongerRelevant != 6 || rep.BecameRelevant != 0 {
		t.Errorf("report %+v, want 6 articles, 6 no longer relevant", rep)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE relevant`); n != 0 {
		t.Errorf("%d articles still relevant under threshold 1", n)
	}
	// Running it again changes nothing.
	rep, err = daemon.Reclassify(ctx, db.Store, daemon.NewClassifier(strict), time.Now().Add(-time.Hour), false, 0, nil)
	if err != nil || rep.Articles != 6 || rep.NoLongerRelevant+rep.BecameRelevant != 0 {
		t.Errorf("second run: %+v %v", rep, err)
	}
	if rep, _ := daemon.Reclassify(ctx, db.Store, daemon.NewClassifier(strict), time.Now().Add(time.Hour), false, 0, nil); rep.Articles != 0 {
		t.Errorf("--since in the future reclassified %d articles", rep.Articles)
	}
}
