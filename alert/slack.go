package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

// ChannelSlack is the chat channel: a Slack-compatible incoming webhook.
const ChannelSlack = "slack"

// Slack posts one chat message per delivery to an incoming webhook, as the
// JSON body {"text": "…"} in Slack's mrkdwn. Slack takes it, and so do
// Mattermost's incoming webhooks and Matrix bridges that speak Slack's
// webhook format (matrix-hookshot). The webhook URL is the only
// credential, so it is treated as a secret; the receiver has no way to
// recognise a repeat, so a crash mid-send may post a message twice (as
// with every channel, at most the one in flight).
//
// Redirects are never followed (a 3xx is a failure to retry).
type Slack struct {
	client  *http.Client
	timeout time.Duration
}

// newSlackChannel builds the slack channel; alert.webhook_timeout bounds
// one POST.
func newSlackChannel(d Deps) (Channel, error) {
	return &Slack{client: noRedirects(d.HTTPClient), timeout: d.Config.WebhookTimeout}, nil
}

// Name is "slack".
func (s *Slack) Name() string { return ChannelSlack }

// CheckAddress accepts an http(s) URL (Slack's are
// https://hooks.slack.com/services/…).
func (s *Slack) CheckAddress(address string) error { return checkHTTPURL(address) }

// MaxSend is alert.webhook_timeout.
func (s *Slack) MaxSend() time.Duration { return s.timeout }

// Send posts one delivery. A 2xx is sent. 404 and 410 mean the webhook is
// gone (Slack: no_service, channel_is_archived): the channel is turned off
// for the subscriber until the configuration gives a new URL. 400 and 403
// (invalid_payload, action_prohibited) are permanent failures; anything
// else (429, 5xx, no answer) is retried, after Retry-After when given.
func (s *Slack) Send(ctx context.Context, snd Send) Result {
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{SlackText(snd.Item)})
	if err != nil {
		return Result{Permanent: true, Reason: err.Error()}
	}
	if snd.BeforeSend != nil {
		snd.BeforeSend()
	}
	target := snd.To.Address(ChannelSlack)
	res, err := postJSON(ctx, s.client, s.timeout, target, body, nil, snd.Now)
	return httpOutcome("slack for "+snd.To.Name, target, res, err, func(status int) (permanent, gone bool) {
		gone = status == http.StatusNotFound || status == http.StatusGone
		return gone || status == http.StatusBadRequest || status == http.StatusForbidden, gone
	})
}

// SlackText is the item as one Slack mrkdwn message: what happened (new
// articles have no marker), the linked title, outlet and publication time,
// the topics, and the excerpt as a quote with the matched terms in bold.
// &, < and > are escaped as Slack asks, and | (which would end a link's
// text) becomes ¦.
func SlackText(it Item) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "¦")
	var b strings.Builder
	switch it.Event {
	case model.EventChanged:
		b.WriteString("[updated] ")
	case model.EventRemoved:
		b.WriteString("[removed] ")
	}
	if u := it.SafeURL(); u != "" {
		fmt.Fprintf(&b, "*<%s|%s>*", esc.Replace(u), esc.Replace(it.Title))
	} else {
		fmt.Fprintf(&b, "*%s*", esc.Replace(it.Title))
	}
	fmt.Fprintf(&b, " — %s, %s", esc.Replace(it.Outlet), it.PublishedAt.UTC().Format("2 Jan 2006 15:04 UTC"))
	if tl := it.TopicLine(); tl != "" {
		b.WriteString("\n" + esc.Replace(tl))
	}
	if it.Excerpt != "" {
		b.WriteString("\n> ")
		for _, seg := range it.Segments() {
			if seg.Mark {
				b.WriteString("*" + esc.Replace(seg.Text) + "*")
			} else {
				b.WriteString(esc.Replace(seg.Text))
			}
		}
	}
	return b.String()
}
