// Package alert decides who gets which article and renders and sends the
// messages. It holds no state and reads no database: Plan turns an
// article's decision, the subscriptions and the existing deliveries into
// planned outbox rows; NewItem and the renderer turn a stored article into
// message content; one Channel per file (email.go, webhook.go) sends one
// message. The caller (daemon/deliver) stores the plan and the outcomes
// through package store.
package alert

import (
	"context"
	"time"
)

// Recipient is who a message goes to, as the configuration and the
// subscribers table describe them.
type Recipient struct {
	SubscriberID int64
	Name         string
	Email        string
	Webhook      string
	// WebhookDisabled is set after the endpoint answered 410 Gone.
	WebhookDisabled bool
	// Secret signs webhook bodies.
	Secret string
	// Location is the time zone times are shown in (nil: UTC).
	Location *time.Location
}

// Result is what one send came to.
type Result struct {
	Sent bool
	// Permanent is set for a failure that another try will not mend (a 5xx
	// SMTP reply, a bad address, HTTP 410).
	Permanent bool
	// Cancelled is set when there is nothing to send on the channel (the
	// recipient has no address there).
	Cancelled bool
	// Gone is set when the endpoint is gone for good (HTTP 410): the
	// channel should be turned off for the recipient.
	Gone       bool
	Reason     string // error text
	Response   string // the far end's reply
	MessageID  string // stable across retries
	RetryAfter time.Duration
	// CloseErr is an error after the message was accepted (SMTP QUIT); the
	// message counts as sent.
	CloseErr error
}

// Send is one message about one article to one recipient on one channel.
type Send struct {
	To   Recipient
	Item Item
	// DeliveryID is the deliveries row; message ids are derived from it, so
	// a retry carries the same id.
	DeliveryID int64
	Now        time.Time
	// BeforeSend, when set, runs after the message is rendered and before
	// it leaves (a seam for crash tests).
	BeforeSend func()
}

// Channel sends immediate messages on one channel. Adding a channel is a
// file with a Channel, its settings in config.Alert, and its name in the
// deliveries table's channel check.
type Channel interface {
	// Name is the channel as stored in deliveries.channel.
	Name() string
	// Address returns the recipient's address on this channel ("" when
	// they have none, or it is turned off).
	Address(to Recipient) string
	// Send renders and sends one message.
	Send(ctx context.Context, s Send) Result
	// MaxSend is the longest one Send can take; leases must be longer.
	MaxSend() time.Duration
}
