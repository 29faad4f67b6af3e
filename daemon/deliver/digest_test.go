package deliver

import (
	"context"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/internal/textwidth"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

func TestDigestEmail(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t,
		config.Subscriber{Name: "bo", Email: "bo@example.org", Cadence: "daily at 08:00 Europe/London"},
		config.Subscriber{Name: "cy", Email: "cy@example.org", Cadence: "daily at 08:00 Europe/London", Topics: []string{"hacking-espionage"}},
	)
	for i, topic := range []string{"data-security", "data-security", "tech-restrictions"} {
		a := simpleArticle(i+1, topic, 0.6+0.1*float64(i))
		a.Outlet = []string{"Xinhua", "People's Daily", "Xinhua"}[i]
		storeArticle(t, e.pool, a, alert.Change{})
	}
	ctx := context.Background()
	// Before the period closes nothing is sent.
	s := e.service(t, Options{})
	if n, err := s.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce before the boundary = %d, %v", n, err)
	}
	later := func() time.Time { return time.Now().Add(25 * time.Hour) }
	s = e.service(t, Options{Now: later})
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce after the boundary = %d, %v; want 1 digest", n, err)
	}
	msgs := e.smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "bo@example.org" {
		t.Fatalf("got %d messages (%v), want one to bo", len(msgs), msgs)
	}
	p := alerttest.ParseMessage(t, msgs[0].Data)
	london, _ := time.LoadLocation("Europe/London")
	wantSubj := "wirewatch: 3 new cyber-policy articles, " + alert.LastBoundary(config.Cadence{Mode: "daily", Hour: 8, Location: london}, later()).Format("2 Jan 2006")
	if p.Subject != wantSubj {
		t.Errorf("subject %q, want %q", p.Subject, wantSubj)
	}
	if !strings.Contains(p.Header.Get("Message-Id"), "wirewatch.digest.") {
		t.Errorf("Message-ID %q", p.Header.Get("Message-Id"))
	}
	// Grouped by topic, best group first: tech-restrictions (0.8) before data-security (0.7, 0.6).
	ti, di := strings.Index(p.Text, "Tech restrictions (1)"), strings.Index(p.Text, "Data security (2)")
	if ti < 0 || di < 0 || ti > di {
		t.Errorf("text groups out of order (%d, %d):\n%s", ti, di, p.Text)
	}
	a2, a1 := strings.Index(p.Text, "Article 2 "), strings.Index(p.Text, "Article 1 ")
	if a2 < 0 || a1 < 0 || a2 > a1 {
		t.Errorf("items not by score within a group:\n%s", p.Text)
	}
	for _, want := range []string{"By topic:", "By outlet:", "  2  Xinhua", "People's Daily"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, p.Text)
		}
	}
	if hi, hd := strings.Index(p.HTML, ">Tech restrictions <"), strings.Index(p.HTML, ">Data security <"); hi < 0 || hd < 0 || hi > hd {
		t.Errorf("HTML groups missing or out of order:\n%s", p.HTML)
	}
	for _, line := range strings.Split(p.Text, "\n") {
		if textwidth.String(line) > 72 && !strings.Contains(line, "https://") {
			t.Errorf("text line wider than 72 columns: %q", line)
		}
	}
	if c := statusCounts(t, e.pool); c[model.StatusSent] != 3 || len(c) != 1 {
		t.Errorf("delivery statuses %v, want 3 sent", c)
	}
	var empty int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM digests WHERE status = 'empty'`).Scan(&empty); err != nil || empty != 1 {
		t.Errorf("empty digests %d (%v), want 1 (cy, nothing matched)", empty, err)
	}
	// The same period again: nothing more.
	if n, err := s.RunOnce(ctx); err != nil || n != 0 || len(e.smtp.Messages()) != 1 {
		t.Fatalf("second pass = %d, %v, %d messages", n, err, len(e.smtp.Messages()))
	}
	// A removal of an article already sent lands in the next digest, flagged.
	a := simpleArticle(1, "data-security", 0.6)
	a.Removed = true
	if _, n := storeArticle(t, e.pool, a, alert.Change{WasRelevant: true, Removed: true}); n != 1 {
		t.Fatalf("removal enqueued %d rows, want 1", n)
	}
	s = e.service(t, Options{Now: func() time.Time { return time.Now().Add(49 * time.Hour) }})
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce next day = %d, %v", n, err)
	}
	p = alerttest.ParseMessage(t, e.smtp.Messages()[1].Data)
	if !strings.Contains(p.Subject, "1 update to cyber-policy articles") || !strings.Contains(p.Text, "[REMOVED] Article 1") || !strings.Contains(p.HTML, "REMOVED") {
		t.Errorf("removal digest: %q\n%s", p.Subject, p.Text)
	}
}

func TestSendDigestNowAndPreview(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "bo", Email: "bo@example.org", Cadence: "weekly on Monday at 07:00 Asia/Singapore"})
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.7), alert.Change{})
	s := e.service(t, Options{})
	ctx := context.Background()
	r, n, err := s.PreviewDigest(ctx, "bo")
	if err != nil || n != 1 || !strings.Contains(r.Text, "Article 1") {
		t.Fatalf("preview: %d, %v\n%s", n, err, r.Text)
	}
	var b strings.Builder
	if err := s.WriteEML(ctx, &b, "bo", r); err != nil {
		t.Fatal(err)
	}
	alerttest.ParseMessage(t, []byte(b.String()))
	if c := statusCounts(t, e.pool); c[model.StatusPending] != 1 {
		t.Fatalf("preview recorded something: %v", c)
	}
	if _, _, err := s.PreviewDigest(ctx, "nobody"); err == nil {
		t.Fatal("preview of an unknown subscriber succeeded")
	}
	if n, err := s.SendDigestNow(ctx, "bo"); err != nil || n != 1 {
		t.Fatalf("SendDigestNow = %d, %v", n, err)
	}
	if len(e.smtp.Messages()) != 1 {
		t.Fatalf("%d messages", len(e.smtp.Messages()))
	}
	if c := statusCounts(t, e.pool); c[model.StatusSent] != 1 {
		t.Fatalf("statuses %v", c)
	}
}

func TestEnqueueSemantics(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t,
		config.Subscriber{Name: "all", Email: "all@example.org", Webhook: "https://hooks.example.org/x", WebhookSecret: "k"},
		config.Subscriber{Name: "high", Email: "high@example.org", MinScore: 0.9},
		config.Subscriber{Name: "zh", Email: "zh@example.org", Languages: []string{"zh"}},
		config.Subscriber{Name: "hack", Email: "hack@example.org", Topics: []string{"hacking-espionage"}},
		config.Subscriber{Name: "xin", Email: "xin@example.org", Outlets: []string{"xinhua"}, Cadence: "daily at 08:00"},
	)
	ctx := context.Background()
	count := func(where string) int {
		var n int
		if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE `+where).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	a := simpleArticle(1, "data-security", 0.7)
	if _, n := storeArticle(t, e.pool, a, alert.Change{}); n != 3 {
		t.Fatalf("new article: %d rows, want 3 (all: email+webhook, xin: digest)", n)
	}
	if count(`s.name = 'xin' AND d.mode = 'digest'`) != 1 || count(`s.name = 'all' AND d.channel = 'webhook' AND d.mode = 'immediate'`) != 1 {
		t.Fatal("modes wrong")
	}
	// Saving again without a change adds nothing.
	if _, n := storeArticle(t, e.pool, a, alert.Change{WasRelevant: true}); n != 0 {
		t.Fatalf("unchanged save: %d rows", n)
	}
	// An edit before anything was sent: nothing new; after sending, 'changed'.
	if _, n := storeArticle(t, e.pool, a, alert.Change{WasRelevant: true, Edited: true}); n != 0 {
		t.Fatalf("edit before send: %d rows", n)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE deliveries SET status = 'sent'`); err != nil {
		t.Fatal(err)
	}
	if _, n := storeArticle(t, e.pool, a, alert.Change{WasRelevant: true, Edited: true}); n != 3 {
		t.Fatalf("edit after send: %d rows, want 3 changed", n)
	}
	if _, n := storeArticle(t, e.pool, a, alert.Change{WasRelevant: true, Edited: true}); n != 0 {
		t.Fatalf("second edit: %d rows, want 0 (one 'changed' per article)", n)
	}
	// Removal of an article already sent.
	a.Removed = true
	if _, n := storeArticle(t, e.pool, a, alert.Change{WasRelevant: true, Removed: true}); n != 3 {
		t.Fatalf("removal: %d rows, want 3", n)
	}
	// A Chinese article from another outlet, hacking topic, high score.
	b := simpleArticle(2, "hacking-espionage", 0.95)
	b.Language, b.Outlet = "zh", "人民网"
	if _, n := storeArticle(t, e.pool, b, alert.Change{}); n != 5 {
		t.Fatalf("zh article: %d rows, want 5 (all×2, high, zh, hack)", n)
	}
	// It becomes irrelevant before sending: pending rows are cancelled.
	b.Score, b.Topics = 0, nil
	if _, n := storeArticle(t, e.pool, b, alert.Change{WasRelevant: true, Edited: true}); n != 0 {
		t.Fatalf("irrelevant: %d rows", n)
	}
	if got := count(`d.article_id = (SELECT id FROM articles WHERE canonical_url = '` + b.URL + `') AND d.status = 'cancelled'`); got != 5 {
		t.Fatalf("cancelled %d rows, want 5", got)
	}
	// Irrelevant articles make no rows.
	if _, n := storeArticle(t, e.pool, simpleArticle(3, "data-security", 0), alert.Change{}); n != 0 {
		t.Fatalf("irrelevant article: %d rows", n)
	}
	// Removing a subscriber from the configuration disables it and cancels
	// its waiting rows.
	storeArticle(t, e.pool, simpleArticle(4, "data-security", 0.7), alert.Change{})
	if err := e.db.Store.SyncSubscribers(ctx, e.cfg.Subscribers[:1]); err != nil {
		t.Fatal(err)
	}
	if got := count(`s.name = 'xin' AND d.status = 'pending'`); got != 0 {
		t.Fatalf("removed subscriber still has %d pending rows", got)
	}
	_ = model.Evidence{}
}
