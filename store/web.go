package store

// Read queries of the analysts' web UI (package web): its own read-only
// connection pool, paged search, search-results export, the sources and
// deliveries overviews. Article, revision and change views are in
// revisions_view.go.

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wirewatch/wirewatch/config"
)

// ReaderRole is the read-only role migration 001 creates.
const ReaderRole = "wirewatch_reader"

// readerRoleCheck tells whether the connection may take ReaderRole.
const readerRoleCheck = `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER')`

// OpenReader opens a separate pool of at most maxConns connections for
// reading only: every transaction is read-only, and each connection takes
// the role wirewatch_reader when the schema has it and the login may take
// it (so the UI's queries run with the analysts' privileges). It never
// creates the database. logger records which role the pool uses.
func OpenReader(ctx context.Context, cfg config.Database, maxConns int, logger *slog.Logger) (*Store, error) {
	pc, err := PoolConfig(cfg)
	if err != nil {
		return nil, err
	}
	pc.MaxConns = int32(maxConns)
	pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pc.ConnConfig.RuntimeParams["application_name"] = "wirewatch-web"
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		var ok bool
		if err := conn.QueryRow(ctx, readerRoleCheck, ReaderRole).Scan(&ok); err != nil {
			return fmt.Errorf("check role %s: %w", ReaderRole, err)
		}
		if !ok {
			return nil
		}
		_, err := conn.Exec(ctx, "SET ROLE "+pgx.Identifier{ReaderRole}.Sanitize())
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: connect to %s: %w", config.RedactURL(cfg.URL), err)
	}
	st := &Store{Pool: pool, log: logger}
	var role string
	if err := st.Pool.QueryRow(ctx, `SELECT current_user`).Scan(&role); err != nil {
		st.Close()
		return nil, fmt.Errorf("store: connect to %s for reading: %w", config.RedactURL(cfg.URL), err)
	}
	logger.Info("web queries run read-only", "role", role, "max_conns", maxConns)
	return st, nil
}

// SearchPage runs q like Search, skipping the first offset results (for
// paging; q.Limit is the page size). Ask for one row more than a page to
// learn whether another page follows.
func (s *Store) SearchPage(ctx context.Context, q SearchQuery, offset int) ([]SearchResult, error) {
	return s.searchSnippets(ctx, q, offset, 240)
}

// HighlightTerms lists what a search text looks for, as the snippets do:
// runs of Han characters and lower-cased words (long English words cut to a
// stem-like prefix), without excluded words and operators.
func HighlightTerms(text string) []string { return snippetTerms(text) }

// ExportArticles writes the articles ids names, in that order, as `wirewatch
// export` does: "csv" (a header row, then one record per article) or
// "jsonl" (one ExportRow object per line). It returns the rows written.
func (s *Store) ExportArticles(ctx context.Context, ids []int64, format string, w io.Writer) (int64, error) {
	if format != "csv" && format != "jsonl" {
		return 0, fmt.Errorf("store: export: unknown format %q", format)
	}
	rows, err := s.Pool.Query(ctx, exportSelect+`
JOIN unnest($1::bigint[]) WITH ORDINALITY AS x(id, n) ON x.id = a.id
ORDER BY x.n`, ids)
	if err != nil {
		return 0, fmt.Errorf("store: export: %w", err)
	}
	defer rows.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if format == "csv" {
		if err := cw.Write(ExportColumns); err != nil {
			return 0, fmt.Errorf("store: export: write: %w", err)
		}
	}
	var n int64
	var r ExportRow
	rec := make([]string, 0, len(ExportColumns))
	for rows.Next() {
		r.Topics = r.Topics[:0]
		if err := rows.Scan(&r.ID, &r.URL, &r.Outlet, &r.Source, &r.Language, &r.Title, &r.Byline,
			&r.PublishedAt, &r.FirstSeenAt, &r.Revision, &r.RemovedAt, &r.ClassifierVersion,
			&r.Relevant, &r.Score, &r.Topics, &r.Summary, &r.BodyText); err != nil {
			return n, fmt.Errorf("store: export: read article: %w", err)
		}
		if format == "csv" {
			err = cw.Write(exportRecord(rec[:0], &r))
		} else {
			err = enc.Encode(&r)
		}
		if err != nil {
			return n, fmt.Errorf("store: export: write: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("store: export: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("store: export: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("store: export: write: %w", err)
	}
	return n, nil
}

// FilterChoices are the values the search form offers.
type FilterChoices struct {
	Outlets []string
	Topics  []string
}

// filterChoicesSQL reads the outlets from the small sources table and the
// topics with a loose index scan of classifications_topic_idx (one index
// probe per distinct topic instead of reading every classification).
const filterChoicesSQL = `
SELECT array(SELECT DISTINCT outlet FROM sources WHERE outlet <> '' ORDER BY 1),
       array(WITH RECURSIVE t(topic) AS (
                 SELECT min(topic) FROM classifications
                 UNION ALL
                 SELECT (SELECT min(c.topic) FROM classifications c WHERE c.topic > t.topic) FROM t WHERE t.topic IS NOT NULL)
             SELECT topic FROM t WHERE topic IS NOT NULL)`

// SearchFilterChoices lists the outlets of the catalogue and the topics
// ever assigned.
func (s *Store) SearchFilterChoices(ctx context.Context) (FilterChoices, error) {
	var f FilterChoices
	if err := s.Pool.QueryRow(ctx, filterChoicesSQL).Scan(&f.Outlets, &f.Topics); err != nil {
		return f, fmt.Errorf("store: filter choices: %w", err)
	}
	return f, nil
}

// SourceStatus is one source as the sources page shows it.
type SourceStatus struct {
	ID            int64
	Name          string
	Outlet        string
	Kind          string
	URL           string
	Language      string
	Enabled       bool
	Failures      int
	LastError     string
	LastStatus    *int
	LastPolledAt  *time.Time
	LastOKAt      *time.Time
	LastItemCount *int
	NextPollAt    time.Time
	Items24h      int
	Items7d       int
	// Judged7d counts the last 7 days' articles the classifier decided on,
	// Relevant7d those it judged relevant.
	Judged7d, Relevant7d int
	// HeldBack counts the new articles the source listed that were older
	// than alert.backfill when first seen: archived, never alerted unless
	// replayed (sources.held_back).
	HeldBack int
}

// Broken reports whether the source's last poll failed.
func (s SourceStatus) Broken() bool { return s.Enabled && s.Failures > 0 }

// RelevantShare is the relevant fraction of the last 7 days' judged
// articles; ok is false when none were judged.
func (s SourceStatus) RelevantShare() (share float64, ok bool) {
	if s.Judged7d == 0 {
		return 0, false
	}
	return float64(s.Relevant7d) / float64(s.Judged7d), true
}

// sourceStatusSQL orders broken sources first (most consecutive failures
// first), then the never-polled, then the rest by name; disabled ones last.
const sourceStatusSQL = `
SELECT s.id, s.name, s.outlet, s.kind, s.url, s.language, s.enabled, s.failures, coalesce(s.last_error, ''),
       s.last_status, s.last_polled_at, s.last_ok_at, s.last_item_count, s.next_poll_at,
       c.d1, c.d7, c.judged, c.relevant, s.held_back
FROM sources s
-- one range of articles_source_seen_idx (migration 009) per source
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE a.first_seen_at >= now() - interval '24 hours') AS d1,
           count(*) AS d7,
           count(*) FILTER (WHERE a.relevant IS NOT NULL) AS judged,
           count(*) FILTER (WHERE a.relevant) AS relevant
    FROM articles a
    WHERE a.source_id = s.id AND a.first_seen_at >= now() - interval '7 days') c
ORDER BY s.enabled DESC, (s.failures > 0) DESC, s.failures DESC, (s.last_polled_at IS NULL) DESC, s.name`

// SourceStatuses lists every source with its poll state and recent
// articles, broken ones first.
func (s *Store) SourceStatuses(ctx context.Context) ([]SourceStatus, error) {
	return queryRows[SourceStatus](ctx, s.Pool, "source statuses", sourceStatusSQL)
}

// DeliveryQuery selects deliveries for the deliveries page.
type DeliveryQuery struct {
	// Subscriber keeps one subscriber's deliveries; "" keeps all.
	Subscriber string
	// Status keeps one status (pending, sending, sent, failed, cancelled);
	// "" keeps all.
	Status string
	// Limit and Offset page the rows.
	Limit, Offset int
}

// deliveriesSQL puts failed deliveries first, then the most recently
// changed.
const deliveriesSQL = `
SELECT d.id, s.name, d.channel, d.mode, d.event, d.status, d.attempts, d.next_attempt_at, d.sent_at,
       coalesce(d.error, ''), coalesce(d.last_response, ''), a.id, a.title, d.digest_id, d.created_at, d.updated_at
FROM deliveries d
JOIN subscribers s ON s.id = d.subscriber_id
JOIN articles a ON a.id = d.article_id
WHERE ($1 = '' OR s.name = $1) AND ($2 = '' OR d.status = $2)
ORDER BY (d.status = 'failed') DESC, d.updated_at DESC, d.id DESC
LIMIT $3 OFFSET $4`

// Deliveries lists deliveries, failed ones first.
func (s *Store) Deliveries(ctx context.Context, q DeliveryQuery) ([]DeliveryRow, error) {
	return queryRows[DeliveryRow](ctx, s.Pool, "deliveries", deliveriesSQL, q.Subscriber, q.Status, max(q.Limit, 1), max(q.Offset, 0))
}

// SubscriberDeliveries counts one subscriber's deliveries by status.
type SubscriberDeliveries struct {
	Subscriber                          string
	Enabled                             bool
	Pending, Sending, Sent, Failed, Off int
	LastSentAt                          *time.Time
}

const subscriberDeliveriesSQL = `
SELECT s.name, s.enabled,
       count(d.id) FILTER (WHERE d.status = 'pending'),
       count(d.id) FILTER (WHERE d.status = 'sending'),
       count(d.id) FILTER (WHERE d.status = 'sent'),
       count(d.id) FILTER (WHERE d.status = 'failed'),
       count(d.id) FILTER (WHERE d.status = 'cancelled'),
       max(d.sent_at)
FROM subscribers s
LEFT JOIN deliveries d ON d.subscriber_id = s.id
GROUP BY s.id
ORDER BY count(d.id) FILTER (WHERE d.status = 'failed') DESC, s.name`

// SubscriberDeliveryCounts summarises each subscriber's deliveries, those
// with failures first.
func (s *Store) SubscriberDeliveryCounts(ctx context.Context) ([]SubscriberDeliveries, error) {
	return queryRows[SubscriberDeliveries](ctx, s.Pool, "subscriber deliveries", subscriberDeliveriesSQL)
}
