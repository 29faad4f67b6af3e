package model

import "time"

// Events, modes and statuses of deliveries, as stored in the deliveries
// table, and the two channels other code names: email (the one channel with
// digests) and webhook. Every channel's name is its Name() in package alert;
// the schema takes any.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"

	EventNew     = "new"
	EventChanged = "changed"
	EventRemoved = "removed"

	ModeImmediate = "immediate"
	ModeDigest    = "digest"

	StatusPending   = "pending"
	StatusSending   = "sending"
	StatusSent      = "sent"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Decision is an article's stored relevance decision, as the outbox
// planner reads it.
type Decision struct {
	ArticleID int64
	Relevant  bool
	Score     float64
	// Topics are the relevant topics of the current classification.
	Topics []string
	// TopicScores are the per-topic scores of the current classification.
	TopicScores map[string]float64
	Outlet      string
	Language    string
	// Refused is set when the article's fetch was refused for good (see
	// store.MarkRefused): it is never alerted.
	Refused bool
	// PublishedAt is the publication time (first sight when unknown) and
	// FirstSeenAt when wirewatch first listed the article: an article first
	// seen long after its publication is held back (alert.backfill).
	PublishedAt, FirstSeenAt time.Time
}

// Subscription is one enabled subscription and the channels its
// subscriber can be reached on.
type Subscription struct {
	SubscriberID int64
	// Channels are the subscriber's usable channels (an address, not
	// disabled), in name order.
	Channels  []string
	Cadence   string // "immediate", "daily" or "weekly"
	Topics    []string
	MinScore  float64
	Outlets   []string
	Languages []string
}

// DeliveryState is a delivery row that already exists for an article.
type DeliveryState struct {
	SubscriberID int64
	Channel      string
	Event        string
	Status       string
	// InDigest is set once the row is attached to a digest.
	InDigest bool
}

// OutboxInput is everything the outbox planner decides from: the article's
// decision, every enabled subscription, and the article's existing
// deliveries.
type OutboxInput struct {
	Decision      Decision
	Subscriptions []Subscription
	Existing      []DeliveryState
}

// DeliveryAction says what a planned change does to the deliveries table.
type DeliveryAction int

// The planned changes.
const (
	// QueueDelivery inserts a row (a duplicate of an existing key is a no-op).
	QueueDelivery DeliveryAction = iota + 1
	// ReviveDelivery puts a cancelled, never sent 'new' row back to pending.
	ReviveDelivery
	// CancelDelivery withdraws a waiting 'new' row.
	CancelDelivery
)

// PlannedDelivery is one change the outbox planner decided for an article.
type PlannedDelivery struct {
	Action       DeliveryAction
	SubscriberID int64
	Channel      string
	Mode         string
	Event        string
	Score        float64
	// Reason is the error text of a cancellation.
	Reason string
}

// Subscriber is an enabled subscriber as the sender sees it (secrets are
// not stored; they come from the configuration).
type Subscriber struct {
	ID   int64
	Name string
	// Addresses are the subscriber's usable addresses by channel name.
	Addresses map[string]string
	// Disabled holds the channels turned off after the far end said the
	// address is gone (HTTP 410), with the reason.
	Disabled map[string]string
	// CadenceSpec is the subscription's cadence as written in the
	// configuration ("daily at 08:00 Europe/London").
	CadenceSpec string
	CreatedAt   time.Time
}

// ClaimedDelivery is a delivery a sender holds under a lease.
type ClaimedDelivery struct {
	ID, SubscriberID, ArticleID int64
	Channel, Event              string
	Attempts                    int
}

// ClaimedDigest is a digest a sender holds under a lease.
type ClaimedDigest struct {
	ID, SubscriberID int64
	Start, End       time.Time
	Attempts         int
	// Burst marks a folded burst of immediate alerts (see
	// store.FoldBursts), not a scheduled digest.
	Burst bool
}

// DeliveryRef is a delivery of an article, as a digest collects them.
type DeliveryRef struct {
	ID, ArticleID int64
	Event         string
}

// StoredArticle is an article with its current classification, as a
// message shows it.
type StoredArticle struct {
	ID          int64
	URL         string
	Title       string
	Outlet      string
	Language    string
	PublishedAt time.Time // first sight when the publication time is unknown
	Score       float64
	// Topics are the relevant topics.
	Topics  []string
	Edited  bool
	Removed bool
	Summary string
	// Scores are the current classification's topic scores, best first.
	Scores []TopicScore
	// SummaryOnly is set when the article's text is only the feed's
	// summary (the page could not be fetched or yielded no text).
	SummaryOnly bool
	// StoryID is the article's story cluster (0: none).
	StoryID int64
}
