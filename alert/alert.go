// Package alert turns relevant articles into deliveries and sends them.
//
// The outbox is the deliveries table: Enqueue inserts one row per
// subscriber, article, channel and event in the transaction that stores the
// article's classification, and unique keys make a second row (and so a
// second message) impossible. A Service claims due rows with
// FOR UPDATE SKIP LOCKED and a lease, renders them (html/template and plain
// text), and sends them by SMTP (go-mail) or as signed webhooks. Digest-mode
// rows wait until the subscriber's period closes and are then attached to a
// digests row and sent as one message.
//
// Crash safety: a claimed row is 'sending' with lease_until (on the
// database's clock, shared by all replicas); a replica that dies mid-send
// leaves it there, and once the lease expires any replica puts it back to
// 'pending'. The lease is never shorter than the longest send, so a live
// send is not taken over; the outcome is recorded only while the row is
// still the sender's, and a lost lease is logged. So at most the message in
// flight is sent twice, and it carries the same Message-ID (or webhook-id)
// both times.
package alert

import (
	"errors"
	"net/http"
	"time"
)

// Channels and events, as stored in deliveries.channel and deliveries.event.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"

	EventNew     = "new"
	EventChanged = "changed"
	EventRemoved = "removed"

	ModeImmediate = "immediate"
	ModeDigest    = "digest"
)

// Delivery statuses, as stored in deliveries.status.
const (
	StatusPending   = "pending"
	StatusSending   = "sending"
	StatusSent      = "sent"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// ErrUnknownSubscriber means no enabled subscriber has the name asked for.
var ErrUnknownSubscriber = errors.New("alert: unknown subscriber")

// Change describes an article before the save that calls Enqueue.
type Change struct {
	// WasRelevant is the article's relevant flag before this save (false for
	// a new article).
	WasRelevant bool
	// Removed is set when the outlet removed the article now (404/410).
	Removed bool
	// Edited is set when this save stored a new revision of the text.
	Edited bool
}

// Options are the per-process settings of a Service.
type Options struct {
	// ReplicaID names this process in lease_owner columns and logs.
	// Default "alert".
	ReplicaID string
	// Lease is how long a claimed delivery or digest stays with this
	// replica, counted on the database's clock. It must exceed the longest
	// send (3×smtp.timeout, webhook_timeout): NewService raises a shorter
	// one to MinLease(cfg) and logs a warning. Default 2m.
	Lease time.Duration
	// Workers is how many messages are sent at once. Default 4.
	Workers int
	// Interval is how long Run waits between passes when idle. Default 2s.
	Interval time.Duration
	// Now returns the current time for digest periods, retry times and
	// message dates (tests move it to a digest boundary); leases use the
	// database's clock instead. Default time.Now.
	Now func() time.Time
	// HTTPClient posts webhooks. Its redirect policy is replaced (redirects
	// are never followed) and each request gets the configured timeout.
	// Default: a client with http.DefaultTransport.
	HTTPClient *http.Client
	// TopicLabels maps topic ids to the names shown in messages (from the
	// taxonomy). Default: the id, made readable.
	TopicLabels map[string]string
	// BeforeSend, when set, is called after a message is claimed and
	// rendered and before it is handed to the SMTP server or webhook. It is
	// a seam for crash tests.
	BeforeSend func(kind string, id int64)
}
