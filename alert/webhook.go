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

// newWebhookChannel is NewWebhook for NewChannels.
func newWebhookChannel(d Deps) (Channel, error) {
	return NewWebhook(d.HTTPClient, d.Config.WebhookTimeout), nil
}

// Name is "webhook".
func (w *Webhook) Name() string { return model.ChannelWebhook }

// CheckAddress accepts an http(s) URL.
func (w *Webhook) CheckAddress(address string) error { return checkHTTPURL(address) }

// MaxSend is the webhook timeout.
func (w *Webhook) MaxSend() time.Duration { return w.timeout }

// Send posts one delivery. A 2xx is sent; 410 Gone is permanent and Gone
// (the endpoint should be disabled); other answers and transport errors are
// retried, after Retry-After when the receiver gave one.
func (w *Webhook) Send(ctx context.Context, s Send) Result {
	id := webhookID(s.DeliveryID)
	body, err := json.Marshal(WebhookPayload{
		ID: id, Type: "article." + s.Item.Event, Timestamp: s.Now.UTC(), Subscriber: s.To.Name,
		Article: s.Item, Text: SlackText(s.Item),
	})
	if err != nil {
		return Result{Permanent: true, Reason: err.Error(), MessageID: id}
	}
	if s.BeforeSend != nil {
		s.BeforeSend()
	}
	target := s.To.Address(model.ChannelWebhook)
	res, err := postJSON(ctx, w.client, w.timeout, target, body, signedHeaders(s.To.Secret, id, s.Now, body), s.Now)
	r := httpOutcome("webhook for "+s.To.Name, target, res, err, func(status int) (permanent, gone bool) {
		return status == http.StatusGone, status == http.StatusGone
	})
	r.MessageID = id
	return r
}

// httpOutcome turns one POST's answer into a Result: a 2xx is sent, a
// transport error or another status a retry (after Retry-After), unless
// final says the status is permanent, or gone for good (the channel is
// turned off for the recipient). what names the send in reasons.
func httpOutcome(what, target string, res webhookResult, err error, final func(status int) (permanent, gone bool)) Result {
	if err != nil {
		return Result{Reason: fmt.Sprintf("%s: %v", what, err)}
	}
	if res.status >= 200 && res.status < 300 {
		return Result{Sent: true, Response: res.response}
	}
	r := Result{Reason: fmt.Sprintf("%s: HTTP %d", what, res.status), Response: res.response, RetryAfter: res.retryAfter}
	if r.Permanent, r.Gone = final(res.status); r.Permanent || r.Gone {
		r.Permanent, r.RetryAfter = true, 0
		r.Reason = fmt.Sprintf("%s: HTTP %d from %s", what, res.status, config.RedactURL(target))
	}
	return r
}

// checkHTTPURL accepts an absolute http(s) URL with a host.
func checkHTTPURL(address string) error {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an http(s) URL, got %q", config.RedactURL(address))
	}
	return nil
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

// webhookResult is what one POST came to.
type webhookResult struct {
	status     int           // 0 when no response arrived
	retryAfter time.Duration // from Retry-After, 0 when absent
	response   string        // status line and the start of the body
}

// signedHeaders are the Standard Webhooks headers of one signed body.
func signedHeaders(secret, id string, now time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderWebhookSignature, Sign(secret, id, now, body))
	return h
}

// postWebhook sends one signed POST (operators' messages).
func postWebhook(ctx context.Context, client *http.Client, timeout time.Duration, target, secret, id string, now time.Time, body []byte) (webhookResult, error) {
	return postJSON(ctx, client, timeout, target, body, signedHeaders(secret, id, now, body), now)
}

// postJSON sends one JSON POST with the extra headers. err is set for
// transport failures (connection, timeout); HTTP statuses are in the
// result. Nothing of the target but its scheme and host reaches an error:
// a webhook's path is its secret.
func postJSON(ctx context.Context, client *http.Client, timeout time.Duration, target string, body []byte, headers http.Header, now time.Time) (webhookResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return webhookResult{}, fmt.Errorf("build request for %s: %s", config.RedactURL(target), config.RedactText(err.Error()))
	}
	for k, v := range headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wirewatch-webhook")
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error prints the whole URL.
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
