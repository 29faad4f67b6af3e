package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/config"
)

// SourceStateMessage tells the operators that a source entered a state
// (stale, broken, blocked, challenge) or recovered (ok).
type SourceStateMessage struct {
	Source string `json:"source"`
	Outlet string `json:"outlet,omitempty"`
	URL    string `json:"url,omitempty"`
	// From and To are the states before and after (ok, stale, broken,
	// blocked, challenge).
	From string `json:"from"`
	To   string `json:"to"`
	// Reason says why the source is in To (empty for ok).
	Reason string `json:"reason,omitempty"`
	// At is when the change was noticed.
	At time.Time `json:"at"`
	// Newest is the publication time of the newest item known.
	Newest *time.Time `json:"newest_item,omitempty"`
}

// operatorAttempts is how often a message is tried before it is given up
// (and logged by the caller); operatorRetryWait is the first pause.
const (
	operatorAttempts  = 3
	operatorRetryWait = time.Second
)

// Operators sends source-state messages to alert.operators: by email
// through alert.smtp, and as a signed JSON POST (Standard Webhooks headers,
// type "source.state").
type Operators struct {
	mailer  *mailer
	email   string
	webhook string
	secret  string
	timeout time.Duration
	http    *http.Client
	now     func() time.Time
}

// NewOperators returns the operators' sender, or nil when alert.operators
// names no address. An email address without alert.smtp.url is an error:
// the messages would have nowhere to go.
func NewOperators(cfg config.Alert) (*Operators, error) {
	o := cfg.Operators
	if o.Email == "" && o.Webhook == "" {
		return nil, nil
	}
	op := &Operators{email: o.Email, webhook: o.Webhook, secret: o.WebhookSecret.Reveal(), timeout: cfg.WebhookTimeout,
		http: noRedirects(&http.Client{}), now: time.Now}
	if o.Email != "" {
		m, err := newMailer(cfg.SMTP)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, fmt.Errorf("alert: alert.operators.email is set but alert.smtp.url is empty: %w", ErrNoSMTP)
		}
		op.mailer = m
	}
	return op, nil
}

// Send delivers one message to every operators' address, retrying a
// failure twice; the error joins what could not be sent.
func (o *Operators) Send(ctx context.Context, m SourceStateMessage) error {
	var errs []error
	if o.mailer != nil {
		if err := o.retry(ctx, func() error { return o.sendEmail(ctx, m) }); err != nil {
			errs = append(errs, fmt.Errorf("email to %s: %w", o.email, err))
		}
	}
	if o.webhook != "" {
		if err := o.retry(ctx, func() error { return o.sendWebhook(ctx, m) }); err != nil {
			errs = append(errs, fmt.Errorf("webhook %s: %w", config.RedactURL(o.webhook), err))
		}
	}
	return errors.Join(errs...)
}

func (o *Operators) retry(ctx context.Context, f func() error) error {
	wait := operatorRetryWait
	var err error
	for i := range operatorAttempts {
		if err = f(); err == nil {
			return nil
		}
		if i == operatorAttempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	return err
}

// subject is the message's subject line.
func (m SourceStateMessage) subject() string {
	if m.To == "ok" {
		return headerSafe(fmt.Sprintf("wirewatch: source %s recovered (was %s)", m.Source, m.From))
	}
	return headerSafe(fmt.Sprintf("wirewatch: source %s is %s", m.Source, m.To))
}

// text is the message's plain-text body.
func (m SourceStateMessage) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Source:  %s (%s)\n", m.Source, m.Outlet)
	fmt.Fprintf(&b, "URL:     %s\n", m.URL)
	fmt.Fprintf(&b, "State:   %s, was %s\n", m.To, m.From)
	if m.Reason != "" {
		fmt.Fprintf(&b, "Why:     %s\n", m.Reason)
	}
	if m.Newest != nil {
		fmt.Fprintf(&b, "Newest item: %s\n", m.Newest.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "Noticed: %s\n\n", m.At.UTC().Format(time.RFC3339))
	if m.To != "ok" {
		fmt.Fprintf(&b, "Check it with: wirewatch sources check --source %s\n", m.Source)
	}
	return b.String()
}

func (o *Operators) sendEmail(ctx context.Context, m SourceStateMessage) error {
	text := m.text()
	r := Rendered{Subject: m.subject(), Text: text, HTML: "<pre>" + html.EscapeString(text) + "</pre>"}
	id := fmt.Sprintf("wirewatch.source.%s.%s.%d@%s", m.Source, m.To, m.At.UnixNano(), o.mailer.fromDomain)
	msg, err := o.mailer.build(o.email, r.Subject, r, id, m.At)
	if err != nil {
		return err
	}
	_, _, err = o.mailer.send(ctx, msg)
	return err
}

func (o *Operators) sendWebhook(ctx context.Context, m SourceStateMessage) error {
	body, err := json.Marshal(struct {
		Type string `json:"type"`
		SourceStateMessage
	}{"source.state", m})
	if err != nil {
		return err
	}
	id := fmt.Sprintf("src_%s_%s_%d", m.Source, m.To, m.At.UnixNano())
	r, err := postWebhook(ctx, o.http, o.timeout, o.webhook, o.secret, id, o.now(), body)
	if err != nil {
		return err
	}
	if r.status < 200 || r.status > 299 {
		return fmt.Errorf("answered %s", r.response)
	}
	return nil
}
