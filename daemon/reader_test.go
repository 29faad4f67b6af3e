package daemon_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// An article whose fetch is refused (an unsafe address, a permanent 4xx)
// is stored as refused at the first attempt, never fetched again and never
// alerted, although its feed summary is relevant.
func TestRefusedArticlesAreNeverAlerted(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	f := newFarm(t)
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
