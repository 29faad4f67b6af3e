package config

import (
	"cmp"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Alert sets how alerts leave wirewatch and who receives them.
// (Alike by design: documented yaml fields, the shape of every configuration struct.)
type Alert struct {
	// SMTP is the mail server for digests and immediate alerts.
	SMTP SMTP `yaml:"smtp"`
	// WebhookTimeout bounds one webhook POST. Default 15s.
	WebhookTimeout time.Duration `yaml:"webhook_timeout"`
	// SendEmptyDigests sends a digest even when nothing is new. Default false.
	SendEmptyDigests bool `yaml:"send_empty_digests"`
	// Backfill holds back articles first seen more than this after their
	// publication (a source's first poll, its return after an outage):
	// they are archived and searchable but not alerted; `wirewatch alert
	// replay --since` sends them on purpose. 0 alerts everything. Default
	// 48h.
	Backfill time.Duration `yaml:"backfill"`
	// Burst folds immediate email alerts: when more than this many wait for
	// one subscriber within BurstWindow, they leave as one message listing
	// them. Default 5.
	Burst int `yaml:"burst"`
	// BurstWindow is the window Burst counts in. Default 1m.
	BurstWindow time.Duration `yaml:"burst_window"`
	// Lease is how long a sender holds a claimed delivery or digest without
	// renewing it; it renews it every Lease/3 while sending, so after a
	// crash (kill -9) another replica sends the message about one Lease
	// later. Default 15s.
	Lease time.Duration `yaml:"lease"`
	// DigestMaxHTML is the most bytes a digest's HTML part may take: past
	// it, items become title lines, then "and N more". Default 100000.
	DigestMaxHTML int `yaml:"digest_max_html"`
	// DigestFullPerTopic is how many of each topic's best items a digest
	// shows in full; the rest are title lines. Default 5.
	DigestFullPerTopic int `yaml:"digest_full_per_topic"`
	// MaxAttempts is how often a delivery is retried before it is marked
	// failed. Default 8.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryBase is the first retry delay; it doubles per attempt (with
	// jitter) up to RetryMax. Default 30s.
	RetryBase time.Duration `yaml:"retry_base"`
	// RetryMax caps the retry delay. Default 1h.
	RetryMax time.Duration `yaml:"retry_max"`
	// Subscribers are the readers. The daemon syncs them into the database
	// at start, disabling the ones no longer listed (and cancelling what
	// waits for them); `wirewatch digest` only adds or updates the one it
	// names, so its configuration need not list everyone.
	Subscribers []Subscriber `yaml:"subscribers"`
	// Operators receive one message when a source's state (stale, broken,
	// blocked, challenge) starts and one when it ends.
	Operators Operators `yaml:"operators"`
}

// Operators is the operators' address for source-state messages: an email
// (sent through alert.smtp), a webhook (a signed JSON POST), or both.
type Operators struct {
	// Email receives source-state messages. Default "" (none).
	Email string `yaml:"email"`
	// Webhook receives source-state messages as signed JSON. Default "".
	Webhook string `yaml:"webhook"`
	// WebhookSecret signs the webhook bodies; required with Webhook.
	WebhookSecret Secret `yaml:"webhook_secret"`
	// WebhookSecretFile names a file holding WebhookSecret. Default "".
	WebhookSecretFile string `yaml:"webhook_secret_file"`
}

// SMTP is an outgoing mail server.
type SMTP struct {
	// URL is smtp://user@host:587 (STARTTLS when offered) or
	// smtps://user@host:465 (implicit TLS); "" turns email off. Default "".
	URL string `yaml:"url"`
	// Password is the SMTP password. Default "".
	Password Secret `yaml:"password"`
	// PasswordFile names a file holding the SMTP password. Default "".
	PasswordFile string `yaml:"password_file"`
	// From is the sender address. Default "wirewatch <wirewatch@localhost>".
	From string `yaml:"from"`
	// Timeout bounds connecting and each SMTP command. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// RequireTLS refuses to send over an unencrypted connection. Default false.
	RequireTLS bool `yaml:"require_tls"`
}

// Subscriber is one reader and what they want.
// (Alike by design: documented yaml fields, the shape of every configuration struct.)
type Subscriber struct {
	// Name identifies the subscriber (unique).
	Name string `yaml:"name"`
	// Email receives digests or immediate alerts; optional. Email rows wait
	// (pending) while alert.smtp.url is empty.
	Email string `yaml:"email"`
	// Webhook receives one signed JSON POST per article, whatever the
	// cadence; optional. A 410 reply disables it until the URL changes.
	Webhook string `yaml:"webhook"`
	// WebhookSecret signs webhook bodies (HMAC-SHA256, Standard Webhooks
	// headers); required with Webhook. A "whsec_" prefix marks a base64 key
	// as Standard Webhooks libraries generate them; anything else is used
	// as it is.
	WebhookSecret Secret `yaml:"webhook_secret"`
	// WebhookSecretFile names a file holding WebhookSecret. Default "".
	WebhookSecretFile string `yaml:"webhook_secret_file"`
	// Channels gives the subscriber's address on other channels, by
	// channel name (slack: a Slack-compatible incoming webhook); each gets
	// one message per article, whatever the cadence. Email and webhook
	// have their own keys above. Default none.
	Channels map[string]ChannelAddress `yaml:"channels"`
	// Topics limits alerts to these topic ids; empty means every topic.
	// With topics, MinScore applies to the best of them.
	Topics []string `yaml:"topics"`
	// MinScore is the lowest overall score alerted. Default 0 (every
	// relevant article).
	MinScore float64 `yaml:"min_score"`
	// Outlets limits alerts to these outlets; empty means all.
	Outlets []string `yaml:"outlets"`
	// Languages limits alerts to these languages (en, zh); empty means all.
	Languages []string `yaml:"languages"`
	// Cadence is "immediate", "daily at 08:00 Europe/London" or
	// "weekly on Monday at 07:00 Asia/Singapore". Default "immediate".
	Cadence string `yaml:"cadence"`
}

// ChannelAddress is a subscriber's address on one channel.
type ChannelAddress struct {
	// Address is where the channel sends: for slack, the incoming webhook
	// URL. It is a secret (a chat webhook URL carries its own credentials).
	Address Secret `yaml:"address"`
	// AddressFile names a file holding Address. Default "".
	AddressFile string `yaml:"address_file"`
}

// channelNameRE is what the deliveries table takes as a channel name.
var channelNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Addresses returns the subscriber's addresses by channel name: email and
// webhook from their own keys, the others from Channels. Channels without
// an address are left out.
func (s Subscriber) Addresses() map[string]string {
	out := make(map[string]string, 2+len(s.Channels))
	for name, a := range s.Channels {
		if v := strings.TrimSpace(a.Address.Reveal()); v != "" {
			out[name] = v
		}
	}
	if v := strings.TrimSpace(s.Email); v != "" {
		out["email"] = v
	}
	if v := strings.TrimSpace(s.Webhook); v != "" {
		out["webhook"] = v
	}
	return out
}

// Defaults of the alert section's timeouts.
const (
	// DefaultSMTPTimeout is alert.smtp.timeout.
	DefaultSMTPTimeout = 30 * time.Second
	// DefaultWebhookTimeout is alert.webhook_timeout.
	DefaultWebhookTimeout = 15 * time.Second
	// DefaultBackfill is alert.backfill.
	DefaultBackfill = 48 * time.Hour
	// DefaultBurst is alert.burst.
	DefaultBurst = 5
	// DefaultBurstWindow is alert.burst_window.
	DefaultBurstWindow = time.Minute
	// DefaultAlertLease is alert.lease.
	DefaultAlertLease = 15 * time.Second
	// DefaultDigestMaxHTML is alert.digest_max_html: Gmail clips a message
	// after 102 KB, so a digest's HTML part stays under 100 KB.
	DefaultDigestMaxHTML = 100_000
	// DefaultDigestFullPerTopic is alert.digest_full_per_topic.
	DefaultDigestFullPerTopic = 5
)

// DefaultAlert returns the alert defaults.
func DefaultAlert() Alert {
	return Alert{
		SMTP: SMTP{
			From:    "wirewatch <wirewatch@localhost>",
			Timeout: DefaultSMTPTimeout,
		},
		WebhookTimeout:     DefaultWebhookTimeout,
		Backfill:           DefaultBackfill,
		Burst:              DefaultBurst,
		BurstWindow:        DefaultBurstWindow,
		Lease:              DefaultAlertLease,
		DigestMaxHTML:      DefaultDigestMaxHTML,
		DigestFullPerTopic: DefaultDigestFullPerTopic,
		MaxAttempts:        8,
		RetryBase:          30 * time.Second,
		RetryMax:           time.Hour,
	}
}

// Validate checks the alert section.
func (a Alert) Validate() error {
	if a.SMTP.URL != "" {
		u, err := url.Parse(a.SMTP.URL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			return &Error{Key: "alert.smtp.url", Msg: fmt.Sprintf("want smtp://host:port or smtps://host:port, got %q", RedactURL(a.SMTP.URL))}
		}
	}
	if _, err := mail.ParseAddress(a.SMTP.From); err != nil {
		return &Error{Key: "alert.smtp.from", Msg: fmt.Sprintf("want an address such as \"wirewatch <alerts@example.org>\", got %q", a.SMTP.From)}
	}
	if a.SMTP.Timeout <= 0 {
		return &Error{Key: "alert.smtp.timeout", Msg: "want a positive duration"}
	}
	if a.WebhookTimeout <= 0 {
		return &Error{Key: "alert.webhook_timeout", Msg: "want a positive duration"}
	}
	if a.Backfill < 0 {
		return &Error{Key: "alert.backfill", Msg: "want 0 (alert everything) or a positive duration"}
	}
	if a.BurstWindow <= 0 {
		return &Error{Key: "alert.burst_window", Msg: "want a positive duration"}
	}
	if a.Lease < 3*time.Second {
		return &Error{Key: "alert.lease", Msg: fmt.Sprintf("want at least 3s, got %s", a.Lease)}
	}
	if err := cmp.Or(
		atLeast("alert.burst", a.Burst, 1),
		atLeast("alert.digest_max_html", a.DigestMaxHTML, 20_000),
		atLeast("alert.digest_full_per_topic", a.DigestFullPerTopic, 1),
		atLeast("alert.max_attempts", a.MaxAttempts, 1),
	); err != nil {
		return err
	}
	if a.RetryBase <= 0 || a.RetryMax < a.RetryBase {
		return &Error{Key: "alert.retry_base", Msg: "want 0 < retry_base <= retry_max"}
	}
	if o := a.Operators; o.Email != "" {
		if _, err := mail.ParseAddress(o.Email); err != nil {
			return &Error{Key: "alert.operators.email", Msg: fmt.Sprintf("want an email address, got %q", o.Email)}
		}
	}
	if o := a.Operators; o.Webhook != "" {
		u, err := url.Parse(o.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &Error{Key: "alert.operators.webhook", Msg: fmt.Sprintf("want an http(s) URL, got %q", RedactURL(o.Webhook))}
		}
		if o.WebhookSecret == "" {
			return &Error{Key: "alert.operators.webhook_secret", Msg: "a webhook needs a signing secret (webhook_secret or webhook_secret_file)"}
		}
	}
	seen := map[string]bool{}
	for i, s := range a.Subscribers {
		key := fmt.Sprintf("alert.subscribers[%d]", i)
		if s.Name == "" {
			return &Error{Key: key + ".name", Msg: "want a name"}
		}
		if seen[s.Name] {
			return &Error{Key: key + ".name", Msg: fmt.Sprintf("duplicate subscriber %q", s.Name)}
		}
		seen[s.Name] = true
		for name, a := range s.Channels {
			switch {
			case name == "email" || name == "webhook":
				return &Error{Key: key + ".channels." + name, Msg: fmt.Sprintf("give the %s address as %s.%s", name, key, name)}
			case !channelNameRE.MatchString(name):
				return &Error{Key: key + ".channels", Msg: fmt.Sprintf("want channel names of lower-case letters, digits and _, got %q", name)}
			case strings.TrimSpace(a.Address.Reveal()) == "":
				return &Error{Key: key + ".channels." + name + ".address", Msg: "want an address (address or address_file)"}
			}
		}
		if len(s.Addresses()) == 0 {
			return &Error{Key: key, Msg: "want an email, a webhook or a channels entry"}
		}
		if s.Email != "" {
			if _, err := mail.ParseAddress(s.Email); err != nil {
				return &Error{Key: key + ".email", Msg: fmt.Sprintf("want an email address, got %q", s.Email)}
			}
		}
		if s.Webhook != "" {
			u, err := url.Parse(s.Webhook)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return &Error{Key: key + ".webhook", Msg: fmt.Sprintf("want an http(s) URL, got %q", RedactURL(s.Webhook))}
			}
			if s.WebhookSecret == "" {
				return &Error{Key: key + ".webhook_secret", Msg: "a webhook needs a signing secret (webhook_secret or webhook_secret_file)"}
			}
		}
		if s.MinScore < 0 || s.MinScore > 1 {
			return &Error{Key: key + ".min_score", Msg: fmt.Sprintf("want 0 to 1, got %v", s.MinScore)}
		}
		if _, err := ParseCadence(s.Cadence); err != nil {
			return &Error{Key: key + ".cadence", Msg: err.Error()}
		}
	}
	return nil
}
