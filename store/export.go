package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/internal/csvsafe"
)

// ExportFilter selects the articles Export streams.
type ExportFilter struct {
	// Since and Until bound the publication time (first sight when the
	// outlet gave none): Since ≤ t < Until; zero does not bound.
	Since, Until time.Time
	// RelevantOnly keeps articles the current classifier judged relevant.
	RelevantOnly bool
}

// ExportRow is one exported article: its current text and classification.
// Export reuses one ExportRow for every row; copy what must outlive the
// callback.
type ExportRow struct {
	ID                int64      `json:"id"`
	URL               string     `json:"url"`
	Outlet            string     `json:"outlet"`
	Source            string     `json:"source"`
	Language          string     `json:"language"`
	Title             string     `json:"title"`
	Byline            string     `json:"byline"`
	PublishedAt       *time.Time `json:"published_at"`
	FirstSeenAt       time.Time  `json:"first_seen_at"`
	Revision          int        `json:"revision"`
	RemovedAt         *time.Time `json:"removed_at"`
	ClassifierVersion *string    `json:"classifier_version"`
	Relevant          *bool      `json:"relevant"`
	Score             *float32   `json:"score"`
	Topics            []string   `json:"topics"`
	Summary           string     `json:"summary"`
	BodyText          string     `json:"body_text"`
}

// ExportColumns names ExportRow's fields in order, as CSV headers and JSON
// keys.
var ExportColumns = []string{"id", "url", "outlet", "source", "language", "title", "byline",
	"published_at", "first_seen_at", "revision", "removed_at", "classifier_version",
	"relevant", "score", "topics", "summary", "body_text"}

const exportSelect = `SELECT a.id, a.canonical_url, a.outlet, coalesce(s.name, ''), a.language, a.title, a.byline,
       a.published_at, a.first_seen_at, a.revision, a.removed_at, a.classifier_version,
       a.relevant, a.score, a.topics, a.summary, a.body_text
FROM articles a
LEFT JOIN sources s ON s.id = a.source_id`

// exportWhere builds the filter; the publication-time expression matches
// the articles_published_idx index.
func exportWhere(f ExportFilter) (string, []any) {
	var where []string
	var args []any
	if !f.Since.IsZero() {
		args = append(args, f.Since)
		where = append(where, "coalesce(a.published_at, a.first_seen_at) >= $"+strconv.Itoa(len(args)))
	}
	if !f.Until.IsZero() {
		args = append(args, f.Until)
		where = append(where, "coalesce(a.published_at, a.first_seen_at) < $"+strconv.Itoa(len(args)))
	}
	if f.RelevantOnly {
		where = append(where, "a.relevant")
	}
	if len(where) == 0 {
		return "", nil
	}
	return "\nWHERE " + strings.Join(where, " AND "), args
}

// CountExport counts the rows Export would stream (for a progress bar).
func (s *Store) CountExport(ctx context.Context, f ExportFilter) (int64, error) {
	where, args := exportWhere(f)
	var n int64
	if err := s.Pool.QueryRow(ctx, "SELECT count(*) FROM articles a"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count export rows: %w", err)
	}
	return n, nil
}

// Export streams the articles f selects, oldest first, calling fn once per
// row with the same *ExportRow. Rows are read from the connection as fn
// consumes them, so memory stays flat whatever the number of rows; fn's
// error stops the export and is returned.
func (s *Store) Export(ctx context.Context, f ExportFilter, fn func(*ExportRow) error) error {
	where, args := exportWhere(f)
	rows, err := s.Pool.Query(ctx, exportSelect+where+"\nORDER BY coalesce(a.published_at, a.first_seen_at), a.id", args...)
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	defer rows.Close()
	var r ExportRow
	for rows.Next() {
		r.Topics = r.Topics[:0]
		if err := rows.Scan(&r.ID, &r.URL, &r.Outlet, &r.Source, &r.Language, &r.Title, &r.Byline,
			&r.PublishedAt, &r.FirstSeenAt, &r.Revision, &r.RemovedAt, &r.ClassifierVersion,
			&r.Relevant, &r.Score, &r.Topics, &r.Summary, &r.BodyText); err != nil {
			return fmt.Errorf("store: export: read article: %w", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

// ExportTo streams the articles f selects to w as "csv" (a header row,
// then one record per article) or "jsonl" (one ExportRow object per line),
// calling tick (if not nil) after each row. It returns the rows written.
func (s *Store) ExportTo(ctx context.Context, f ExportFilter, format string, w io.Writer, tick func()) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	var write func(*ExportRow) error
	finish := func() error { return nil }
	switch format {
	case "csv":
		cw := csvsafe.NewWriter(bw)
		if err := cw.Write(ExportColumns); err != nil {
			return 0, fmt.Errorf("store: export: write: %w", err)
		}
		rec := make([]string, 0, len(ExportColumns))
		write = func(r *ExportRow) error {
			if err := cw.Write(exportRecord(rec[:0], r)); err != nil {
				return err
			}
			// Surface a failed write (a closed pipe, a full disk) now and
			// then instead of only at the end.
			if n%1024 == 0 {
				cw.Flush()
				return cw.Error()
			}
			return nil
		}
		finish = func() error { cw.Flush(); return cw.Error() }
	case "jsonl":
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		write = func(r *ExportRow) error { return enc.Encode(r) }
	default:
		return 0, fmt.Errorf("store: export: unknown format %q", format)
	}
	err := s.Export(ctx, f, func(r *ExportRow) error {
		if err := write(r); err != nil {
			return fmt.Errorf("store: export: write: %w", err)
		}
		n++
		if tick != nil {
			tick()
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if err := finish(); err != nil {
		return n, fmt.Errorf("store: export: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("store: export: write: %w", err)
	}
	return n, nil
}

// exportRecord appends r's fields as CSV cells (times RFC 3339 in UTC,
// NULL as empty, topics joined by ";").
func exportRecord(rec []string, r *ExportRow) []string {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	b := ""
	if r.Relevant != nil {
		b = strconv.FormatBool(*r.Relevant)
	}
	score := ""
	if r.Score != nil {
		score = strconv.FormatFloat(float64(*r.Score), 'f', -1, 32)
	}
	first := r.FirstSeenAt
	return append(rec, strconv.FormatInt(r.ID, 10), r.URL, r.Outlet, r.Source, r.Language, r.Title, r.Byline,
		ts(r.PublishedAt), ts(&first), strconv.Itoa(r.Revision), ts(r.RemovedAt), str(r.ClassifierVersion),
		b, score, strings.Join(r.Topics, ";"), r.Summary, r.BodyText)
}
