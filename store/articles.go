package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/klauspost/compress/gzip"
	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/internal/runes"
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
	// ClassifierVersion classified the current text ("" when none has).
	ClassifierVersion string
	// RespectRobots is false when the listing source opted out of robots.txt.
	RespectRobots bool
}

// State is what SaveArticle compares a fetch with: the claim returns it, and
// the lease keeps it current while the claim lasts.
func (a DueArticle) State() *ArticleState {
	return &ArticleState{ContentHash: a.ContentHash, Revision: a.Revision,
		Relevant: a.Relevant != nil && *a.Relevant, ClassifierVersion: a.ClassifierVersion, Summary: a.Summary}
}

// ArticleState is the stored state a save is compared with.
type ArticleState struct {
	ContentHash       string
	Revision          int
	Relevant          bool
	ClassifierVersion string
	// Summary is the feed's summary, which saves never change; the search
	// vectors are rebuilt from it with the new text.
	Summary string
}

// hostOfURL is the SQL expression for the host (and port, as the fetcher's
// per-host rate limit counts it) of a URL column, without user info, as
// the articles.host column holds it (migration 015): the unit of fairness
// in the article claim.
const hostOfURL = `lower(substring(%s from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/?#]+)'))`

// claimArticles takes due articles host by host in turn, so that no outlet
// holds back another. Within its host every due article has a turn
// (pending pages first, newest first, so the current poll comes before an
// older backlog; then re-checks by due time); articles of the host already
// leased (in flight here or on another replica) count as turns taken. The
// claim takes the first turn of every host, then the second, and so on,
// and never more than $4 per host at once, so that workers do not pile up
// behind one host's rate limit while another host has due work.
//
// It reads a few rows per host, not every due article (migration 015):
// the hosts with work come from a walk of two partial indexes (pending
// pages; scheduled re-checks), one index probe per host, and each host
// gives its first $5 due rows of each kind (the claim's size and
// claimCountWindow more), in its turn order, from the same indexes. The
// leased ones among them are the host's articles in flight: the claim
// takes each host's first turns, so what is in flight stays at the front
// of its turn order, where it is counted. (New pages found while they are
// in flight can push a few past the rows read, and no more than
// claimCountWindow are counted: either lets a host's cap be passed by as
// many.) No index covers the lease
// columns, so that a claim is a HOT update. Hosts whose work is not due
// yet give no rows.
const claimArticles = `
WITH RECURSIVE pending_hosts AS (
    (SELECT host FROM articles
     WHERE fetch_state = 'pending' AND next_check_at IS NOT NULL ORDER BY host LIMIT 1)
    UNION ALL
    SELECT (SELECT a.host FROM articles a
            WHERE a.fetch_state = 'pending' AND a.next_check_at IS NOT NULL AND a.host > h.host
            ORDER BY a.host LIMIT 1)
    FROM pending_hosts h WHERE h.host IS NOT NULL),
recheck_hosts AS (
    (SELECT host FROM articles
     WHERE fetch_state <> 'pending' AND next_check_at IS NOT NULL ORDER BY host LIMIT 1)
    UNION ALL
    SELECT (SELECT a.host FROM articles a
            WHERE a.fetch_state <> 'pending' AND a.next_check_at IS NOT NULL AND a.host > h.host
            ORDER BY a.host LIMIT 1)
    FROM recheck_hosts h WHERE h.host IS NOT NULL),
hosts AS (
    SELECT host FROM pending_hosts WHERE host IS NOT NULL
    UNION
    SELECT host FROM recheck_hosts WHERE host IS NOT NULL),
turns AS (
    SELECT t.id, t.next_check_at, t.turn + t.busy AS slot
    FROM hosts h
    CROSS JOIN LATERAL (
        SELECT x.id, x.next_check_at, x.leased,
               row_number() OVER (PARTITION BY x.leased ORDER BY x.recheck, x.seen DESC, x.next_check_at, x.id) AS turn,
               count(*) FILTER (WHERE x.leased) OVER () AS busy
        FROM ((SELECT id, next_check_at, false AS recheck, first_seen_at AS seen,
                      coalesce(lease_until >= now(), false) AS leased
               FROM articles
               WHERE host = h.host AND fetch_state = 'pending' AND next_check_at <= now()
               ORDER BY first_seen_at DESC, id LIMIT $5)
              UNION ALL
              (SELECT id, next_check_at, true, NULL, coalesce(lease_until >= now(), false)
               FROM articles
               WHERE host = h.host AND fetch_state <> 'pending' AND next_check_at <= now()
               ORDER BY next_check_at, id LIMIT $5)) x) t
    WHERE NOT t.leased AND t.turn + t.busy <= $4),
-- The turns as an array, so that the rows are then locked by primary key
-- whatever the planner estimates of the steps above.
ordered AS MATERIALIZED (
    SELECT ARRAY(SELECT id FROM turns ORDER BY slot, next_check_at, id LIMIT $3::int * 2) AS ids),
pick AS (
    SELECT a.id FROM ordered o, articles a
    WHERE a.id = ANY (o.ids)
      AND a.next_check_at <= now() AND (a.lease_until IS NULL OR a.lease_until < now())
    ORDER BY array_position(o.ids, a.id)
    LIMIT $3
    FOR UPDATE OF a SKIP LOCKED)
UPDATE articles SET lease_until = now() + $2::interval, lease_owner = $1
WHERE id IN (SELECT id FROM pick)
RETURNING id, coalesce(source_id, 0), canonical_url, outlet, language, title, summary, byline, published_at,
    first_seen_at, fetch_state, fetch_attempts, check_count, revision, content_hash, etag, last_modified, relevant, removed_at,
    coalesce((SELECT name FROM sources s WHERE s.id = articles.source_id), ''),
    coalesce(classifier_version, ''),
    coalesce((SELECT respect_robots FROM sources s WHERE s.id = articles.source_id), true)`

// claimCountWindow is how many of a host's in-flight articles the claim
// can count against its cap: above it, the cap is not enforced exactly (a
// process has fetch_workers × 8 downloads, 128 by default).
const claimCountWindow = 256

// ClaimDueArticles leases up to limit articles whose fetch or re-check is
// due, taking hosts in turn and leaving any host at most perHost articles
// leased at once (0: no per-host cap).
func (s *Store) ClaimDueArticles(ctx context.Context, owner string, lease time.Duration, limit, perHost int) ([]DueArticle, error) {
	if perHost <= 0 {
		perHost = limit
	}
	rows, err := s.Pool.Query(ctx, claimArticles, owner, lease, limit, perHost, limit+min(perHost, claimCountWindow))
	if err != nil {
		return nil, fmt.Errorf("store: claim articles: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DueArticle, error) {
		var a DueArticle
		err := r.Scan(&a.ID, &a.SourceID, &a.URL, &a.Outlet, &a.Language, &a.Title, &a.Summary, &a.Byline, &a.PublishedAt,
			&a.FirstSeenAt, &a.FetchState, &a.FetchAttempts, &a.CheckCount, &a.Revision, &a.ContentHash, &a.ETag, &a.LastModified, &a.Relevant, &a.RemovedAt, &a.SourceName, &a.ClassifierVersion, &a.RespectRobots)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim articles: %w", err)
	}
	return out, nil
}

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
	// Prev is the stored state as claimed (DueArticle.State); nil makes
	// SaveArticle read it first under a row lock.
	Prev *ArticleState
	// Story, when set, writes a new text's story (recorded by
	// Store.TryPlaceStory, which committed first) and fingerprint in the same
	// row version as the text: a second write of the wide article row
	// would add every one of its index entries again, the full-text ones
	// included. An article keeps the story it is in.
	Story *StoryAssign
}

// SaveResult says what SaveArticle changed.
type SaveResult struct {
	NewRevision bool
	Revision    int
	// Edited is set for a new revision of an article that had text before.
	Edited bool
	// Decided is set when the save stored a new classification (new text
	// or a new classifier version).
	Decided bool
	// WasRelevant is the decision before the save, Relevant after it.
	WasRelevant bool
	Relevant    bool
}

const lockArticle = `SELECT content_hash, revision, body_text, coalesce(relevant, false), coalesce(classifier_version, ''), summary
FROM articles WHERE id = $1 AND lease_owner = $2 FOR UPDATE`

// saveFetched records a fetch whose text changed or was classified anew:
// text, fetch state and current classification in one row version. Only
// the lease holder may write ($2): the revision and per-topic scores are
// written from the UPDATE's RETURNING, so a lost lease writes nothing and
// the statement returns 0. One statement, so it is atomic without an
// explicit transaction.
const saveFetched = `
WITH a AS (
UPDATE articles SET
    title = CASE WHEN $3 <> '' THEN $3 ELSE title END,
    byline = CASE WHEN $4 <> '' THEN $4 ELSE byline END,
    published_at = coalesce($5, published_at),
    published_suspect = $6,
    language = CASE WHEN $7 <> '' THEN $7 ELSE language END,
    body_text = $8, content_hash = $9, extract_method = $10, revision = $11,
    etag = $12, last_modified = $13,
    fetch_state = 'fetched', fetch_attempts = 0, fetch_error = NULL,
    check_count = check_count + 1, last_checked_at = now(), next_check_at = $14,
    removed_at = NULL, lease_until = NULL, lease_owner = NULL,
    classifier_version = $15, relevant = $16, score = $17, topics = $18,
    -- the story, when the save assigns one ($33, $34: see ArticleSave.Story);
    -- an article keeps the story it is in
    story_fp = coalesce($33, story_fp), story_id = coalesce(story_id, $34),
    -- the search vectors from text prepared in Go (see searchtext.go):
    -- title, the row's summary (which no save changes) and body.
    search_en = setweight(to_tsvector('english', $19), 'A') ||
                setweight(to_tsvector('english', $30), 'B') ||
                setweight(to_tsvector('english', $20), 'C'),
    -- $32: the Chinese vector built in Go (zhVector), NULL when only
    -- PostgreSQL can build it.
    search_zh = coalesce($32::text::tsvector,
                setweight(to_tsvector('simple', $21), 'A') ||
                setweight(to_tsvector('simple', $31), 'B') ||
                setweight(to_tsvector('simple', $22), 'C'))
WHERE id = $1 AND lease_owner = $2
RETURNING id),
r AS (
INSERT INTO article_revisions (article_id, revision, title, body_text, content_hash, extract_method, raw_gzip, raw_charset, diff)
SELECT id, $11, $3, $8, $9, $10, $23, $24, $25 FROM a WHERE $26
),
c AS (
INSERT INTO classifications (article_id, classifier_version, topic, score, relevant, evidence, revision)
SELECT a.id, $15, t, sc, $16, ev, $11 FROM a, unnest($27::text[], $28::real[], $29::jsonb[]) AS x(t, sc, ev)
ON CONFLICT (article_id, classifier_version, topic) DO UPDATE SET
    score = EXCLUDED.score, relevant = EXCLUDED.relevant, evidence = EXCLUDED.evidence,
    revision = EXCLUDED.revision, classified_at = now()
)
SELECT count(*) FROM a`

// saveUnchanged records a fetch that found the stored text: validators and
// schedule only. Title, summary and body are not set, so PostgreSQL does
// not recompute the search vectors generated from them.
const saveUnchanged = `
UPDATE articles SET
    published_at = coalesce($3, published_at), published_suspect = $4,
    etag = $5, last_modified = $6,
    fetch_state = 'fetched', fetch_attempts = 0, fetch_error = NULL,
    check_count = check_count + 1, last_checked_at = now(), next_check_at = $7,
    removed_at = NULL, lease_until = NULL, lease_owner = NULL
WHERE id = $1 AND lease_owner = $2`

const upsertClassification = `
INSERT INTO classifications (article_id, classifier_version, topic, score, relevant, evidence, revision)
SELECT $1, $2, t, sc, $3, ev, $4 FROM unnest($5::text[], $6::real[], $7::jsonb[]) AS x(t, sc, ev)
ON CONFLICT (article_id, classifier_version, topic) DO UPDATE SET
    score = EXCLUDED.score, relevant = EXCLUDED.relevant, evidence = EXCLUDED.evidence,
    revision = EXCLUDED.revision, classified_at = now()`

const updateCurrentClassification = `
UPDATE articles SET classifier_version = $2, relevant = $3, score = $4, topics = $5 WHERE id = $1`

// SaveArticle stores a fetched page on the pool, for a caller with nothing
// else to write in the same unit of work: see Tx.SaveArticle. When the save
// is one statement (no edit to diff, nothing to read first) it runs without
// an explicit transaction.
func (s *Store) SaveArticle(ctx context.Context, a ArticleSave) (SaveResult, error) {
	if a.Story != nil && a.Story.StoryID == 0 {
		return SaveResult{}, fmt.Errorf("store: save article %d: no story id (Store.TryPlaceStory gives it)", a.ID)
	}
	p, ok, err := PrepareSave(a)
	if err != nil {
		return SaveResult{}, err
	}
	if ok {
		out, err := s.SaveArticles(ctx, []PreparedSave{p})
		if err != nil {
			return SaveResult{}, err
		}
		return out[0].Result, out[0].Err
	}
	raw, err := rawForSave(a)
	if err != nil {
		return SaveResult{}, err
	}
	var res SaveResult
	err = s.InTx(ctx, func(tx *Tx) error {
		res, err = saveArticle(ctx, tx.tx, a, raw)
		return err
	})
	return res, err
}

// SaveArticle stores a fetched page: a new revision when the text changed
// (with the diff and the gzip-compressed raw page), the article's current
// text, fetch state and classification as one row version, and the
// per-topic scores. With a.Prev (the state the claim returned) nothing is
// read first: the UPDATE's lease condition is the check. ErrLeaseLost means
// another worker owns the article; the caller should roll back.
func (t *Tx) SaveArticle(ctx context.Context, a ArticleSave) (SaveResult, error) {
	raw, err := rawForSave(a)
	if err != nil {
		return SaveResult{}, err
	}
	return saveArticle(ctx, t.tx, a, raw)
}

// rawForSave compresses the raw page when the save may store a revision;
// callers do it before taking a pooled connection.
func rawForSave(a ArticleSave) ([]byte, error) {
	if a.Prev != nil && a.Prev.ContentHash == a.ContentHash {
		return nil, nil
	}
	raw, err := gzipBytes(a.Raw)
	if err != nil {
		return nil, fmt.Errorf("store: save article %d: %w", a.ID, err)
	}
	return raw, nil
}

// PreparedSave is a save that needs nothing read first, made ready to
// send: its statement and arguments built (the page compressed, the
// search text prepared) by the caller's goroutine, so that a batch of them
// (Store.SaveArticles) costs its sender only the round trip.
type PreparedSave struct {
	id int64
	st saveStmt
}

// PrepareSave prepares a for SaveArticles. ok is false when the save needs
// the stored state read first (no a.Prev, or an edit, whose diff needs the
// text it replaces): Store.SaveArticle does those.
func PrepareSave(a ArticleSave) (p PreparedSave, ok bool, err error) {
	if a.Prev == nil || (a.Prev.ContentHash != a.ContentHash && a.Prev.Revision > 0) {
		return PreparedSave{}, false, nil
	}
	raw, err := rawForSave(a)
	if err != nil {
		return PreparedSave{}, false, err
	}
	st, err := saveStatement(a, *a.Prev, "", raw)
	if err != nil {
		return PreparedSave{}, false, fmt.Errorf("store: save article %d: %w", a.ID, err)
	}
	return PreparedSave{id: a.ID, st: st}, true, nil
}

// SaveOutcome is what one save of a SaveArticles batch did.
type SaveOutcome struct {
	Result SaveResult
	// Err is ErrLeaseLost when another worker owns the article: that save
	// wrote nothing, and the others in the batch stand.
	Err error
}

// SaveArticles sends saves in one round trip and one transaction: a group
// commit of the saves that workers finish at the same moment. A save whose
// lease was lost writes nothing and says so in its outcome. Any other
// error ends the transaction: nothing of the batch is stored, and the
// error is returned for all of it (the caller may send each save alone).
func (s *Store) SaveArticles(ctx context.Context, saves []PreparedSave) ([]SaveOutcome, error) {
	if len(saves) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	for _, p := range saves {
		b.Queue(p.st.sql, p.st.args...)
	}
	out, err := readSaves(s.Pool.SendBatch(ctx, b), saves)
	if err != nil {
		return nil, fmt.Errorf("store: save %d articles (first %d): %w", len(saves), saves[0].id, err)
	}
	return out, nil
}

// readSaves reads the results of SaveArticles' batch and closes it.
func readSaves(br pgx.BatchResults, saves []PreparedSave) (out []SaveOutcome, err error) {
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	out = make([]SaveOutcome, len(saves))
	for i, p := range saves {
		var n int64
		if p.st.counts {
			err = br.QueryRow().Scan(&n)
		} else {
			var tag pgconn.CommandTag
			tag, err = br.Exec()
			n = tag.RowsAffected()
		}
		out[i].Result, out[i].Err = p.st.result(n, err)
		if out[i].Err != nil && !errors.Is(out[i].Err, ErrLeaseLost) {
			return nil, fmt.Errorf("article %d: %w", p.id, out[i].Err)
		}
	}
	return out, nil
}

func saveArticle(ctx context.Context, db execer, a ArticleSave, raw []byte) (SaveResult, error) {
	res, err := saveArticleRows(ctx, db, a, raw)
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		err = fmt.Errorf("store: save article %d: %w", a.ID, err)
	}
	return res, err
}

func saveArticleRows(ctx context.Context, tx execer, a ArticleSave, raw []byte) (SaveResult, error) {
	prev := a.Prev
	var oldBody string
	if prev == nil {
		prev = new(ArticleState)
		err := tx.QueryRow(ctx, lockArticle, a.ID, a.Owner).Scan(&prev.ContentHash, &prev.Revision, &oldBody, &prev.Relevant, &prev.ClassifierVersion, &prev.Summary)
		if errors.Is(err, pgx.ErrNoRows) {
			return SaveResult{}, ErrLeaseLost
		}
		if err != nil {
			return SaveResult{}, err
		}
	} else if prev.ContentHash != a.ContentHash && prev.Revision > 0 {
		// An edit: the diff needs the text it replaces.
		err := tx.QueryRow(ctx, `SELECT body_text FROM articles WHERE id = $1 AND lease_owner = $2 FOR UPDATE`, a.ID, a.Owner).Scan(&oldBody)
		if errors.Is(err, pgx.ErrNoRows) {
			return SaveResult{}, ErrLeaseLost
		}
		if err != nil {
			return SaveResult{}, err
		}
	}
	st, err := saveStatement(a, *prev, oldBody, raw)
	if err != nil {
		return SaveResult{}, err
	}
	var n int64
	if st.counts {
		err = tx.QueryRow(ctx, st.sql, st.args...).Scan(&n)
	} else {
		var tag pgconn.CommandTag
		tag, err = tx.Exec(ctx, st.sql, st.args...)
		n = tag.RowsAffected()
	}
	return st.result(n, err)
}

// saveStmt is the one statement that writes a save once the stored state
// it replaces is known.
type saveStmt struct {
	sql  string
	args []any
	// counts: the statement returns the rows it wrote as a count (else
	// its command tag says).
	counts bool
	// res is what the save did when the statement wrote the row.
	res SaveResult
}

// result is the save's outcome from the rows the statement wrote (n) or
// its error: no row means the lease was lost.
func (st saveStmt) result(n int64, err error) (SaveResult, error) {
	if err == nil && n == 0 {
		err = ErrLeaseLost
	}
	if err != nil {
		return SaveResult{}, err
	}
	return st.res, nil
}

// saveStatement builds the statement that stores a over prev, the state
// it replaces (oldBody: the text replaced, for an edit's diff; raw: the
// compressed page, or nil to compress it here when a revision is stored).
func saveStatement(a ArticleSave, prev ArticleState, oldBody string, raw []byte) (saveStmt, error) {
	changed := prev.ContentHash != a.ContentHash
	reclassify := changed || prev.ClassifierVersion != a.Classification.Version
	rev := prev.Revision
	if changed {
		rev++
	}
	res := SaveResult{NewRevision: changed, Revision: rev, Edited: changed && prev.Revision > 0, WasRelevant: prev.Relevant, Relevant: prev.Relevant}
	ex, c := a.Extracted, a.Classification
	if !reclassify {
		// Same text, same classifier: nothing new to decide.
		return saveStmt{sql: saveUnchanged, res: res,
			args: []any{a.ID, a.Owner, ex.Published, a.PublishedSuspect, a.ETag, a.LastModified, a.NextCheck}}, nil
	}
	sc, err := classificationRows(c)
	if err != nil {
		return saveStmt{}, err
	}
	var diff []byte
	if changed {
		if raw == nil && len(a.Raw) > 0 {
			if raw, err = gzipBytes(a.Raw); err != nil {
				return saveStmt{}, err
			}
		}
		if prev.Revision > 0 {
			diff = textDiff(oldBody, ex.Text)
		}
	}
	var zhTitle, zhSummary, zhBody string
	zh, built := zhVector(ex.Title, prev.Summary, ex.Text)
	zhArg := &zh
	if !built {
		zhArg = nil
		zhTitle, zhSummary, zhBody = cjkBigrams(ex.Title), cjkBigrams(prev.Summary), cjkBigrams(runes.Prefix(ex.Text, searchBodyZh))
	}
	var storyFP, storyID *int64
	if a.Story != nil && changed {
		if a.Story.StoryID == 0 {
			return saveStmt{}, fmt.Errorf("no story id (Store.TryPlaceStory gives it)")
		}
		fp, id := int64(a.Story.FP), a.Story.StoryID
		storyFP, storyID = &fp, &id
	}
	res.Relevant = c.Relevant
	res.Decided = true
	return saveStmt{sql: saveFetched, counts: true, res: res, args: []any{a.ID, a.Owner, ex.Title, ex.Byline, ex.Published, a.PublishedSuspect, ex.Lang, ex.Text,
		a.ContentHash, ex.Method, rev, a.ETag, a.LastModified, a.NextCheck,
		c.Version, c.Relevant, float32(c.Score), sc.relevantTopics,
		stripHan(ex.Title), stripHan(runes.Prefix(ex.Text, searchBodyEn)),
		zhTitle, zhBody,
		raw, a.RawCharset, diff, changed,
		sc.topics, sc.scores, sc.evidence,
		stripHan(prev.Summary), zhSummary, zhArg, storyFP, storyID}}, nil
}

// classificationScores is a classification as column arrays.
type classificationScores struct {
	topics         []string
	scores         []float32
	evidence       [][]byte
	relevantTopics []string
}

func classificationRows(c model.Classification) (classificationScores, error) {
	var out classificationScores
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
			return out, fmt.Errorf("encode evidence: %w", err)
		}
		out.topics = append(out.topics, t.ID)
		out.scores = append(out.scores, float32(min(max(t.Score, 0), 1)))
		out.evidence = append(out.evidence, b)
		if c.Relevant {
			out.relevantTopics = append(out.relevantTopics, t.ID)
		}
	}
	if out.relevantTopics == nil {
		out.relevantTopics = []string{}
	}
	return out, nil
}

// SaveClassification stores a new classification of an article's current
// text (reclassify) and returns the relevance decision it had before.
func (t *Tx) SaveClassification(ctx context.Context, id int64, c model.Classification) (wasRelevant bool, err error) {
	var rev int
	if err := t.tx.QueryRow(ctx, `SELECT coalesce(relevant, false), revision FROM articles WHERE id = $1 FOR UPDATE`, id).Scan(&wasRelevant, &rev); err != nil {
		return false, fmt.Errorf("store: save classification of article %d: %w", id, interpretError(err))
	}
	sc, err := classificationRows(c)
	if err != nil {
		return false, fmt.Errorf("store: save classification of article %d: %w", id, err)
	}
	if len(sc.topics) > 0 {
		if _, err := t.tx.Exec(ctx, upsertClassification, id, c.Version, c.Relevant, rev, sc.topics, sc.scores, sc.evidence); err != nil {
			return false, fmt.Errorf("store: insert classification of article %d: %w", id, err)
		}
	}
	if _, err := t.tx.Exec(ctx, updateCurrentClassification, id, c.Version, c.Relevant, float32(c.Score), sc.relevantTopics); err != nil {
		return false, fmt.Errorf("store: update classification of article %d: %w", id, err)
	}
	return wasRelevant, nil
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

// Removal says what MarkRemoved changed.
type Removal struct {
	// First is set when this call noticed the removal (removed_at was unset).
	First bool
	// Relevant is the article's decision.
	Relevant bool
}

// MarkRemoved records that the outlet removed an article (404 or 410): the
// last text is kept and removed_at is set once.
func (t *Tx) MarkRemoved(ctx context.Context, id int64, owner string) (Removal, error) {
	var r Removal
	var removed *time.Time
	err := t.tx.QueryRow(ctx, `SELECT coalesce(relevant, false), removed_at FROM articles WHERE id = $1 AND lease_owner = $2 FOR UPDATE`, id, owner).Scan(&r.Relevant, &removed)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrLeaseLost
	}
	if err != nil {
		return r, fmt.Errorf("store: mark article %d removed: %w", id, err)
	}
	r.First = removed == nil
	if _, err := t.tx.Exec(ctx, `UPDATE articles SET removed_at = coalesce(removed_at, now()), check_count = check_count + 1,
            last_checked_at = now(), next_check_at = NULL, lease_until = NULL, lease_owner = NULL WHERE id = $1`, id); err != nil {
		return r, fmt.Errorf("store: mark article %d removed: %w", id, err)
	}
	return r, nil
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
	dmp.DiffTimeout = config.DefaultDiffTimeout
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

// gzipWriters keeps compressors between saves: a new flate writer
// allocates about 1 MB of tables, which at hundreds of pages a second is
// most of the garbage the daemon makes.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

func gzipBytes(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(b)/3 + 512)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("compress raw page: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress raw page: %w", err)
	}
	return buf.Bytes(), nil
}

// Recanonicalize moves a never-fetched article to the canonical URL its page
// declared (rel=canonical on the same site) or was redirected to. When
// another article already has that URL, this one is a duplicate and is
// deleted: merged is true and the caller stops working on it.
func (s *Store) Recanonicalize(ctx context.Context, id int64, owner, canonical string) (merged bool, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var other int64
		err := tx.QueryRow(ctx, `SELECT id FROM articles WHERE canonical_url = $1`, canonical).Scan(&other)
		switch {
		case err == nil && other != id:
			tag, err := tx.Exec(ctx, `DELETE FROM articles WHERE id = $1 AND lease_owner = $2 AND revision = 0`, id, owner)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return ErrLeaseLost
			}
			merged = true
			return nil
		case err == nil:
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE articles SET canonical_url = $3 WHERE id = $1 AND lease_owner = $2`, id, owner, canonical)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrLeaseLost
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		err = fmt.Errorf("store: move article %d to %s: %w", id, canonical, err)
	}
	return merged, err
}
