package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// The sending side of deliveries and digests. Leases are counted on the
// database's clock (now() in SQL), which all replicas share; the other
// times (retries, digest periods) come from the caller.

const qReapDeliveries = `
UPDATE deliveries SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'pending' END,
       error = CASE WHEN attempts >= $1 THEN 'lease expired on the last attempt' ELSE error END,
       last_response = 'lease of ' || coalesce(lease_owner, '?') || ' expired mid-send',
       lease_until = NULL, lease_owner = NULL, updated_at = now()
WHERE status = 'sending' AND lease_until < now()
RETURNING 'delivery', id, subscriber_id`

const qReapDigests = `
UPDATE digests SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'pending' END,
       last_response = 'lease of ' || coalesce(lease_owner, '?') || ' expired mid-send',
       lease_until = NULL, lease_owner = NULL
WHERE status = 'sending' AND lease_until < now()
RETURNING 'digest', id, subscriber_id`

// ExpiredLease is a delivery or digest whose sender's lease ran out.
type ExpiredLease struct {
	Kind         string // "delivery" or "digest"
	ID           int64
	SubscriberID int64
}

// ReapExpiredLeases returns deliveries and digests whose sender died (lease
// expired) to pending, or to failed once maxAttempts were made. The message
// may have left, so it may be sent once more.
func (s *Store) ReapExpiredLeases(ctx context.Context, maxAttempts int) ([]ExpiredLease, error) {
	var out []ExpiredLease
	for _, q := range []string{qReapDeliveries, qReapDigests} {
		got, err := queryRows[ExpiredLease](ctx, s.Pool, "reap expired leases", q, maxAttempts)
		if err != nil {
			return out, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// qPendingDeliveries counts what is waiting to go out. Two counts, each
// answered by its partial index (deliveries_due_idx, deliveries_sending_idx),
// so the cost follows the backlog, not the whole history of deliveries.
const qPendingDeliveries = `
SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending') +
       (SELECT count(*) FROM deliveries WHERE status = 'sending')`

// PendingDeliveries counts the deliveries not yet sent (pending or sending).
func (s *Store) PendingDeliveries(ctx context.Context) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, qPendingDeliveries).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count pending deliveries: %w", err)
	}
	return n, nil
}

// qClaimDeliveries reads waiting immediate deliveries in the order of
// deliveries_immediate_due_idx.
const qClaimDeliveries = `
UPDATE deliveries d SET status = 'sending', lease_until = now() + $2 * interval '1 millisecond', lease_owner = $3,
       attempts = d.attempts + 1, updated_at = now()
WHERE d.id IN (
    SELECT id FROM deliveries
    WHERE status = 'pending' AND mode = 'immediate' AND next_attempt_at <= $1
      AND channel = ANY ($5::text[]) AND digest_id IS NULL
    ORDER BY next_attempt_at, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.subscriber_id, d.article_id, d.channel, d.event, d.attempts`

// Claim says what a sender claims: due at Now, held by Owner for Lease.
type Claim struct {
	Now   time.Time
	Owner string
	Lease time.Duration
	Limit int
}

// ClaimDueDeliveries leases up to c.Limit immediate deliveries due at c.Now
// on the given channels (those the sender has: rows of the others wait).
func (s *Store) ClaimDueDeliveries(ctx context.Context, c Claim, channels []string) ([]model.ClaimedDelivery, error) {
	return queryRows[model.ClaimedDelivery](ctx, s.Pool, "claim deliveries", qClaimDeliveries, c.Now, c.Lease.Milliseconds(), c.Owner, c.Limit, channels)
}

const qDeliverySent = `
UPDATE deliveries SET status = 'sent', sent_at = $3, lease_until = NULL, lease_owner = NULL,
       error = NULL, last_response = $4, message_id = $5, updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND status = 'sending'`

const qDeliveryUnsent = `
UPDATE deliveries SET status = $3, next_attempt_at = $4, lease_until = NULL, lease_owner = NULL,
       error = $5, last_response = $6, message_id = coalesce(nullif($7, ''), message_id), updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND status = 'sending'`

// Outcome is what became of one attempt, to record.
type Outcome struct {
	ID    int64
	Owner string
	// Status is the row's next status: sent, pending (a retry at Next),
	// failed or cancelled.
	Status string
	// At is the time of the attempt (sent_at), Next that of the retry.
	At, Next  time.Time
	Reason    string // error text
	Response  string // the far end's reply
	MessageID string
	Items     int // digests: articles in the message
}

// RecordDelivery records a delivery's outcome if owner still holds it. It
// reports false when the lease was lost (another replica took the row back).
func (s *Store) RecordDelivery(ctx context.Context, o Outcome) (bool, error) {
	o.Reason, o.Response = config.RedactText(o.Reason), config.RedactText(o.Response)
	var err error
	var n int64
	if o.Status == model.StatusSent {
		tag, e := s.Pool.Exec(ctx, qDeliverySent, o.ID, o.Owner, o.At, o.Response, o.MessageID)
		n, err = tag.RowsAffected(), e
	} else {
		tag, e := s.Pool.Exec(ctx, qDeliveryUnsent, o.ID, o.Owner, o.Status, o.Next, o.Reason, o.Response, o.MessageID)
		n, err = tag.RowsAffected(), e
	}
	if err != nil {
		return false, fmt.Errorf("store: record delivery %d: %w", o.ID, err)
	}
	return n > 0, nil
}

const qDisableChannel = `
WITH d AS (
    UPDATE subscriber_channels SET disabled_at = $3, disabled_reason = $4, updated_at = now()
    WHERE subscriber_id = $1 AND channel = $2 RETURNING subscriber_id)
UPDATE deliveries SET status = 'cancelled', error = $2 || ' address disabled: ' || $4, updated_at = now()
WHERE subscriber_id = (SELECT subscriber_id FROM d) AND channel = $2 AND status = 'pending'`

// DisableChannel turns a subscriber's address on channel off (the far end
// said it is gone, e.g. HTTP 410) and cancels the deliveries waiting for
// it. The address stays off until the configuration gives a new one.
func (s *Store) DisableChannel(ctx context.Context, subscriberID int64, channel string, at time.Time, reason string) error {
	if _, err := s.Pool.Exec(ctx, qDisableChannel, subscriberID, channel, at, config.RedactText(reason)); err != nil {
		return fmt.Errorf("store: disable %s of subscriber %d: %w", channel, subscriberID, err)
	}
	return nil
}

const qStoredArticles = `
SELECT a.id, a.canonical_url, a.title, a.outlet, a.language,
       coalesce(a.published_at, a.first_seen_at), coalesce(a.score, 0)::float8,
       a.topics, a.revision > 1, a.removed_at IS NOT NULL, a.summary,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.topic, 'score', c.score, 'evidence', c.evidence)
                                  ORDER BY c.score DESC, c.topic)
                 FROM classifications c
                 WHERE c.article_id = a.id AND c.classifier_version = a.classifier_version), '[]'::jsonb),
       a.extract_method = 'summary', coalesce(a.story_id, 0)
FROM articles a WHERE a.id = ANY ($1::bigint[])`

// StoredArticles reads articles with their current classification, for
// messages, keyed by id. Missing ids are left out.
func (s *Store) StoredArticles(ctx context.Context, ids []int64) (map[int64]model.StoredArticle, error) {
	list, err := queryRows[model.StoredArticle](ctx, s.Pool, "load articles", qStoredArticles, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]model.StoredArticle, len(list))
	for _, a := range list {
		out[a.ID] = a
	}
	return out, nil
}

// DeliveryRow is one delivery as `wirewatch deliveries` and the web UI's
// deliveries page show it.
type DeliveryRow struct {
	ID            int64
	Subscriber    string
	Channel       string
	Mode          string
	Event         string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	SentAt        *time.Time
	Error         string
	LastResponse  string
	ArticleID     int64
	Title         string
	DigestID      *int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const qListDeliveries = `
SELECT d.id, s.name, d.channel, d.mode, d.event, d.status, d.attempts, d.next_attempt_at, d.sent_at,
       coalesce(d.error, ''), coalesce(d.last_response, ''), a.id, a.title, d.digest_id, d.created_at, d.updated_at
FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id JOIN articles a ON a.id = d.article_id
WHERE ($1 = '' OR d.status = $1) AND ($2 = '' OR s.name = $2)
ORDER BY d.id DESC LIMIT $3`

// ListDeliveries returns the latest limit deliveries, oldest first,
// optionally only those with status and of subscriber ("" for all).
func (s *Store) ListDeliveries(ctx context.Context, status, subscriber string, limit int) ([]DeliveryRow, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := queryRows[DeliveryRow](ctx, s.Pool, "list deliveries", qListDeliveries, status, subscriber, limit)
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	// Rows written before errors were redacted on the way in.
	for i := range out {
		out[i].Error, out[i].LastResponse = config.RedactText(out[i].Error), config.RedactText(out[i].LastResponse)
	}
	return out, nil
}
