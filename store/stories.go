package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// storyLockKey is the advisory lock that serialises story assignment.
const storyLockKey int64 = 0x77770014

// StoryCandidate is a recent article that may carry the same story as a
// new one: its story, and what a text check reads of it.
type StoryCandidate struct {
	ArticleID, StoryID  int64
	Outlet, Title, Text string // Text: the start of the body (the summary when there is no body)
	Distance            int    // fingerprint bits that differ
}

// StoryMatch says how AssignStory finds the story of a new article: which
// recent articles are candidates, and the check that decides.
type StoryMatch struct {
	MaxDistance int           // most differing fingerprint bits for a candidate
	Window      time.Duration // candidates were first seen at most this far apart
	TextChars   int           // characters of a candidate's text read for the check
	Limit       int           // most candidates checked, nearest first
	// Same reports whether a candidate carries the new article's story.
	Same func(StoryCandidate) bool
}

// qStoryCandidates lists the stories' articles of the same language first
// seen within $3 of article $1, whose fingerprints differ from $2 in at
// most $4 bits, nearest first.
const qStoryCandidates = `
SELECT o.id, o.story_id, o.outlet, o.title,
       left(CASE WHEN o.body_text <> '' THEN o.body_text ELSE o.summary END, $5),
       bit_count((o.story_fp # $2)::bit(64))::int
FROM articles o, articles a
WHERE a.id = $1 AND o.id <> $1 AND o.story_fp IS NOT NULL AND o.story_id IS NOT NULL
  AND o.language = a.language
  AND o.first_seen_at > a.first_seen_at - $3 * interval '1 millisecond'
  AND o.first_seen_at < a.first_seen_at + $3 * interval '1 millisecond'
  AND bit_count((o.story_fp # $2)::bit(64)) <= $4
ORDER BY bit_count((o.story_fp # $2)::bit(64)), o.id
LIMIT $6`

// AssignStory puts an article in the story of the nearest candidate
// (m.MaxDistance, m.Window, same language) that m.Same accepts, or in a
// new story, and returns the story id. An article already in a story
// keeps it (its fingerprint is updated). Assignments are serialised (a
// transaction-scoped advisory lock, held until commit), so two copies
// saved at once by two workers join one story: call it last in the
// transaction.
func (t *Tx) AssignStory(ctx context.Context, articleID int64, fp uint64, m StoryMatch) (int64, error) {
	// The lock first, in a statement of its own: the candidates are read
	// in a later snapshot, which sees the previous holder's commit.
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, storyLockKey); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	var current *int64
	if err := t.tx.QueryRow(ctx, `SELECT story_id FROM articles WHERE id = $1`, articleID).Scan(&current); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	if current != nil {
		if _, err := t.tx.Exec(ctx, `UPDATE articles SET story_fp = $2 WHERE id = $1`, articleID, int64(fp)); err != nil {
			return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
		}
		return *current, nil
	}
	rows, err := t.tx.Query(ctx, qStoryCandidates, articleID, int64(fp), m.Window.Milliseconds(), m.MaxDistance, m.TextChars, m.Limit)
	if err != nil {
		return 0, fmt.Errorf("store: story candidates of article %d: %w", articleID, err)
	}
	cands, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoryCandidate, error) {
		var c StoryCandidate
		err := r.Scan(&c.ArticleID, &c.StoryID, &c.Outlet, &c.Title, &c.Text, &c.Distance)
		return c, err
	})
	if err != nil {
		return 0, fmt.Errorf("store: story candidates of article %d: %w", articleID, err)
	}
	var story int64
	for _, c := range cands {
		if m.Same == nil || m.Same(c) {
			story = c.StoryID
			break
		}
	}
	if story == 0 {
		if err := t.tx.QueryRow(ctx, `INSERT INTO stories (first_article_id) VALUES ($1) RETURNING id`, articleID).Scan(&story); err != nil {
			return 0, fmt.Errorf("store: new story for article %d: %w", articleID, err)
		}
	}
	// The wide article row is written once: fingerprint and story together.
	if _, err := t.tx.Exec(ctx, `UPDATE articles SET story_fp = $2, story_id = $3 WHERE id = $1`, articleID, int64(fp), story); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return story, nil
}
