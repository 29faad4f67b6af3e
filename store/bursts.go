package store

import (
	"context"
	"fmt"
	"time"
)

// qFoldBursts folds bursts of immediate email alerts. A subscriber with
// more than $1 immediate email rows created within the last $2 (sent or
// not) is in a burst: their immediate email rows not yet tried are
// attached to their open burst digest (one is opened, due when the window
// closes, if none is pending), so they leave as one message instead of one
// each. The claim of immediate deliveries skips attached rows.
const qFoldBursts = `
WITH hot AS (
    SELECT subscriber_id FROM deliveries
    WHERE channel = 'email' AND mode = 'immediate' AND status <> 'cancelled'
      AND created_at > now() - $2 * interval '1 millisecond'
    GROUP BY subscriber_id HAVING count(*) > $1),
waiting AS (
    SELECT DISTINCT d.subscriber_id FROM deliveries d JOIN hot USING (subscriber_id)
    WHERE d.channel = 'email' AND d.mode = 'immediate' AND d.status = 'pending'
      AND d.digest_id IS NULL AND d.attempts = 0),
open AS (
    SELECT g.id, g.subscriber_id FROM digests g JOIN waiting USING (subscriber_id)
    WHERE g.burst AND g.status = 'pending'),
opened AS (
    INSERT INTO digests (subscriber_id, period_start, period_end, next_attempt_at, burst)
    SELECT w.subscriber_id, now(), now() + $2 * interval '1 millisecond', now() + $2 * interval '1 millisecond', true
    FROM waiting w WHERE NOT EXISTS (SELECT 1 FROM open o WHERE o.subscriber_id = w.subscriber_id)
    ON CONFLICT (subscriber_id, period_start) DO NOTHING
    RETURNING id, subscriber_id),
target AS (
    SELECT DISTINCT ON (subscriber_id) id, subscriber_id
    FROM (SELECT id, subscriber_id FROM open UNION ALL SELECT id, subscriber_id FROM opened) t
    ORDER BY subscriber_id, id)
UPDATE deliveries d SET digest_id = t.id, updated_at = now()
FROM target t
WHERE d.subscriber_id = t.subscriber_id AND d.channel = 'email' AND d.mode = 'immediate'
  AND d.status = 'pending' AND d.digest_id IS NULL AND d.attempts = 0`

// FoldBursts attaches the waiting immediate email alerts of subscribers
// with more than burst of them within window to one burst digest per
// subscriber (see qFoldBursts), and returns how many rows it folded.
func (s *Store) FoldBursts(ctx context.Context, burst int, window time.Duration) (int, error) {
	tag, err := s.Pool.Exec(ctx, qFoldBursts, burst, window.Milliseconds())
	if err != nil {
		return 0, fmt.Errorf("store: fold bursts of immediate alerts: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
