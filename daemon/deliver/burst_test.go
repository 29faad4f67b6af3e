package deliver

import (
	"context"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
)

// A burst of 50 immediate alerts for one subscriber leaves as one message
// listing them when the burst window closes; a subscriber with alert.burst
// or fewer gets one message per article, at once.
func TestImmediateBurstFolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newTestEnv(t,
		config.Subscriber{Name: "ana", Email: "ana@example.org", Cadence: "immediate", Topics: []string{"data-security"}},
		config.Subscriber{Name: "ben", Email: "ben@example.org", Cadence: "immediate", Topics: []string{"sanctions"}})
	for i := range 50 {
		storeArticle(t, e.pool, simpleArticle(i+1, "data-security", 0.8), alert.Change{})
	}
	for i := range config.DefaultBurst {
		storeArticle(t, e.pool, simpleArticle(100+i, "sanctions", 0.8), alert.Change{})
	}
	s := e.service(t, Options{})
	if _, err := s.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	to := func(addr string) int {
		n := 0
		for _, m := range e.smtp.Messages() {
			if len(m.To) == 1 && m.To[0] == addr {
				n++
			}
		}
		return n
	}
	if n := to("ben@example.org"); n != config.DefaultBurst {
		t.Errorf("ben got %d messages for %d alerts, want one each", n, config.DefaultBurst)
	}
	if n := to("ana@example.org"); n != 0 {
		t.Errorf("ana got %d messages before the burst window closed, want 0", n)
	}
	// The window closes.
	if _, err := e.pool.Exec(ctx, `UPDATE digests SET next_attempt_at = now() - interval '1 second' WHERE burst`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := to("ana@example.org"); n != 1 {
		t.Fatalf("ana got %d messages for a burst of 50, want 1", n)
	}
	var burst []byte
	for _, m := range e.smtp.Messages() {
		if m.To[0] == "ana@example.org" {
			burst = m.Data
		}
	}
	p := alerttest.ParseMessage(t, burst)
	if !strings.Contains(p.Subject, "50 new cyber-policy articles at once") {
		t.Errorf("subject %q", p.Subject)
	}
	for _, u := range []string{"https://english.news.cn/2026/0001.html", "https://english.news.cn/2026/0050.html"} {
		if !strings.Contains(p.Text, u) {
			t.Errorf("burst message does not list %s", u)
		}
	}
	if c := statusCounts(t, e.pool); c["sent"] != 50+config.DefaultBurst {
		t.Errorf("delivery statuses %v, want all %d sent", c, 50+config.DefaultBurst)
	}
	// The burst is not a scheduled digest: it does not move the digest
	// period.
	if last, err := e.db.Store.LastDigestEnd(ctx, 1); err != nil || last != nil {
		t.Errorf("LastDigestEnd after a burst = %v, %v; want none", last, err)
	}
}
