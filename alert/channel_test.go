package alert

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

func channelItem() Item {
	return Item{ArticleID: 9, Event: model.EventNew, URL: "https://english.news.cn/a.html", Title: "New data security rules",
		Outlet: "Xinhua", PublishedAt: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), Score: 0.8,
		Topics: []TopicScore{{ID: "data-security", Label: "Data security", Score: 0.8}}}
}

// The email channel renders and sends one alert through the SMTP server,
// with a Message-ID derived from the delivery, and sorts the server's
// refusals into permanent (5xx) and temporary (4xx) failures.
func TestEmailChannel(t *testing.T) {
	srv := alerttest.NewSMTPServer(t)
	cfg := config.DefaultAlert().SMTP
	cfg.URL = "smtp://" + srv.Addr
	cfg.From = "wirewatch <alerts@wirewatch.test>"
	cfg.Timeout = 5 * time.Second
	ch, err := NewEmail(cfg)
	if err != nil || ch == nil {
		t.Fatalf("NewEmail: %v, %v", ch, err)
	}
	to := Recipient{Name: "ana", Email: "ana@example.org"}
	if ch.Address(to) != "ana@example.org" || ch.Address(Recipient{Webhook: "https://x"}) != "" {
		t.Error("Address is not the email address")
	}
	before := 0
	r := ch.Send(context.Background(), Send{To: to, Item: channelItem(), DeliveryID: 41, Now: time.Now(), BeforeSend: func() { before++ }})
	if !r.Sent || r.MessageID != "wirewatch.delivery.41@wirewatch.test" || before != 1 {
		t.Fatalf("send: %+v (before-send ran %d times)", r, before)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	p := alerttest.ParseMessage(t, msgs[0].Data)
	if !strings.Contains(p.Subject, "New data security rules") || !strings.Contains(p.Text, "https://english.news.cn/a.html") {
		t.Errorf("message: subject %q, text %q", p.Subject, p.Text)
	}
	for code, permanent := range map[int]bool{554: true, 451: false} {
		srv.SetReply(func(int) error { return &smtp.SMTPError{Code: code, Message: "no"} })
		r := ch.Send(context.Background(), Send{To: to, Item: channelItem(), DeliveryID: 42, Now: time.Now()})
		if r.Sent || r.Permanent != permanent || r.Reason == "" {
			t.Errorf("reply %d: %+v, want permanent %v", code, r, permanent)
		}
	}
	if off, err := NewEmail(config.SMTP{}); off != nil || err != nil {
		t.Errorf("no smtp.url: %v, %v; want email off", off, err)
	}
}

// The webhook channel posts a signed body; 2xx is sent, 410 is gone for
// good, other answers are retried after the receiver's Retry-After.
func TestWebhookChannel(t *testing.T) {
	status := http.StatusNoContent
	var got []byte
	var headers http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		headers = r.Header.Clone()
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(status)
	}))
	defer srv.Close()
	ch := NewWebhook(srv.Client(), 5*time.Second)
	to := Recipient{Name: "bo", Webhook: srv.URL, Secret: "s3cret"}
	now := time.Now()
	r := ch.Send(context.Background(), Send{To: to, Item: channelItem(), DeliveryID: 7, Now: now})
	if !r.Sent || r.MessageID != "wirewatch_delivery_7" {
		t.Fatalf("send: %+v", r)
	}
	if err := Verify("s3cret", headers, got, now, time.Minute); err != nil {
		t.Errorf("signature: %v", err)
	}
	status = http.StatusServiceUnavailable
	if r := ch.Send(context.Background(), Send{To: to, Item: channelItem(), DeliveryID: 7, Now: now}); r.Sent || r.Permanent || r.RetryAfter != 2*time.Minute {
		t.Errorf("503: %+v, want a retry after 2m", r)
	}
	status = http.StatusGone
	if r := ch.Send(context.Background(), Send{To: to, Item: channelItem(), DeliveryID: 7, Now: now}); !r.Permanent || !r.Gone {
		t.Errorf("410: %+v, want permanent and gone", r)
	}
	if ch.Address(Recipient{Webhook: srv.URL, WebhookDisabled: true}) != "" {
		t.Error("a disabled webhook still has an address")
	}
	var _ Channel = ch
	var _ Channel = (*Email)(nil)
}
