package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

// StoredPage is an article's current text with the raw page of the revision
// that produced it, for re-extraction after an extractor change.
type StoredPage struct {
	ID       int64
	URL      string
	Revision int
	// Raw is the page as fetched (decompressed); RawCharset the encoding it
	// was decoded from.
	Raw        []byte
	RawCharset string
	Title      string
	Summary    string
	Language   string
	Text       string
	Method     string
	Outlet     string
}

const storedPagesWhere = `FROM articles a JOIN article_revisions r ON r.article_id = a.id AND r.revision = a.revision
WHERE a.first_seen_at >= $1 AND r.raw_gzip IS NOT NULL AND a.removed_at IS NULL`

// CountStoredPages counts what EachStoredPage would stream (for progress).
func (s *Store) CountStoredPages(ctx context.Context, since time.Time) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) `+storedPagesWhere, since).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count stored pages: %w", err)
	}
	return n, nil
}

// EachStoredPage streams the articles first seen at or after since (all
// when since is zero) that have a stored raw page, in id order, to fn. A
// raw page that does not decompress is an error naming the article.
func (s *Store) EachStoredPage(ctx context.Context, since time.Time, maxRaw int64, fn func(StoredPage) error) error {
	rows, err := s.Pool.Query(ctx, `SELECT a.id, a.canonical_url, r.revision, r.raw_gzip, r.raw_charset, a.title, a.summary, a.language, a.body_text, a.extract_method, a.outlet `+
		storedPagesWhere+` ORDER BY a.id`, since)
	if err != nil {
		return fmt.Errorf("store: read stored pages: %w", err)
	}
	defer rows.Close()
	var p StoredPage
	var gz []byte
	_, err = pgx.ForEachRow(rows, []any{&p.ID, &p.URL, &p.Revision, &gz, &p.RawCharset, &p.Title, &p.Summary, &p.Language, &p.Text, &p.Method, &p.Outlet}, func() error {
		raw, err := gunzip(gz, maxRaw)
		if err != nil {
			return fmt.Errorf("article %d revision %d: %w", p.ID, p.Revision, err)
		}
		p.Raw = raw
		return fn(p)
	})
	if err != nil {
		return fmt.Errorf("store: read stored pages: %w", err)
	}
	return nil
}

// gunzip decompresses a stored raw page, refusing more than limit bytes.
func gunzip(b []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decompress raw page: %w", err)
	}
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("decompress raw page: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("decompress raw page: more than %d bytes", limit)
	}
	return out.Bytes(), nil
}

// reextractSave replaces the text in the article and in the revision it was
// extracted from: a new extraction of the same page is not an edit by the
// outlet, so no revision is added. Nothing is written when the article's
// revision moved on meanwhile (the daemon fetched a newer version). The
// search vectors follow: the trigger of migration 007 fills them when
// body_text changes and they do not.
const reextractSave = `
WITH a AS (
UPDATE articles SET body_text = $2, extract_method = $3, content_hash = $4
WHERE id = $1 AND revision = $5
RETURNING id),
r AS (
UPDATE article_revisions SET body_text = $2, extract_method = $3, content_hash = $4
WHERE article_id IN (SELECT id FROM a) AND revision = $5
)
SELECT count(*) FROM a`

// Reextracted is a new text for a stored article, from the raw page of its
// current revision.
type Reextracted struct {
	ID          int64
	Revision    int
	Text        string
	Method      string
	ContentHash string
}

// SaveReextracted stores a batch of new texts in one transaction and
// returns the IDs of the articles it changed; an article whose revision
// moved on meanwhile is left out.
func (s *Store) SaveReextracted(ctx context.Context, batch []Reextracted) (saved []int64, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		saved = saved[:0]
		var b pgx.Batch
		for _, r := range batch {
			b.Queue(reextractSave, r.ID, r.Text, r.Method, r.ContentHash, r.Revision)
		}
		res := tx.SendBatch(ctx, &b)
		for _, r := range batch {
			var n int
			if err := res.QueryRow().Scan(&n); err != nil {
				res.Close()
				return fmt.Errorf("article %d: %w", r.ID, err)
			}
			if n > 0 {
				saved = append(saved, r.ID)
			}
		}
		return res.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("store: save re-extracted texts: %w", err)
	}
	return saved, nil
}
