package daemon_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
)

// A relevant article found by a poll reaches an immediate subscriber by
// email within the same cycle, once; an irrelevant one does not.
func TestPipelineAlertsImmediateSubscriber(t *testing.T) {
	ctx, db, f := farmTest(t)
	f.items = func(n int) []int { return []int{n} }
	box := alerttest.NewSMTPServer(t)
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(2))
	cfg.Alert.SMTP.URL = "smtp://" + box.Addr
	cfg.Alert.SMTP.Timeout = 5 * time.Second
	cfg.Alert.Subscribers = []config.Subscriber{{Name: "desk", Email: "desk@example.org", Cadence: "immediate"}}
	d := newDaemon(t, ctx, cfg, db, "replica-alerts")
	st, err := d.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Articles != 2 || st.Alerts != 2 {
		t.Fatalf("cycle: %+v, want 2 articles and 2 alerts", st)
	}
	msgs := box.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages arrived, want 2", len(msgs))
	}
	if m := string(msgs[0].Data); !strings.Contains(m, "/article/") || !strings.Contains(m, "Subject: ") {
		t.Errorf("alert does not name the article:\n%s", m[:min(len(m), 800)])
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE status = 'sent' AND channel = 'email'`); n != 2 {
		t.Errorf("%d sent deliveries, want 2", n)
	}
	// A second cycle with everything due again sends nothing more.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE sources SET next_poll_at = now(); UPDATE articles SET next_check_at = now()`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(box.Messages()); n != 2 {
		t.Errorf("%d messages after a second cycle, want still 2", n)
	}
}

func TestSubscriptionsThatCannotMatchAreRefused(t *testing.T) {
	ctx, db, f := farmTest(t)
	for _, tc := range []struct {
		sub  config.Subscriber
		want string
	}{
		{config.Subscriber{Name: "a", Email: "a@example.org", Topics: []string{"hackng"}}, `unknown topic "hackng"`},
		{config.Subscriber{Name: "b", Email: "b@example.org", Languages: []string{"fr"}}, "want en or zh"},
		{config.Subscriber{Name: "c", Email: "c@example.org", Outlets: []string{"Global Tims"}}, `outlet "Global Tims"`},
	} {
		cfg := testConfig(db)
		cfg.SourcesFile = catalogue(t, f.specs(1))
		cfg.Alert.Subscribers = []config.Subscriber{tc.sub}
		_, err := daemon.NewSetup(ctx, cfg, db.Store, testLogger(t), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "alert.subscribers[0]") {
			t.Errorf("%s: got %v, want an error naming the key and %q", tc.sub.Name, err, tc.want)
		}
	}
}
