package store

import (
	"context"
	"fmt"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

const qOpenDigest = `
INSERT INTO digests (subscriber_id, period_start, period_end, next_attempt_at)
VALUES ($1, $2, $3, $3)
ON CONFLICT (subscriber_id, period_start) DO NOTHING`

// OpenDigest opens the subscriber's digest for the period [start, end),
// due at end. The unique key makes it idempotent across replicas.
func (s *Store) OpenDigest(ctx context.Context, subscriberID int64, start, end time.Time) error {
	if _, err := s.Pool.Exec(ctx, qOpenDigest, subscriberID, start, end); err != nil {
		return fmt.Errorf("store: open digest of subscriber %d: %w", subscriberID, err)
	}
	return nil
}

const qClaimDigests = `
UPDATE digests g SET status = 'sending', lease_until = now() + $2 * interval '1 millisecond', lease_owner = $3, attempts = g.attempts + 1
WHERE g.id IN (
    SELECT id FROM digests
    WHERE status = 'pending' AND next_attempt_at <= $1
    ORDER BY next_attempt_at, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
RETURNING g.id, g.subscriber_id, g.period_start, g.period_end, g.attempts, g.burst`

// ClaimDueDigests leases up to c.Limit digests due at c.Now.
func (s *Store) ClaimDueDigests(ctx context.Context, c Claim) ([]model.ClaimedDigest, error) {
	return queryRows[model.ClaimedDigest](ctx, s.Pool, "claim digests", qClaimDigests, c.Now, c.Lease.Milliseconds(), c.Owner, c.Limit)
}

// qAttach gives a digest the digest-mode rows of its subscriber that were
// created before its end (a burst digest: the immediate rows not yet
// tried). It is idempotent: after a crash the same digest keeps the rows it
// had and takes any it had not.
const qAttach = `
UPDATE deliveries SET digest_id = $1, updated_at = now()
WHERE subscriber_id = $2 AND channel = 'email'
  AND mode = CASE WHEN (SELECT burst FROM digests WHERE id = $1) THEN 'immediate' ELSE 'digest' END
  AND status = 'pending' AND digest_id IS NULL AND created_at < $3
  AND (mode = 'digest' OR attempts = 0)`

const qAttached = `
SELECT id, article_id, event FROM deliveries
WHERE digest_id = $1 AND status = 'pending'
ORDER BY id`

// AttachToDigest gives a claimed digest its subscriber's waiting
// digest-mode rows created before end, and returns every row it holds.
func (s *Store) AttachToDigest(ctx context.Context, digestID, subscriberID int64, end time.Time) ([]model.DeliveryRef, error) {
	if _, err := s.Pool.Exec(ctx, qAttach, digestID, subscriberID, end); err != nil {
		return nil, fmt.Errorf("store: attach deliveries to digest %d: %w", digestID, err)
	}
	return queryRows[model.DeliveryRef](ctx, s.Pool, "load digest deliveries", qAttached, digestID)
}

const qWaitingEmail = `
SELECT id, article_id, event FROM deliveries
WHERE subscriber_id = $1 AND channel = 'email' AND status = 'pending'
  AND digest_id IS NULL AND created_at < $2
ORDER BY id`

// WaitingEmail returns the subscriber's email rows waiting, not yet in a
// digest, created before t: what a digest now would hold.
func (s *Store) WaitingEmail(ctx context.Context, subscriberID int64, before time.Time) ([]model.DeliveryRef, error) {
	return queryRows[model.DeliveryRef](ctx, s.Pool, "load waiting email deliveries", qWaitingEmail, subscriberID, before)
}

// qDigestDone and qDigestUnsent record a digest's outcome if its sender
// still holds it, and return how many digests they updated (0: the lease
// was lost).
const qDigestDone = `
WITH g AS (
    UPDATE digests SET status = $3, sent_at = CASE WHEN $3 = 'sent' THEN $4::timestamptz END,
           item_count = $5, message_id = nullif($6, ''), last_response = $7, error = NULL,
           lease_until = NULL, lease_owner = NULL
    WHERE id = $1 AND lease_owner = $2 AND status = 'sending'
    RETURNING id),
d AS (
    UPDATE deliveries SET status = 'sent', sent_at = $4, message_id = nullif($6, ''), last_response = $7,
           error = NULL, updated_at = now()
    WHERE digest_id = (SELECT id FROM g) AND status = 'pending')
SELECT count(*) FROM g`

const qDigestUnsent = `
WITH g AS (
    UPDATE digests SET status = $3, next_attempt_at = $4, error = $5, last_response = $6,
           message_id = nullif($7, ''), lease_until = NULL, lease_owner = NULL
    WHERE id = $1 AND lease_owner = $2 AND status = 'sending'
    RETURNING id, status),
d AS (
    UPDATE deliveries SET status = 'failed', error = $5, last_response = $6, updated_at = now()
    WHERE digest_id = (SELECT id FROM g WHERE status = 'failed') AND status = 'pending')
SELECT count(*) FROM g`

// RecordDigest records a digest's outcome if o.Owner still holds it: sent
// (its rows become sent too), "empty" (nothing to send), pending (a retry
// at o.Next) or failed (its rows fail too). It reports false when the
// lease was lost.
func (s *Store) RecordDigest(ctx context.Context, o Outcome) (bool, error) {
	var n int
	var err error
	switch o.Status {
	case model.StatusSent, "empty":
		err = s.Pool.QueryRow(ctx, qDigestDone, o.ID, o.Owner, o.Status, o.At, o.Items, o.MessageID, o.Response).Scan(&n)
	default:
		err = s.Pool.QueryRow(ctx, qDigestUnsent, o.ID, o.Owner, o.Status, o.Next, o.Reason, o.Response, o.MessageID).Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("store: record digest %d: %w", o.ID, err)
	}
	return n > 0, nil
}

const qLastDigestEnd = `
SELECT max(period_end) FROM digests WHERE subscriber_id = $1 AND status = 'sent' AND NOT burst`

// LastDigestEnd returns the end of the subscriber's last sent digest (nil:
// none was sent).
func (s *Store) LastDigestEnd(ctx context.Context, subscriberID int64) (*time.Time, error) {
	var last *time.Time
	if err := s.Pool.QueryRow(ctx, qLastDigestEnd, subscriberID).Scan(&last); err != nil {
		return nil, fmt.Errorf("store: last digest of subscriber %d: %w", subscriberID, err)
	}
	return last, nil
}

const qOpenDigestNow = `
INSERT INTO digests (subscriber_id, period_start, period_end, status, lease_until, lease_owner, attempts)
VALUES ($1, $2, $2, 'sending', now() + $3 * interval '1 millisecond', $4, 1)
RETURNING id`

// qAttachAllEmail takes digest-mode rows and, for immediate subscribers,
// unsent email rows.
const qAttachAllEmail = `
UPDATE deliveries SET digest_id = $1, mode = 'digest', updated_at = now()
WHERE subscriber_id = $2 AND channel = 'email' AND status = 'pending' AND digest_id IS NULL AND created_at <= $3`

// OpenDigestNow opens a digest for the subscriber with
// period_start = period_end = c.Now, already claimed by c.Owner, attaches
// every email row waiting for them, and returns it with the number of
// articles it holds.
func (s *Store) OpenDigestNow(ctx context.Context, subscriberID int64, c Claim) (model.ClaimedDigest, int, error) {
	g := model.ClaimedDigest{SubscriberID: subscriberID, End: c.Now, Attempts: 1}
	var n int
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := tx.tx.QueryRow(ctx, qOpenDigestNow, subscriberID, c.Now, c.Lease.Milliseconds(), c.Owner).Scan(&g.ID); err != nil {
			return err
		}
		if _, err := tx.tx.Exec(ctx, qAttachAllEmail, g.ID, subscriberID, c.Now); err != nil {
			return err
		}
		return tx.tx.QueryRow(ctx, `SELECT count(DISTINCT article_id) FROM deliveries WHERE digest_id = $1`, g.ID).Scan(&n)
	})
	if err != nil {
		return g, 0, fmt.Errorf("store: open digest for subscriber %d: %w", subscriberID, err)
	}
	return g, n, nil
}

// DigestStatus returns a digest's status and error text.
func (s *Store) DigestStatus(ctx context.Context, id int64) (status, reason string, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT status, coalesce(error, '') FROM digests WHERE id = $1`, id).Scan(&status, &reason)
	if err != nil {
		return "", "", fmt.Errorf("store: digest %d: %w", id, interpretError(err))
	}
	return status, reason, nil
}
