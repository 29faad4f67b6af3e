package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/wirewatch/wirewatch/model"
)

// ErrLeaseLost means the row's lease expired and another worker took it;
// the caller's result is dropped (that worker redoes it).
var ErrLeaseLost = errors.New("store: lease lost to another worker")

// DueArticle is an article claimed for fetching or re-checking.
type DueArticle struct {
	ID            int64
	SourceID      int64
	SourceName    string // the source that listed it first
	URL           string
	Outlet        string
	Language      string
	Title         string
	Summary       string
	Byline        string
	PublishedAt   *time.Time
	FirstSeenAt   time.Time
	FetchState    string
	FetchAttempts int
	CheckCount    int
	Revision      int
	ContentHash   string
	ETag          string
	LastModified  string
	Relevant      *bool
	RemovedAt     *time.Time
}

const claimArticles = `
UPDATE articles SET lease_until = now() + $2::interval, lease_owner = $1
WHERE id IN (
    SELECT id FROM articles
    WHERE next_check_at <= now() AND (lease_until IS NULL OR lease_until < now())
    ORDER BY next_check_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED)
RETURNING id, coalesce(source_id, 0), canonical_url, outlet, language, title, summary, byline, published_at,
    first_seen_at, fetch_state, fetch_attempts, check_count, revision, content_hash, etag, last_modified, relevant, removed_at,
    coalesce((SELECT name FROM sources s WHERE s.id = articles.source_id), '')`

// ClaimDueArticles leases up to limit articles whose fetch or re-check is due.
func (s *Store) ClaimDueArticles(ctx context.Context, owner string, lease time.Duration, limit int) ([]DueArticle, error) {
	rows, err := s.Pool.Query(ctx, claimArticles, owner, lease, limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim articles: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DueArticle, error) {
		var a DueArticle
		err := r.Scan(&a.ID, &a.SourceID, &a.URL, &a.Outlet, &a.Language, &a.Title, &a.Summary, &a.Byline, &a.PublishedAt,
			&a.FirstSeenAt, &a.FetchState, &a.FetchAttempts, &a.CheckCount, &a.Revision, &a.ContentHash, &a.ETag, &a.LastModified, &a.Relevant, &a.RemovedAt, &a.SourceName)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim articles: %w", err)
	}
	return out, nil
}

// ArticleChange tells the outbox hook what a save did to an article.
type ArticleChange struct {
	ArticleID   int64
	WasRelevant bool
	Relevant    bool
	Edited      bool // a new revision of an article that had text before
	Removed     bool // the outlet removed it (404/410)
}

// Hook runs inside the transaction that saved an article, so outbox rows
// commit or roll back with the classification that caused them.
type Hook func(ctx context.Context, tx pgx.Tx, c ArticleChange) error

// ArticleSave is the result of fetching, extracting and classifying a page.
type ArticleSave struct {
	ID               int64
	Owner            string
	Extracted        model.Extracted
	PublishedSuspect bool
	ContentHash      string
	Raw              []byte
	RawCharset       string
	ETag             string
	LastModified     string
	Classification   model.Classification
	// NextCheck is when to look again; nil ends the re-check schedule.
	NextCheck *time.Time
}

// SaveResult says what SaveArticle changed.
type SaveResult struct {
	NewRevision bool
	Revision    int
	Edited      bool
	Relevant    bool
}

const lockArticle = `SELECT content_hash, revision, body_text, coalesce(relevant, false), coalesce(classifier_version, '')
FROM articles WHERE id = $1 AND lease_owner = $2 FOR UPDATE`

const insertRevision = `
INSERT INTO article_revisions (article_id, revision, title, body_text, content_hash, extract_method, raw_gzip, raw_charset, diff)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

const updateFetched = `
UPDATE articles SET
    title = CASE WHEN $2 <> '' THEN $2 ELSE title END,
    byline = CASE WHEN $3 <> '' THEN $3 ELSE byline END,
    published_at = coalesce($4, published_at),
    published_suspect = $5,
    language = CASE WHEN $6 <> '' THEN $6 ELSE language END,
    body_text = $7, content_hash = $8, extract_method = $9, revision = $10,
    etag = $11, last_modified = $12,
    fetch_state = 'fetched', fetch_attempts = 0, fetch_error = NULL,
    check_count = check_count + 1, last_checked_at = now(), next_check_at = $13,
    removed_at = NULL, lease_until = NULL, lease_owner = NULL
WHERE id = $1`

const upsertClassification = `
INSERT INTO classifications (article_id, classifier_version, topic, score, relevant, evidence, revision)
SELECT $1, $2, t, sc, $3, ev, $4 FROM unnest($5::text[], $6::real[], $7::jsonb[]) AS x(t, sc, ev)
ON CONFLICT (article_id, classifier_version, topic) DO UPDATE SET
    score = EXCLUDED.score, relevant = EXCLUDED.relevant, evidence = EXCLUDED.evidence,
    revision = EXCLUDED.revision, classified_at = now()`

const updateCurrentClassification = `
UPDATE articles SET classifier_version = $2, relevant = $3, score = $4, topics = $5 WHERE id = $1`

// SaveArticle stores a fetched page in one transaction: a new revision when
// the text changed (with the diff and the gzip-compressed raw page), the
// article's current text and fetch state, its classification, and whatever
// hook adds (the alert outbox). ErrLeaseLost means another worker owns it.
func (s *Store) SaveArticle(ctx context.Context, a ArticleSave, hook Hook) (SaveResult, error) {
	var res SaveResult
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var oldHash, oldBody, oldVersion string
		var oldRev int
		var wasRelevant bool
		err := tx.QueryRow(ctx, lockArticle, a.ID, a.Owner).Scan(&oldHash, &oldRev, &oldBody, &wasRelevant, &oldVersion)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrLeaseLost
		}
		if err != nil {
			return err
		}
		rev := oldRev
		changed := oldHash != a.ContentHash
		if changed {
			rev++
			var diff []byte
			if oldRev > 0 {
				diff = textDiff(oldBody, a.Extracted.Text)
			}
			raw, err := gzipBytes(a.Raw)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, insertRevision, a.ID, rev, a.Extracted.Title, a.Extracted.Text, a.ContentHash, a.Extracted.Method, raw, a.RawCharset, diff); err != nil {
				return fmt.Errorf("insert revision: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, updateFetched, a.ID, a.Extracted.Title, a.Extracted.Byline, a.Extracted.Published, a.PublishedSuspect,
			a.Extracted.Lang, a.Extracted.Text, a.ContentHash, a.Extracted.Method, rev, a.ETag, a.LastModified, a.NextCheck); err != nil {
			return fmt.Errorf("update article: %w", err)
		}
		res = SaveResult{NewRevision: changed, Revision: rev, Edited: changed && oldRev > 0, Relevant: wasRelevant}
		if !changed && oldVersion == a.Classification.Version {
			return nil // same text, same classifier: nothing new to decide
		}
		if err := saveClassification(ctx, tx, a.ID, rev, a.Classification); err != nil {
			return err
		}
		res.Relevant = a.Classification.Relevant
		if hook != nil {
			return hook(ctx, tx, ArticleChange{ArticleID: a.ID, WasRelevant: wasRelevant, Relevant: a.Classification.Relevant, Edited: res.Edited})
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrLeaseLost) {
			return res, err
		}
		return res, fmt.Errorf("store: save article %d: %w", a.ID, err)
	}
	return res, nil
}

func saveClassification(ctx context.Context, tx pgx.Tx, id int64, rev int, c model.Classification) error {
	var topics []string
	var scores []float32
	var evidence [][]byte
	var relevantTopics []string
	for _, t := range c.Topics {
		if t.Score <= 0 {
			continue
		}
		ev := t.Evidence
		if ev == nil {
			ev = []model.Evidence{}
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode evidence: %w", err)
		}
		topics = append(topics, t.ID)
		scores = append(scores, float32(min(max(t.Score, 0), 1)))
		evidence = append(evidence, b)
		if c.Relevant {
			relevantTopics = append(relevantTopics, t.ID)
		}
	}
	if len(topics) > 0 {
		if _, err := tx.Exec(ctx, upsertClassification, id, c.Version, c.Relevant, rev, topics, scores, evidence); err != nil {
			return fmt.Errorf("insert classification: %w", err)
		}
	}
	if relevantTopics == nil {
		relevantTopics = []string{}
	}
	if _, err := tx.Exec(ctx, updateCurrentClassification, id, c.Version, c.Relevant, float32(c.Score), relevantTopics); err != nil {
		return fmt.Errorf("update classification: %w", err)
	}
	return nil
}

// SaveClassification stores a new classification of an article's current
// text (reclassify) and runs hook in the same transaction. It reports
// whether the relevance decision changed.
func (s *Store) SaveClassification(ctx context.Context, id int64, c model.Classification, hook Hook) (bool, error) {
	var changed bool
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var was bool
		var rev int
		if err := tx.QueryRow(ctx, `SELECT coalesce(relevant, false), revision FROM articles WHERE id = $1 FOR UPDATE`, id).Scan(&was, &rev); err != nil {
			return interpretError(err)
		}
		if err := saveClassification(ctx, tx, id, rev, c); err != nil {
			return err
		}
		changed = was != c.Relevant
		if hook != nil && changed {
			return hook(ctx, tx, ArticleChange{ArticleID: id, WasRelevant: was, Relevant: c.Relevant})
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: save classification of article %d: %w", id, err)
	}
	return changed, nil
}

// MarkUnchanged records a re-check that found the page as it was (304 or
// the same text).
func (s *Store) MarkUnchanged(ctx context.Context, id int64, owner string, next *time.Time) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE articles SET check_count = check_count + 1, last_checked_at = now(), next_check_at = $3,
        fetch_attempts = 0, fetch_error = NULL, lease_until = NULL, lease_owner = NULL WHERE id = $1 AND lease_owner = $2`, id, owner, next)
	if err != nil {
		return fmt.Errorf("store: mark article %d unchanged: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrLeaseLost
	}
	return nil
}

// MarkFetchFailed records a failed fetch and when to try again (nil: never).
func (s *Store) MarkFetchFailed(ctx context.Context, id int64, owner, reason string, retryAt *time.Time) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE articles SET fetch_attempts = fetch_attempts + 1, fetch_error = $3,
        fetch_state = CASE WHEN fetch_state = 'fetched' THEN 'fetched' WHEN $4::timestamptz IS NULL THEN 'failed' ELSE fetch_state END,
        last_checked_at = now(), next_check_at = $4, lease_until = NULL, lease_owner = NULL
        WHERE id = $1 AND lease_owner = $2`, id, owner, reason, retryAt)
	if err != nil {
		return fmt.Errorf("store: mark article %d failed: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrLeaseLost
	}
	return nil
}

// MarkRemoved records that the outlet removed an article (404 or 410): the
// last text is kept, removed_at is set once, and hook runs in the same
// transaction (an alert for a removal of an article already sent).
func (s *Store) MarkRemoved(ctx context.Context, id int64, owner string, hook Hook) (bool, error) {
	var first bool
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var relevant bool
		var removed *time.Time
		err := tx.QueryRow(ctx, `SELECT coalesce(relevant, false), removed_at FROM articles WHERE id = $1 AND lease_owner = $2 FOR UPDATE`, id, owner).Scan(&relevant, &removed)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrLeaseLost
		}
		if err != nil {
			return err
		}
		first = removed == nil
		if _, err := tx.Exec(ctx, `UPDATE articles SET removed_at = coalesce(removed_at, now()), check_count = check_count + 1,
            last_checked_at = now(), next_check_at = NULL, lease_until = NULL, lease_owner = NULL WHERE id = $1`, id); err != nil {
			return err
		}
		if first && hook != nil {
			return hook(ctx, tx, ArticleChange{ArticleID: id, WasRelevant: relevant, Relevant: relevant, Removed: true})
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		err = fmt.Errorf("store: mark article %d removed: %w", id, err)
	}
	return first, err
}

// diffOp is one change between two revisions' texts.
type diffOp struct {
	Op   string `json:"op"` // "insert" or "delete"
	Text string `json:"text"`
}

// textDiff returns the semantic diff of two texts as JSON, insertions and
// deletions only. Diffs are stored rather than patches: go-diff's patch
// text splits multi-byte characters.
func textDiff(a, b string) []byte {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = time.Second
	diffs := dmp.DiffCleanupSemantic(dmp.DiffMain(a, b, false))
	ops := []diffOp{}
	for _, d := range diffs {
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			ops = append(ops, diffOp{Op: "insert", Text: d.Text})
		case diffmatchpatch.DiffDelete:
			ops = append(ops, diffOp{Op: "delete", Text: d.Text})
		}
	}
	out, _ := json.Marshal(ops)
	return out
}

func gzipBytes(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("compress raw page: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress raw page: %w", err)
	}
	return buf.Bytes(), nil
}
