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
// most $4 bits, nearest first; $7 is the language the asking save sets (an
// empty string keeps the stored one). The nearest are chosen in the narrow
// story_prints table (migration 014); only they are joined for their text.
const qStoryCandidates = `
WITH near AS (
    SELECT p.article_id AS id, bit_count((p.fp # $2)::bit(64))::int AS d
    FROM story_prints p, articles a
    WHERE a.id = $1 AND p.article_id <> $1
      AND p.language = coalesce(nullif($7, ''), a.language)
      AND p.first_seen_at > a.first_seen_at - $3 * interval '1 millisecond'
      AND p.first_seen_at < a.first_seen_at + $3 * interval '1 millisecond'
      AND bit_count((p.fp # $2)::bit(64)) <= $4
    ORDER BY 2, 1
    LIMIT $6)
SELECT o.id, o.story_id, o.outlet, o.title,
       left(CASE WHEN o.body_text <> '' THEN o.body_text ELSE o.summary END, $5),
       near.d
FROM near JOIN articles o ON o.id = near.id
WHERE o.story_id IS NOT NULL
ORDER BY near.d, o.id`

// AssignStory puts an article in the story of the nearest candidate
// (m.MaxDistance, m.Window, same language) that m.Same accepts, or in a
// new story, and returns the story id. An article already in a story
// keeps it (its fingerprint is updated). Assignments are serialised (a
// transaction-scoped advisory lock, held until commit), so two copies
// saved at once by two workers join one story: call it last in the
// transaction.
func (t *Tx) AssignStory(ctx context.Context, articleID int64, fp uint64, m StoryMatch) (int64, error) {
	story, err := findStory(ctx, t.tx, articleID, fp, "", m)
	if err != nil {
		return 0, err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE articles SET story_fp = $2, story_id = $3 WHERE id = $1`, articleID, int64(fp), story); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return story, nil
}

// qStoryPrint records an article's fingerprint for later lookups.
const qStoryPrint = `
INSERT INTO story_prints (article_id, story_id, fp, language, first_seen_at)
SELECT id, $2, $3, coalesce(nullif($4, ''), language), first_seen_at FROM articles WHERE id = $1
ON CONFLICT (article_id) DO UPDATE SET story_id = EXCLUDED.story_id, fp = EXCLUDED.fp, language = EXCLUDED.language`

// StoryAssign asks a save to put the article in its story (ArticleSave.Story).
type StoryAssign struct {
	FP    uint64
	Match StoryMatch
}

// findStory takes the story lock and returns the article's story: the one
// it is in already, else the nearest candidate's that m.Same accepts, else
// a new one. The caller writes it to the article row, in the same
// transaction (the lock is held until commit). lang is the language the
// caller's save sets (an empty string keeps the stored one).
func findStory(ctx context.Context, tx execer, articleID int64, fp uint64, lang string, m StoryMatch) (int64, error) {
	// The lock first, in a statement of its own: the candidates are read
	// in a later snapshot, which sees the previous holder's commit.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, storyLockKey); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	var current *int64
	if err := tx.QueryRow(ctx, `SELECT story_id FROM articles WHERE id = $1`, articleID).Scan(&current); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	if current != nil {
		// An edit keeps its story; its print follows the new text.
		return *current, recordPrint(ctx, tx, articleID, *current, fp, lang)
	}
	rows, err := tx.Query(ctx, qStoryCandidates, articleID, int64(fp), m.Window.Milliseconds(), m.MaxDistance, m.TextChars, m.Limit, lang)
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
		if err := tx.QueryRow(ctx, `INSERT INTO stories (first_article_id) VALUES ($1) RETURNING id`, articleID).Scan(&story); err != nil {
			return 0, fmt.Errorf("store: new story for article %d: %w", articleID, err)
		}
	}
	return story, recordPrint(ctx, tx, articleID, story, fp, lang)
}

func recordPrint(ctx context.Context, tx execer, articleID, story int64, fp uint64, lang string) error {
	if _, err := tx.Exec(ctx, qStoryPrint, articleID, story, int64(fp), lang); err != nil {
		return fmt.Errorf("store: story print of article %d: %w", articleID, err)
	}
	return nil
}
