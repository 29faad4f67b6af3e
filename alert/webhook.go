package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// Webhook headers, after the Standard Webhooks scheme
// (https://www.standardwebhooks.com): the signature is
// "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)).
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// WebhookPayload is the JSON body of a webhook POST.
type WebhookPayload struct {
	// ID is the delivery id, the same as the webhook-id header and the
	// same on every retry.
	ID string `json:"id"`
	// Type is "article.new", "article.changed" or "article.removed".
	Type string `json:"type"`
	// Timestamp is when this attempt was made.
	Timestamp time.Time `json:"timestamp"`
	// Subscriber is the subscriber's name.
	Subscriber string `json:"subscriber"`
	// Article is the same content as an email item.
	Article Item `json:"article"`
	// Text is a Slack-compatible mrkdwn line, so a Slack incoming webhook
	// can take the body as it is.
	Text string `json:"text"`
}

// Webhook is the webhook channel: one signed JSON POST per delivery.
// Redirects are never followed (a 3xx is a failure to retry).
type Webhook struct {
	client  *http.Client
	timeout time.Duration
}

// NewWebhook builds the webhook channel. client may be nil (a client with
// http.DefaultTransport); its redirect policy is replaced. timeout bounds
// one POST.
func NewWebhook(client *http.Client, timeout time.Duration) *Webhook {
	return &Webhook{client: noRedirects(client), timeout: timeout}
}

// Name is "webhook".
func (w *Webhook) Name() string { return model.ChannelWebhook }

// Address is the recipient's webhook URL, "" while it is disabled.
func (w *Webhook) Address(to Recipient) string {
	if to.WebhookDisabled {
		return ""
	}
	return to.Webhook
}

// MaxSend is the webhook timeout.
func (w *Webhook) MaxSend() time.Duration { return w.timeout }

// Send posts one delivery. A 2xx is sent; 410 Gone is permanent and Gone
// (the endpoint should be disabled); other answers and transport errors are
// retried, after Retry-After when the receiver gave one.
func (w *Webhook) Send(ctx context.Context, s Send) Result {
	id := webhookID(s.DeliveryID)
	body, err := json.Marshal(WebhookPayload{
		ID: id, Type: "article." + s.Item.Event, Timestamp: s.Now.UTC(), Subscriber: s.To.Name,
		Article: s.Item, Text: slackText(s.Item),
	})
	if err != nil {
		return Result{Permanent: true, Reason: err.Error(), MessageID: id}
	}
	if s.BeforeSend != nil {
		s.BeforeSend()
	}
	res, err := postWebhook(ctx, w.client, w.timeout, s.To.Webhook, s.To.Secret, id, s.Now, body)
	switch {
	case err != nil:
		return Result{Reason: fmt.Sprintf("webhook for %s: %v", s.To.Name, err), MessageID: id}
	case res.status >= 200 && res.status < 300:
		return Result{Sent: true, Response: res.response, MessageID: id}
	case res.status == http.StatusGone:
		return Result{Permanent: true, Gone: true, Reason: "410 Gone from " + config.RedactURL(s.To.Webhook), Response: res.response, MessageID: id}
	default:
		return Result{Reason: fmt.Sprintf("webhook for %s: HTTP %d", s.To.Name, res.status), Response: res.response, RetryAfter: res.retryAfter, MessageID: id}
	}
}

// webhookID is the stable id of a webhook delivery.
func webhookID(deliveryID int64) string {
	return "wirewatch_delivery_" + strconv.FormatInt(deliveryID, 10)
}

// signingKey is the HMAC key: a "whsec_" secret is base64 after the prefix
// (as Standard Webhooks libraries generate them), anything else is used as
// it is.
func signingKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return k
		}
	}
	return []byte(secret)
}

// Sign returns the webhook-signature header value for id, ts and body.
func Sign(secret, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, signingKey(secret))
	fmt.Fprintf(mac, "%s.%d.", id, ts.Unix())
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a request's signature headers against secret and body, and
// that the timestamp is within tolerance of now. Receivers (and the tests)
// use it.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id := h.Get(HeaderWebhookID)
	sec, err := strconv.ParseInt(h.Get(HeaderWebhookTimestamp), 10, 64)
	if id == "" || err != nil {
		return errors.New("alert: webhook: missing id or timestamp")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return errors.New("alert: webhook: timestamp outside tolerance")
	}
	want := Sign(secret, id, ts, body)
	for _, sig := range strings.Fields(h.Get(HeaderWebhookSignature)) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("alert: webhook: signature mismatch")
}

// slackText is the item as Slack mrkdwn: &, < and > escaped as Slack asks,
// the link in <url|text> form.
func slackText(it Item) string {
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
		for _, s := range it.Segments() {
			if s.Mark {
				b.WriteString("*" + esc.Replace(s.Text) + "*")
			} else {
				b.WriteString(esc.Replace(s.Text))
			}
		}
	}
	return b.String()
}

// webhookResult is what one POST came to.
type webhookResult struct {
	status     int           // 0 when no response arrived
	retryAfter time.Duration // from Retry-After, 0 when absent
	response   string        // status line and the start of the body
}

// postWebhook sends one signed POST. err is set for transport failures
// (connection, timeout); HTTP statuses are in the result.
func postWebhook(ctx context.Context, client *http.Client, timeout time.Duration, target, secret, id string, now time.Time, body []byte) (webhookResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return webhookResult{}, fmt.Errorf("build request for %s: %s", config.RedactURL(target), config.RedactText(err.Error()))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wirewatch-webhook")
	req.Header.Set(HeaderWebhookID, id)
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderWebhookSignature, Sign(secret, id, now, body))
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error prints the whole URL, and a webhook's path is its secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			return webhookResult{}, fmt.Errorf("%s %s: %w", ue.Op, config.RedactURL(target), ue.Err)
		}
		return webhookResult{}, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, config.DefaultWebhookDrain))
	r := webhookResult{status: resp.StatusCode, response: headerSafe(resp.Status + " " + string(snippet))}
	r.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	return r, nil
}

// maxRetryAfter caps a receiver's Retry-After.
const maxRetryAfter = config.DefaultMaxRetryAfter

// parseRetryAfter reads delay-seconds or an HTTP date, capped at a day.
func parseRetryAfter(v string, now time.Time) time.Duration {
	return min(parseRetryAfterRaw(v, now), maxRetryAfter)
}

func parseRetryAfterRaw(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(min(n, int(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// noRedirects returns a copy of c that never follows redirects: a 3xx is
// an answer like any other (and so a failure to retry).
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = &http.Client{}
	}
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}
