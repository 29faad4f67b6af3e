package alert

import (
	"context"
	"encoding/json"
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
	to := Recipient{Name: "ana", Addresses: map[string]string{model.ChannelEmail: "ana@example.org"}}
	if ch.CheckAddress("ana@example.org") != nil || ch.CheckAddress("https://x") == nil {
		t.Error("CheckAddress does not tell an email address")
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
	to := Recipient{Name: "bo", Addresses: map[string]string{model.ChannelWebhook: srv.URL}, Secret: "s3cret"}
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
	if ch.CheckAddress(srv.URL) != nil || ch.CheckAddress("hooks.example.org/x") == nil {
		t.Error("CheckAddress does not tell an http(s) URL")
	}
	var _ Channel = ch
	var _ Channel = (*Email)(nil)
}

// The slack channel posts {"text": …} with the item in Slack mrkdwn (no
// signature headers); 2xx is sent, 404 and 410 are gone for good, 400 is
// permanent, 429 is retried after the receiver's Retry-After.
func TestSlackChannel(t *testing.T) {
	status := http.StatusOK
	var got map[string]any
	var headers http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = nil
		headers = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("body is not JSON: %v", err)
		}
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(status)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	chans, err := NewChannels(Deps{Config: config.DefaultAlert(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ch := chans[ChannelSlack]
	if ch == nil || chans[model.ChannelEmail] != nil || chans[model.ChannelWebhook] == nil {
		t.Fatalf("channels without smtp.url: %v; want webhook and slack, not email", chans)
	}
	to := Recipient{Name: "chat", Addresses: map[string]string{ChannelSlack: srv.URL + "/services/T0/B0/x"}}
	it := channelItem()
	it.Title = "Rules <for> A & B | C"
	r := ch.Send(context.Background(), Send{To: to, Item: it, DeliveryID: 3, Now: time.Now()})
	if !r.Sent || !strings.HasPrefix(r.Response, "200 OK ok") {
		t.Fatalf("send: %+v", r)
	}
	want := "*<https://english.news.cn/a.html|Rules &lt;for&gt; A &amp; B ¦ C>* — Xinhua, 22 Nov 2026 08:00 UTC"
	if text, _ := got["text"].(string); !strings.HasPrefix(text, want) || len(got) != 1 {
		t.Errorf("body %v, want only text starting %q", got, want)
	}
	if headers.Get(HeaderWebhookSignature) != "" || headers.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v: want JSON, unsigned", headers)
	}
	for code, want := range map[int]Result{
		http.StatusTooManyRequests: {RetryAfter: 30 * time.Second},
		http.StatusBadRequest:      {Permanent: true},
		http.StatusNotFound:        {Permanent: true, Gone: true},
		http.StatusGone:            {Permanent: true, Gone: true},
	} {
		status = code
		r := ch.Send(context.Background(), Send{To: to, Item: channelItem(), DeliveryID: 3, Now: time.Now()})
		if r.Sent || r.Permanent != want.Permanent || r.Gone != want.Gone || r.RetryAfter != want.RetryAfter || r.Reason == "" {
			t.Errorf("HTTP %d: %+v, want %+v", code, r, want)
		}
		if strings.Contains(r.Reason, "/services/") {
			t.Errorf("HTTP %d: the reason shows the webhook's path: %s", code, r.Reason)
		}
	}
	if ch.CheckAddress("https://hooks.slack.com/services/T/B/x") != nil || ch.CheckAddress("#general") == nil {
		t.Error("CheckAddress does not tell an http(s) URL")
	}
}

// A subscriber's channels entry must name a channel wirewatch has, with an
// address that channel takes.
func TestCheckAddresses(t *testing.T) {
	chans, err := NewChannels(Deps{Config: config.DefaultAlert()})
	if err != nil {
		t.Fatal(err)
	}
	sub := func(name, addr string) []config.Subscriber {
		return []config.Subscriber{{Name: "a", Channels: map[string]config.ChannelAddress{name: {Address: config.Secret(addr)}}}}
	}
	if err := CheckAddresses(sub(ChannelSlack, "https://hooks.slack.com/services/T/B/x"), chans); err != nil {
		t.Errorf("a slack URL: %v", err)
	}
	for _, tc := range []struct{ name, addr, want string }{
		{"telegram", "https://x.example", "alert.subscribers[0].channels.telegram: no such channel; the channels are slack, webhook"},
		{ChannelSlack, "hooks.slack.com/services/T/B/x", "alert.subscribers[0].channels.slack.address: want an http(s) URL"},
	} {
		err := CheckAddresses(sub(tc.name, tc.addr), chans)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: %v, want %q", tc.name, tc.addr, err, tc.want)
		}
	}
}
