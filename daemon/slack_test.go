package daemon_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
)

// A channel added as one file (alert/slack.go) and one configuration entry
// works end to end: the poll finds two relevant articles, the outbox plans
// a slack row for each (no migration named the channel), and the daemon's
// delivery stage posts {"text": …} to the incoming webhook. A 503 is
// retried; a second replica polling everything again sends nothing more:
// each article is accepted exactly once.
func TestSlackChannelEndToEnd(t *testing.T) {
	ctx, db, f := farmTest(t)
	f.items = func(n int) []int { return []int{n} }

	var (
		mu       sync.Mutex
		accepted = map[string]int{} // article URL → messages answered 200
		refused  int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		if r.URL.Path != "/services/T1/B2/tok" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		url, _, ok := strings.Cut(strings.TrimPrefix(body.Text, "*<"), "|")
		mu.Lock()
		defer mu.Unlock()
		if !ok || !strings.Contains(url, "/article/") {
			t.Errorf("text does not open with the linked title: %q", body.Text)
		}
		// The first message to arrive is answered 503: it must be retried.
		if refused == 0 {
			refused++
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		accepted[url]++
		w.Write([]byte("ok"))
	}))
	defer hook.Close()

	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(2))
	cfg.Alert.RetryBase = 10 * time.Millisecond
	cfg.Alert.RetryMax = 10 * time.Millisecond
	cfg.Alert.Subscribers = []config.Subscriber{{Name: "chat", Cadence: "daily at 08:00 UTC",
		Channels: map[string]config.ChannelAddress{"slack": {Address: config.Secret(hook.URL + "/services/T1/B2/tok")}}}}
	d := newDaemon(t, ctx, cfg, db, "replica-slack-1")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE channel = 'slack' AND mode = 'immediate'`); n != 2 {
		t.Fatalf("%d immediate slack deliveries planned, want 2 (one per article, whatever the cadence)", n)
	}
	time.Sleep(50 * time.Millisecond) // past the retry of the refused one
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE sources SET next_poll_at = now(); UPDATE articles SET next_check_at = now()`); err != nil {
		t.Fatal(err)
	}
	d2 := newDaemon(t, ctx, cfg, db, "replica-slack-2")
	if _, err := d2.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if refused != 1 || len(accepted) != 2 {
		t.Fatalf("receiver: %d refused, accepted %v; want 1 refused and 2 articles", refused, accepted)
	}
	for url, n := range accepted {
		if n != 1 {
			t.Errorf("%s accepted %d times, want once", url, n)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE channel = 'slack' AND status = 'sent' AND attempts BETWEEN 1 AND 2`); n != 2 {
		t.Errorf("%d slack deliveries recorded sent, want 2", n)
	}
}
