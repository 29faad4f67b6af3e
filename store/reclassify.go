package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
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
