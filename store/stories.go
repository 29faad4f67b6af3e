package store

import (
	"context"
	"fmt"
	"time"
)

// storyLockKey is the advisory lock that serialises story assignment.
const storyLockKey int64 = 0x77770014

// qAssignStory sets an article's fingerprint and, when it has no story
// yet, puts it in the story of the closest recent article whose
// fingerprint differs from $2 in at most $4 bits, among articles first
// seen within $3 milliseconds of it, or in a new story. One statement, so
// the serialised part of a save is two round trips (the lock, this) and
// the wide article row is written once.
const qAssignStory = `
WITH a AS (
    SELECT id, first_seen_at, story_id FROM articles WHERE id = $1),
near AS (
    SELECT o.story_id FROM articles o, a
    WHERE a.story_id IS NULL AND o.id <> a.id AND o.story_fp IS NOT NULL AND o.story_id IS NOT NULL
      AND o.first_seen_at > a.first_seen_at - $3 * interval '1 millisecond'
      AND o.first_seen_at < a.first_seen_at + $3 * interval '1 millisecond'
      AND bit_count((o.story_fp # $2)::bit(64)) <= $4
    ORDER BY bit_count((o.story_fp # $2)::bit(64)), o.id
    LIMIT 1),
fresh AS (
    INSERT INTO stories (first_article_id)
    SELECT a.id FROM a WHERE a.story_id IS NULL AND NOT EXISTS (SELECT 1 FROM near)
    RETURNING id)
UPDATE articles SET story_fp = $2,
    story_id = coalesce((SELECT story_id FROM a), (SELECT story_id FROM near), (SELECT id FROM fresh))
WHERE id = $1
RETURNING story_id`

// AssignStory puts an article in the story of its closest near-duplicate
// (fingerprint distance at most maxDistance, first seen within window), or
// in a new story, and returns the story id. An article already in a story
// keeps it (its fingerprint is updated). Assignments are serialised (a
// transaction-scoped advisory lock, held until commit), so two copies
// saved at once by two workers join one story: call it last in the
// transaction.
func (t *Tx) AssignStory(ctx context.Context, articleID int64, fp uint64, maxDistance int, window time.Duration) (int64, error) {
	// The lock first, in a statement of its own: the assignment's
	// snapshot must be taken after it, to see the previous holder's
	// commit.
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, storyLockKey); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	var story int64
	if err := t.tx.QueryRow(ctx, qAssignStory, articleID, int64(fp), window.Milliseconds(), maxDistance).Scan(&story); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return story, nil
}
