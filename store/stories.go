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

// StoryQuery says which recent articles are candidates for a new
// article's story.
type StoryQuery struct {
	MaxDistance int           // most differing fingerprint bits for a candidate
	Window      time.Duration // candidates were first seen at most this far apart
	TextChars   int           // characters of a candidate's text read for the check
	Limit       int           // most candidates listed, nearest first
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

// StoryCandidates takes the story lock and returns the article's story
// when it is in one already (current > 0), else the candidates for it,
// nearest first (q; lang is the language the caller's save sets, an empty
// string keeps the stored one). The lock is transaction-scoped, held until
// commit: the caller decides among the candidates and writes the story in
// the same transaction (ArticleSave.Story or SetStory), so two copies
// saved at once by two workers join one story.
func (t *Tx) StoryCandidates(ctx context.Context, articleID int64, fp uint64, lang string, q StoryQuery) (current int64, cands []StoryCandidate, err error) {
	// The lock first, in a statement of its own: the candidates are read
	// in a later snapshot, which sees the previous holder's commit.
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, storyLockKey); err != nil {
		return 0, nil, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	var cur *int64
	if err := t.tx.QueryRow(ctx, `SELECT story_id FROM articles WHERE id = $1`, articleID).Scan(&cur); err != nil {
		return 0, nil, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	if cur != nil {
		return *cur, nil, nil
	}
	rows, err := t.tx.Query(ctx, qStoryCandidates, articleID, int64(fp), q.Window.Milliseconds(), q.MaxDistance, q.TextChars, q.Limit, lang)
	if err != nil {
		return 0, nil, fmt.Errorf("store: story candidates of article %d: %w", articleID, err)
	}
	cands, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoryCandidate, error) {
		var c StoryCandidate
		err := r.Scan(&c.ArticleID, &c.StoryID, &c.Outlet, &c.Title, &c.Text, &c.Distance)
		return c, err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("store: story candidates of article %d: %w", articleID, err)
	}
	return 0, cands, nil
}

// StoryAssign is the story a caller decided for an article, after
// StoryCandidates in the same transaction.
type StoryAssign struct {
	FP      uint64
	StoryID int64  // 0: a new story
	Lang    string // the language the save sets ("" keeps the stored one)
}

// SetStory writes an article's story (a new one when s.StoryID is 0) and
// fingerprint, and returns the story id.
func (t *Tx) SetStory(ctx context.Context, articleID int64, s StoryAssign) (int64, error) {
	story, err := placeStory(ctx, t.tx, articleID, s)
	if err != nil {
		return 0, err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE articles SET story_fp = $2, story_id = $3 WHERE id = $1`, articleID, int64(s.FP), story); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return story, nil
}

// qStoryPrint records an article's fingerprint for later lookups.
const qStoryPrint = `
INSERT INTO story_prints (article_id, story_id, fp, language, first_seen_at)
SELECT id, $2, $3, coalesce(nullif($4, ''), language), first_seen_at FROM articles WHERE id = $1
ON CONFLICT (article_id) DO UPDATE SET story_id = EXCLUDED.story_id, fp = EXCLUDED.fp, language = EXCLUDED.language`

// placeStory creates the story when s names none and records the
// article's print; the caller writes the article row.
func placeStory(ctx context.Context, tx execer, articleID int64, s StoryAssign) (int64, error) {
	story := s.StoryID
	if story == 0 {
		if err := tx.QueryRow(ctx, `INSERT INTO stories (first_article_id) VALUES ($1) RETURNING id`, articleID).Scan(&story); err != nil {
			return 0, fmt.Errorf("store: new story for article %d: %w", articleID, err)
		}
	}
	if _, err := tx.Exec(ctx, qStoryPrint, articleID, story, int64(s.FP), s.Lang); err != nil {
		return 0, fmt.Errorf("store: story print of article %d: %w", articleID, err)
	}
	return story, nil
}
