package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// storyLockKey is the advisory lock that serialises story assignment.
const storyLockKey int64 = 0x77770014

// qNearestStory finds the story of the closest recent article whose
// fingerprint differs from $2 in at most $4 bits, among articles first
// seen within $3 of this one.
const qNearestStory = `
SELECT o.story_id FROM articles o, articles a
WHERE a.id = $1 AND o.id <> $1 AND o.story_fp IS NOT NULL AND o.story_id IS NOT NULL
  AND o.first_seen_at > a.first_seen_at - $3 * interval '1 millisecond'
  AND o.first_seen_at < a.first_seen_at + $3 * interval '1 millisecond'
  AND bit_count((o.story_fp # $2)::bit(64)) <= $4
ORDER BY bit_count((o.story_fp # $2)::bit(64)), o.id
LIMIT 1`

// AssignStory puts an article in the story of its closest near-duplicate
// (fingerprint distance at most maxDistance, first seen within window), or
// in a new story, and returns the story id. An article already in a story
// keeps it (its fingerprint is updated). Assignments are serialised (a
// transaction-scoped advisory lock, held until commit), so two copies
// saved at once by two workers join one story: call it last in the
// transaction.
func (t *Tx) AssignStory(ctx context.Context, articleID int64, fp uint64, maxDistance int, window time.Duration) (int64, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, storyLockKey); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	var current *int64
	if err := t.tx.QueryRow(ctx, `UPDATE articles SET story_fp = $2 WHERE id = $1 RETURNING story_id`, articleID, int64(fp)).Scan(&current); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	if current != nil {
		return *current, nil
	}
	var story int64
	err := t.tx.QueryRow(ctx, qNearestStory, articleID, int64(fp), window.Milliseconds(), maxDistance).Scan(&story)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		if err := t.tx.QueryRow(ctx, `INSERT INTO stories (first_article_id) VALUES ($1) RETURNING id`, articleID).Scan(&story); err != nil {
			return 0, fmt.Errorf("store: new story for article %d: %w", articleID, err)
		}
	}
	if _, err := t.tx.Exec(ctx, `UPDATE articles SET story_id = $2 WHERE id = $1`, articleID, story); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return story, nil
}
