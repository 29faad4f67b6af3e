package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

const upsertSource = `
INSERT INTO sources (name, outlet, kind, url, language, listing, poll_interval, respect_robots, enabled)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (name) DO UPDATE SET
    outlet = EXCLUDED.outlet, kind = EXCLUDED.kind, url = EXCLUDED.url,
    language = EXCLUDED.language, listing = EXCLUDED.listing,
    poll_interval = EXCLUDED.poll_interval, respect_robots = EXCLUDED.respect_robots,
    enabled = EXCLUDED.enabled,
    -- a new URL starts afresh: its validators and failures belong to the old one.
    etag = CASE WHEN sources.url = EXCLUDED.url THEN sources.etag ELSE '' END,
    last_modified = CASE WHEN sources.url = EXCLUDED.url THEN sources.last_modified ELSE '' END,
    next_poll_at = CASE WHEN sources.url = EXCLUDED.url THEN sources.next_poll_at ELSE now() END,
    updated_at = now()`

const disableMissingSources = `UPDATE sources SET enabled = false, updated_at = now() WHERE enabled AND NOT (name = ANY($1))`

// SyncSources makes the sources table match the catalogue: entries are
// inserted or updated by name, and sources no longer listed are disabled
// (their articles stay).
func (s *Store) SyncSources(ctx context.Context, specs []config.SourceSpec) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		names := make([]string, 0, len(specs))
		for _, sp := range specs {
			var listing []byte
			if sp.Listing != nil {
				b, err := json.Marshal(sp.Listing)
				if err != nil {
					return fmt.Errorf("store: sync source %s: %w", sp.Name, err)
				}
				listing = b
			}
			src := sp.Source()
			if _, err := tx.Exec(ctx, upsertSource, sp.Name, sp.Outlet, sp.Kind, sp.URL, sp.Language, listing, src.Interval, src.RespectRobots, sp.IsEnabled()); err != nil {
				return fmt.Errorf("store: sync source %s: %w", sp.Name, err)
			}
			names = append(names, sp.Name)
		}
		if _, err := tx.Exec(ctx, disableMissingSources, names); err != nil {
			return fmt.Errorf("store: disable sources not in the catalogue: %w", err)
		}
		return nil
	})
}

const sourceColumns = `id, name, outlet, kind, url, language, listing, poll_interval, respect_robots, etag, last_modified, failures, coalesce(last_error, ''), last_ok_at`

const claimSources = `
UPDATE sources SET lease_until = now() + $2::interval, lease_owner = $1
WHERE id IN (
    SELECT id FROM sources
    WHERE enabled AND next_poll_at <= now() AND (lease_until IS NULL OR lease_until < now())
    ORDER BY next_poll_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED)
RETURNING ` + sourceColumns

func scanSource(row pgx.Row) (model.Source, error) {
	var src model.Source
	var kind string
	var listing []byte
	err := row.Scan(&src.ID, &src.Name, &src.Outlet, &kind, &src.URL, &src.Language, &listing, &src.Interval, &src.RespectRobots, &src.ETag, &src.LastModified, &src.Failures, &src.LastError, &src.LastOKAt)
	if err != nil {
		return src, err
	}
	src.Kind = model.SourceKind(kind)
	if len(listing) > 0 {
		src.Listing = new(model.Listing)
		if err := json.Unmarshal(listing, src.Listing); err != nil {
			return src, fmt.Errorf("source %s: listing selectors: %w", src.Name, err)
		}
	}
	return src, nil
}

// ClaimDueSources leases up to limit sources whose poll is due to owner.
// Replicas never claim the same source while its lease runs.
func (s *Store) ClaimDueSources(ctx context.Context, owner string, lease time.Duration, limit int) ([]model.Source, error) {
	rows, err := s.Pool.Query(ctx, claimSources, owner, lease, limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim sources: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Source, error) { return scanSource(r) })
	if err != nil {
		return nil, fmt.Errorf("store: claim sources: %w", err)
	}
	return out, nil
}

// SourceByName returns one source.
func (s *Store) SourceByName(ctx context.Context, name string) (model.Source, error) {
	src, err := scanSource(s.Pool.QueryRow(ctx, `SELECT `+sourceColumns+` FROM sources WHERE name = $1`, name))
	if err != nil {
		return src, fmt.Errorf("store: source %q: %w", name, interpretError(err))
	}
	return src, nil
}

// PollOutcome is what one poll of a source produced.
type PollOutcome struct {
	SourceID     int64
	Owner        string
	OK           bool
	NotModified  bool
	Status       int
	ETag         string
	LastModified string
	Items        []model.Item
	Outlet       string
	Language     string
	Error        string
	ErrorKind    string
	NextPoll     time.Time
	// Backfill counts, among the new items, those published more than this
	// before now (held back from alerts, see alert.HeldBack); 0 counts none.
	Backfill time.Duration
}

// PollAdded is what FinishPoll inserted.
type PollAdded struct {
	// New is how many items were new articles.
	New int
	// HeldBack is how many of them were published more than
	// PollOutcome.Backfill ago: archived, not alerted.
	HeldBack int
}

const finishPollOK = `
UPDATE sources SET
    etag = CASE WHEN $3 THEN etag ELSE $4 END,
    last_modified = CASE WHEN $3 THEN last_modified ELSE $5 END,
    last_status = $6, last_polled_at = now(), last_ok_at = now(),
    failures = 0, last_error = NULL,
    last_item_count = CASE WHEN $3 THEN last_item_count ELSE $7 END,
    next_poll_at = $8, lease_until = NULL, lease_owner = NULL, updated_at = now()
WHERE id = $1 AND lease_owner = $2`

const finishPollFailed = `
UPDATE sources SET
    last_status = $3, last_polled_at = now(), failures = failures + 1,
    last_error = $4, next_poll_at = $5, lease_until = NULL, lease_owner = NULL, updated_at = now()
WHERE id = $1 AND lease_owner = $2`

// insertItems adds newly discovered articles as pending fetches in one
// statement; known canonical URLs are left alone (one fetch per URL,
// however many sources list it).
//
// The search vectors of title and summary are built from text prepared in
// Go (as SaveArticle does), sparing the trigger its regular expressions.
const insertItems = `
INSERT INTO articles (canonical_url, source_id, outlet, language, title, summary, byline, published_at, next_check_at, search_en, search_zh)
SELECT u, $1, $2, $3, t, s, a, p, now(),
    setweight(to_tsvector('english', te), 'A') || setweight(to_tsvector('english', se), 'B'),
    coalesce(zv::tsvector, setweight(to_tsvector('simple', tz), 'A') || setweight(to_tsvector('simple', sz), 'B'))
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
    AS x(u, t, s, a, p, te, se, tz, sz, zv)
ON CONFLICT (canonical_url) DO NOTHING
RETURNING published_at`

// countItems counts the items insertItems inserted, and those of them
// published more than $14 (when positive) before they were first seen,
// which it adds to the source's held_back count.
const countItems = `
WITH ins AS (` + insertItems + `),
n AS (SELECT count(*) AS new, count(*) FILTER (WHERE $14::interval > '0' AND published_at < now() - $14::interval) AS held FROM ins),
h AS (UPDATE sources SET held_back = held_back + n.held FROM n WHERE id = $1 AND n.held > 0)
SELECT new, held FROM n`

// FinishPoll records a poll: on success the new items are inserted and the
// validators saved in one transaction, so a crash leaves both undone and the
// next poll fetches the feed again. It returns how many items were new,
// and how many of those are old enough to be held back from alerts.
// A lease lost to another replica makes it a no-op.
func (s *Store) FinishPoll(ctx context.Context, o PollOutcome) (PollAdded, error) {
	var added PollAdded
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if !o.OK {
			_, err := tx.Exec(ctx, finishPollFailed, o.SourceID, o.Owner, nullInt(o.Status), o.Error, o.NextPoll)
			return err
		}
		tag, err := tx.Exec(ctx, finishPollOK, o.SourceID, o.Owner, o.NotModified, o.ETag, o.LastModified, nullInt(o.Status), len(o.Items), o.NextPoll)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // our lease expired and another replica has the source
		}
		if len(o.Items) == 0 {
			return nil
		}
		n := len(o.Items)
		urls, titles, sums, authors := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		pubs := make([]*time.Time, n)
		enTitles, enSums, zhTitles, zhSums := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		zhVecs := make([]*string, n) // built in Go (zhVector), or NULL and built from zhTitles and zhSums
		for i, it := range o.Items {
			urls[i], titles[i], sums[i], authors[i], pubs[i] = it.URL, it.Title, it.Summary, it.Author, it.Published
			enTitles[i], enSums[i] = stripHan(it.Title), stripHan(it.Summary)
			if v, ok := zhVector(it.Title, it.Summary, ""); ok {
				zhVecs[i] = &v
			} else {
				zhTitles[i], zhSums[i] = cjkBigrams(it.Title), cjkBigrams(it.Summary)
			}
		}
		return tx.QueryRow(ctx, countItems, o.SourceID, o.Outlet, o.Language, urls, titles, sums, authors, pubs,
			enTitles, enSums, zhTitles, zhSums, zhVecs, o.Backfill).Scan(&added.New, &added.HeldBack)
	})
	if err != nil {
		return PollAdded{}, fmt.Errorf("store: finish poll of source %d: %w", o.SourceID, err)
	}
	return added, nil
}

// finishNotModified records many polls answered 304 in one statement:
// nothing but the poll state changes, and a source whose lease passed to
// another replica is left to it.
const finishNotModified = `
UPDATE sources s SET
    last_status = 304, last_polled_at = now(), last_ok_at = now(),
    failures = 0, last_error = NULL,
    next_poll_at = u.next, lease_until = NULL, lease_owner = NULL, updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS u(id, owner, next)
WHERE s.id = u.id AND s.lease_owner = u.owner`

// FinishNotModified records polls that found their source unchanged (304)
// in one statement and one transaction, for as many sources as are given:
// at thousands of sources a cycle, one commit per source is most of a
// refresh's cost. Outcomes with items or errors belong to FinishPoll.
func (s *Store) FinishNotModified(ctx context.Context, outs []PollOutcome) error {
	if len(outs) == 0 {
		return nil
	}
	ids, owners, next := make([]int64, len(outs)), make([]string, len(outs)), make([]time.Time, len(outs))
	for i, o := range outs {
		if !o.OK || !o.NotModified {
			return fmt.Errorf("store: finish not-modified polls: source %d was not a 304", o.SourceID)
		}
		ids[i], owners[i], next[i] = o.SourceID, o.Owner, o.NextPoll
	}
	if _, err := s.Pool.Exec(ctx, finishNotModified, ids, owners, next); err != nil {
		return fmt.Errorf("store: finish %d not-modified polls: %w", len(outs), err)
	}
	return nil
}

func nullInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// ReleaseLeases gives back every source and article lease owner holds, so
// another replica (or this one, restarted) can take them at once.
func (s *Store) ReleaseLeases(ctx context.Context, owner string) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE sources SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = $1`, owner)
	if err != nil {
		return 0, fmt.Errorf("store: release source leases: %w", err)
	}
	n := tag.RowsAffected()
	tag, err = s.Pool.Exec(ctx, `UPDATE articles SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = $1`, owner)
	if err != nil {
		return n, fmt.Errorf("store: release article leases: %w", err)
	}
	return n + tag.RowsAffected(), nil
}

// OldestOverdue returns how long the most overdue enabled source has waited.
func (s *Store) OldestOverdue(ctx context.Context) (time.Duration, error) {
	var secs float64
	err := s.Pool.QueryRow(ctx, `SELECT coalesce(extract(epoch FROM now() - min(next_poll_at)), 0) FROM sources WHERE enabled AND next_poll_at <= now()`).Scan(&secs)
	if err != nil {
		return 0, fmt.Errorf("store: oldest overdue source: %w", err)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// RecentPublished returns the publication times of a source's articles
// published since since (for adaptive poll intervals).
func (s *Store) RecentPublished(ctx context.Context, sourceID int64, since time.Time) ([]time.Time, error) {
	rows, err := s.Pool.Query(ctx, `SELECT published_at FROM articles WHERE source_id = $1 AND published_at >= $2 ORDER BY published_at DESC LIMIT 200`, sourceID, since)
	if err != nil {
		return nil, fmt.Errorf("store: recent articles of source %d: %w", sourceID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return nil, fmt.Errorf("store: recent articles of source %d: %w", sourceID, err)
	}
	return out, nil
}
