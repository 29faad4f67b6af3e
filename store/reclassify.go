package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/model"
)

// ArticleText is what the classifier reads of a stored article.
type ArticleText struct {
	ID       int64
	Title    string
	Summary  string
	Body     string
	Language string
	Version  string // the classifier version of its current result
}

// EachArticleText streams the stored articles first seen at or after since
// (all when since is zero), in id order, to fn.
func (s *Store) EachArticleText(ctx context.Context, since time.Time, fn func(ArticleText) error) error {
	rows, err := s.Pool.Query(ctx, `SELECT id, title, summary, body_text, language, coalesce(classifier_version, '')
        FROM articles WHERE first_seen_at >= $1 AND (fetch_state = 'fetched' OR classifier_version IS NOT NULL) ORDER BY id`, since)
	if err != nil {
		return fmt.Errorf("store: read articles: %w", err)
	}
	defer rows.Close()
	var a ArticleText
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.Title, &a.Summary, &a.Body, &a.Language, &a.Version}, func() error { return fn(a) })
	if err != nil {
		return fmt.Errorf("store: read articles: %w", err)
	}
	return nil
}

// Reclassified is one new classification of a stored article.
type Reclassified struct {
	ID             int64
	Classification model.Classification
}

// SaveClassifications stores a batch of classifications in one transaction,
// running hook for each article whose decision changed. It returns the
// articles that became relevant and those that no longer are.
func (s *Store) SaveClassifications(ctx context.Context, batch []Reclassified, hook Hook) (became, lost int, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		became, lost = 0, 0
		for _, r := range batch {
			var was bool
			var rev int
			if err := tx.QueryRow(ctx, `SELECT coalesce(relevant, false), revision FROM articles WHERE id = $1 FOR UPDATE`, r.ID).Scan(&was, &rev); err != nil {
				return fmt.Errorf("article %d: %w", r.ID, interpretError(err))
			}
			if err := saveClassification(ctx, tx, r.ID, rev, r.Classification); err != nil {
				return fmt.Errorf("article %d: %w", r.ID, err)
			}
			if was == r.Classification.Relevant {
				continue
			}
			if r.Classification.Relevant {
				became++
			} else {
				lost++
			}
			if hook != nil {
				if err := hook(ctx, tx, ArticleChange{ArticleID: r.ID, WasRelevant: was, Relevant: r.Classification.Relevant}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: save classifications: %w", err)
	}
	return became, lost, nil
}
