package deliver

import (
	"context"
	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/model"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/wirewatch/wirewatch/config"
)

func TestImmediateEmail(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org", Cadence: "immediate"})
	a := simpleArticle(1, "data-security", 0.8)
	a.Title = "网络安全法修订 \r\nBcc: victim@example.org"
	_, n := storeArticle(t, e.pool, a, alert.Change{})
	if n != 1 {
		t.Fatalf("enqueued %d rows, want 1", n)
	}
	s := e.service(t, Options{})
	sent, err := s.RunOnce(context.Background())
	if err != nil || sent != 1 {
		t.Fatalf("RunOnce = %d, %v; want 1, nil", sent, err)
	}
	msgs := e.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "ana@example.org" {
		t.Fatalf("recipients %v", msgs[0].To)
	}
	p := alerttest.ParseMessage(t, msgs[0].Data)
	if want := "wirewatch: 网络安全法修订 Bcc: victim@example.org"; p.Subject != want {
		t.Errorf("subject %q, want %q", p.Subject, want)
	}
	if p.Header.Get("Bcc") != "" {
		t.Errorf("header injected: Bcc %q", p.Header.Get("Bcc"))
	}
	var id int64
	var msgID string
	if err := e.pool.QueryRow(context.Background(), `SELECT id, message_id FROM deliveries WHERE status = 'sent'`).Scan(&id, &msgID); err != nil {
		t.Fatal(err)
	}
	if got := p.Header.Get("Message-Id"); got != "<"+msgID+">" || !strings.Contains(msgID, "delivery.") {
		t.Errorf("Message-ID %q, stored %q", got, msgID)
	}
	if !strings.Contains(p.HTML, `href="https://english.news.cn/2026/0001.html"`) || !strings.Contains(p.Text, "https://english.news.cn/2026/0001.html") {
		t.Errorf("link missing:\n%s\n%s", p.HTML, p.Text)
	}
	if !strings.Contains(p.Text, "*data security law*") {
		t.Errorf("highlight missing in text:\n%s", p.Text)
	}
	// A second pass sends nothing more.
	if sent, err := s.RunOnce(context.Background()); err != nil || sent != 0 {
		t.Fatalf("second RunOnce = %d, %v", sent, err)
	}
}

func TestSMTPTemporaryThenAccept(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org"})
	e.smtp.Reply = func(n int) error {
		if n == 1 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	}
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	s := e.service(t, Options{})
	ctx := context.Background()
	if sent, err := s.RunOnce(ctx); err != nil || sent != 0 {
		t.Fatalf("first pass = %d, %v; want 0 (451)", sent, err)
	}
	var status, errText string
	var attempts int
	if err := e.pool.QueryRow(ctx, `SELECT status, attempts, coalesce(error, '') FROM deliveries`).Scan(&status, &attempts, &errText); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusPending || attempts != 1 || !strings.Contains(errText, "451") {
		t.Fatalf("after 451: status %s attempts %d error %q", status, attempts, errText)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(e.smtp.Messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if _, err := s.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		s.RunOnce(ctx)
	}
	if got := len(e.smtp.Messages()); got != 1 {
		t.Fatalf("server accepted %d messages, want exactly 1", got)
	}
	if c := statusCounts(t, e.pool); c[model.StatusSent] != 1 {
		t.Fatalf("statuses %v", c)
	}
}

func TestSMTPPermanentFailure(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org"})
	e.smtp.Reply = func(int) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	s := e.service(t, Options{})
	if _, err := s.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	var status, errText string
	if err := e.pool.QueryRow(context.Background(), `SELECT status, coalesce(error, '') FROM deliveries`).Scan(&status, &errText); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusFailed || !strings.Contains(errText, "550") || !strings.Contains(errText, "mailbox unavailable") {
		t.Fatalf("after 550: status %s error %q", status, errText)
	}
}

func TestSMTPHangTimesOut(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org"})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	e.smtp.Reply = func(int) error {
		<-release
		return nil
	}
	e.cfg.SMTP.Timeout = 300 * time.Millisecond
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	s := e.service(t, Options{})
	start := time.Now()
	if _, err := s.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("pass took %v; the timeout did not bite", d)
	}
	var status, errText string
	if err := e.pool.QueryRow(context.Background(), `SELECT status, coalesce(error, '') FROM deliveries`).Scan(&status, &errText); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusPending || errText == "" {
		t.Fatalf("after hang: status %s error %q; want pending with an error", status, errText)
	}
	t.Logf("hang error: %s", errText)
}
