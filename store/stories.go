package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wirewatch/wirewatch/internal/runes"
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
	// After, when above 0, lists only the prints recorded after this
	// mark (StoryLookup's): what a lookup made before the lock missed.
	After int64
}

// qStoryCandidates lists the storied articles of the same language first
// seen within $3 of article $1, whose fingerprints differ from $2 in at
// most $4 bits, nearest first; $7 is the language the asking save sets (an
// empty string keeps the stored one). The nearest are chosen in the narrow
// story_prints table (migration 014), which also gives their story; only
// they are joined for what the check reads, from story_texts (migration
// 015): a print is committed before its article's text (Tx.PlaceStory).
var qStoryCandidates = "WITH " + fmt.Sprintf(storyNear, "story_prints") + storyCandidateRows

// qStoryCandidatesAfter is qStoryCandidates over the prints recorded after
// mark $8 only, which are few: they are taken first, by their sequence
// number, whatever the planner's statistics of a fast-growing table say.
var qStoryCandidatesAfter = `
WITH fresh AS MATERIALIZED (
    SELECT article_id, story_id, fp, language, first_seen_at FROM story_prints
    WHERE seq > $8 ORDER BY seq),
` + fmt.Sprintf(storyNear, "fresh") + storyCandidateRows

// storyNear is the candidate queries' choice of the nearest prints, read
// from the relation named by %s.
const storyNear = `near AS (
    SELECT p.article_id AS id, p.story_id, bit_count((p.fp # $2)::bit(64))::int AS d
    FROM %s p, articles a
    WHERE a.id = $1 AND p.article_id <> $1
      AND p.language = coalesce(nullif($7, ''), a.language)
      AND p.first_seen_at > a.first_seen_at - $3 * interval '1 millisecond'
      AND p.first_seen_at < a.first_seen_at + $3 * interval '1 millisecond'
      AND bit_count((p.fp # $2)::bit(64)) <= $4
    ORDER BY 3, 1
    LIMIT $6)
`

// storyCandidateRows ends both candidate queries: what the check reads of
// each near article.
const storyCandidateRows = `SELECT near.id, near.story_id, t.outlet, t.title, left(t.text, $5), near.d
FROM near JOIN story_texts t ON t.article_id = near.id
ORDER BY near.d, near.id`

// StoryCandidates takes the story lock and returns the article's story
// when it is in one already (current > 0: it has a print), else the
// candidates for it, nearest first (q; lang is the language the caller's
// save sets, an empty string keeps the stored one). The lock is
// transaction-scoped, held until commit: the caller decides among the
// candidates and records the story in the same transaction (PlaceStory, or
// SetStory), so two copies saved at once by two workers join one story.
// Keep that transaction short: every storied save waits for it.
func (t *Tx) StoryCandidates(ctx context.Context, articleID int64, fp uint64, lang string, q StoryQuery) (current int64, cands []StoryCandidate, err error) {
	// The lock first, in a statement of its own: the candidates are read
	// in a later snapshot, which sees the previous holder's commit.
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, storyLockKey); err != nil {
		return 0, nil, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	var cur *int64
	err = t.tx.QueryRow(ctx, qCurrentStory, articleID).Scan(&cur)
	if err != nil {
		return 0, nil, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	if cur != nil {
		return *cur, nil, nil
	}
	cands, err = storyCandidates(ctx, t.tx, articleID, fp, lang, q)
	return 0, cands, err
}

// candidateQuery is the candidate query for q and its arguments.
func candidateQuery(articleID int64, fp uint64, lang string, q StoryQuery) (string, []any) {
	args := []any{articleID, int64(fp), q.Window.Milliseconds(), q.MaxDistance, q.TextChars, q.Limit, lang}
	if q.After > 0 {
		return qStoryCandidatesAfter, append(args, q.After)
	}
	return qStoryCandidates, args
}

func collectCandidates(rows pgx.Rows) ([]StoryCandidate, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoryCandidate, error) {
		var c StoryCandidate
		err := r.Scan(&c.ArticleID, &c.StoryID, &c.Outlet, &c.Title, &c.Text, &c.Distance)
		return c, err
	})
}

func storyCandidates(ctx context.Context, db execer, articleID int64, fp uint64, lang string, q StoryQuery) ([]StoryCandidate, error) {
	query, args := candidateQuery(articleID, fp, lang, q)
	rows, err := db.Query(ctx, query, args...)
	if err == nil {
		var cands []StoryCandidate
		if cands, err = collectCandidates(rows); err == nil {
			return cands, nil
		}
	}
	return nil, fmt.Errorf("store: story candidates of article %d: %w", articleID, err)
}

// StoryLookup lists an article's story candidates as StoryCandidates does
// but without the lock, and returns the mark of the newest print it could
// see. Made before the transaction that records the story, it takes the
// costly part of the lookup out of the serialised one: that transaction
// reads only the prints recorded after the mark (StoryQuery.After) and
// adds them to these (MergeStoryCandidates).
func (s *Store) StoryLookup(ctx context.Context, articleID int64, fp uint64, lang string, q StoryQuery) (cands []StoryCandidate, mark int64, err error) {
	// The mark first: a print it does not count was recorded after it and
	// is read again under the lock.
	if err := s.Pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM story_prints`).Scan(&mark); err != nil {
		return nil, 0, fmt.Errorf("store: story lookup of article %d: %w", articleID, err)
	}
	q.After = 0
	cands, err = storyCandidates(ctx, s.Pool, articleID, fp, lang, q)
	return cands, mark, err
}

// StoryPrint is a storied article's fingerprint as a lookup compares it,
// with what the text check reads of the article.
type StoryPrint struct {
	ArticleID, StoryID int64
	FP                 uint64
	Language           string
	FirstSeenAt        time.Time
	Outlet, Title      string
	Text               string // the start of the text, as StoryCheckTexts cuts it
}

// StoryPrintsSince returns the prints recorded after mark whose articles
// were first seen after seenAfter, in the order they were recorded, with
// the first chars characters of their check texts, and the mark to ask
// from next time. Every print recorded up to the new mark is either
// returned or first seen earlier: prints are recorded under the story
// lock, so their order is their commit order. A daemon keeps the recent
// prints in memory with it and reads only what is new.
func (s *Store) StoryPrintsSince(ctx context.Context, mark int64, seenAfter time.Time, chars int) ([]StoryPrint, int64, error) {
	// One statement, one snapshot: the newest number, and the prints up
	// to it (none when nothing is new: a row of NULLs).
	rows, err := s.Pool.Query(ctx, `
WITH m AS (SELECT coalesce(max(seq), 0) AS next FROM story_prints)
SELECT m.next, p.article_id, p.story_id, p.fp, p.language, p.first_seen_at,
       coalesce(t.outlet, ''), coalesce(t.title, ''), coalesce(left(t.text, $3), '')
FROM m LEFT JOIN story_prints p ON p.seq > $1 AND p.seq <= m.next AND p.first_seen_at > $2
LEFT JOIN story_texts t ON t.article_id = p.article_id
ORDER BY p.seq`, mark, seenAfter, chars)
	if err != nil {
		return nil, mark, fmt.Errorf("store: story prints: %w", err)
	}
	next := mark
	var prints []StoryPrint
	var n int64
	var id, story, fp *int64
	var lang *string
	var seen *time.Time
	var outlet, title, text string
	_, err = pgx.ForEachRow(rows, []any{&n, &id, &story, &fp, &lang, &seen, &outlet, &title, &text}, func() error {
		next = max(next, n)
		if id != nil {
			prints = append(prints, StoryPrint{ArticleID: *id, StoryID: *story, FP: uint64(*fp), Language: *lang, FirstSeenAt: *seen,
				Outlet: outlet, Title: title, Text: text})
		}
		return nil
	})
	if err != nil {
		return nil, mark, fmt.Errorf("store: story prints: %w", err)
	}
	return prints, next, nil
}

// StoryCheckTexts returns what the story check reads of each of the given
// prints (outlet, title, the first chars characters of the text), as
// candidates in the order given; a print whose article is gone is left
// out.
func (s *Store) StoryCheckTexts(ctx context.Context, prints []StoryCandidate, chars int) ([]StoryCandidate, error) {
	if len(prints) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(prints))
	for i, p := range prints {
		ids[i] = p.ArticleID
	}
	rows, err := s.Pool.Query(ctx, `SELECT article_id, outlet, title, left(text, $2) FROM story_texts WHERE article_id = ANY ($1)`, ids, chars)
	if err != nil {
		return nil, fmt.Errorf("store: story texts: %w", err)
	}
	type text struct{ outlet, title, text string }
	got := map[int64]text{}
	var id int64
	var t text
	_, err = pgx.ForEachRow(rows, []any{&id, &t.outlet, &t.title, &t.text}, func() error {
		got[id] = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: story texts: %w", err)
	}
	out := make([]StoryCandidate, 0, len(prints))
	for _, p := range prints {
		if t, ok := got[p.ArticleID]; ok {
			p.Outlet, p.Title, p.Text = t.outlet, t.title, t.text
			out = append(out, p)
		}
	}
	return out, nil
}

// MergeStoryCandidates joins the candidates read under the lock (newer) to
// those of an earlier StoryLookup (older): one entry per article, the newer
// one kept, nearest first, at most limit.
func MergeStoryCandidates(newer, older []StoryCandidate, limit int) []StoryCandidate {
	out := slices.Clone(newer)
	for _, c := range older {
		if !slices.ContainsFunc(newer, func(n StoryCandidate) bool { return n.ArticleID == c.ArticleID }) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b StoryCandidate) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ArticleID, b.ArticleID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// StoryAssign is the story a caller decided for an article, after
// StoryCandidates in the same transaction, or (in ArticleSave.Story) the
// story PlaceStory recorded.
type StoryAssign struct {
	FP      uint64
	StoryID int64  // 0: a new story
	Lang    string // the language the save sets ("" keeps the stored one)
	// Title and Text are what later story checks read of the article (the
	// text's first storyTextChars characters are kept); empty, they are
	// read from the article row (its body, else its summary).
	Title, Text string
}

// storyTextChars is how much of an article's text story_texts keeps: more
// than any StoryQuery.TextChars the daemon asks for.
const storyTextChars = 1000

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

// qStoryPrint records an article's story (a new one when $2 is 0), its
// fingerprint and what the check reads of it ($5, $6: title and text, each
// read from the row when empty) for later lookups, and returns the story.
const qStoryPrint = `
WITH s AS (
    INSERT INTO stories (first_article_id) SELECT $1 WHERE $2::bigint = 0 RETURNING id),
p AS (
    INSERT INTO story_prints (article_id, story_id, fp, language, first_seen_at)
    SELECT a.id, coalesce((SELECT id FROM s), $2), $3, coalesce(nullif($4, ''), a.language), a.first_seen_at
    FROM articles a WHERE a.id = $1
    ON CONFLICT (article_id) DO UPDATE SET story_id = EXCLUDED.story_id, fp = EXCLUDED.fp, language = EXCLUDED.language, seq = EXCLUDED.seq
    RETURNING article_id, story_id),
t AS (
    INSERT INTO story_texts (article_id, outlet, title, text)
    SELECT a.id, coalesce(a.outlet, ''), coalesce(nullif($5, ''), a.title, ''),
           CASE WHEN $6 <> '' THEN $6
                ELSE left(CASE WHEN coalesce(a.body_text, '') <> '' THEN a.body_text ELSE coalesce(a.summary, '') END, $7) END
    FROM articles a JOIN p ON p.article_id = a.id
    ON CONFLICT (article_id) DO UPDATE SET outlet = EXCLUDED.outlet, title = EXCLUDED.title, text = EXCLUDED.text)
SELECT story_id FROM p`

func storyPrintArgs(articleID int64, s StoryAssign) []any {
	return []any{articleID, s.StoryID, int64(s.FP), s.Lang, s.Title, runes.Prefix(s.Text, storyTextChars), storyTextChars}
}

// placeStory records the article's story and print (qStoryPrint); the
// caller writes the article row.
func placeStory(ctx context.Context, tx execer, articleID int64, s StoryAssign) (int64, error) {
	var story int64
	if err := tx.QueryRow(ctx, qStoryPrint, storyPrintArgs(articleID, s)...).Scan(&story); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return story, nil
}

// qCurrentStory is an article's story when it has a print (NULL when it
// has none; no row when there is no such article).
const qCurrentStory = `SELECT (SELECT story_id FROM story_prints WHERE article_id = $1) FROM articles WHERE id = $1`

// StoryLock is a story transaction in progress, holding the story lock:
// LockStory opens it with the article's current story and candidates, and
// Record (or Close) ends it. Every storied save waits while one is open,
// so decide quickly.
type StoryLock struct {
	conn      *pgxpool.Conn
	articleID int64
	// Current is the article's story when it is in one already (> 0).
	Current int64
	// Candidates are listed as by Tx.StoryCandidates (none when Current
	// is set).
	Candidates []StoryCandidate
}

// LockStory begins a story transaction on a connection of its own, takes
// the story lock and reads the article's story or its candidates (q;
// q.After for those recorded after an earlier StoryLookup), in one round
// trip to the server. The transaction's commit does not wait for the disk
// (synchronous_commit off, for it alone): its lock is released sooner, and
// losing it in a database crash is harmless, because the save that writes
// the story into the article row commits after it, durably, and a durable
// commit flushes every earlier one.
func (s *Store) LockStory(ctx context.Context, articleID int64, fp uint64, lang string, q StoryQuery) (*StoryLock, error) {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	l := &StoryLock{conn: conn, articleID: articleID}
	if err := l.open(ctx, fp, lang, q); err != nil {
		l.Close()
		return nil, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return l, nil
}

func (l *StoryLock) open(ctx context.Context, fp uint64, lang string, q StoryQuery) error {
	query, args := candidateQuery(l.articleID, fp, lang, q)
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SET LOCAL synchronous_commit TO off`)
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, storyLockKey)
	// Statements of their own, after the lock: each reads a snapshot that
	// sees the previous holder's commit.
	b.Queue(qCurrentStory, l.articleID)
	b.Queue(query, args...)
	br := l.conn.SendBatch(ctx, b)
	for range 3 {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	var cur *int64
	if err := br.QueryRow().Scan(&cur); err != nil {
		br.Close()
		return err
	}
	rows, err := br.Query()
	if err == nil {
		l.Candidates, err = collectCandidates(rows)
	}
	if err != nil {
		br.Close()
		return err
	}
	if err := br.Close(); err != nil {
		return err
	}
	if cur != nil {
		l.Current, l.Candidates = *cur, nil
	}
	return nil
}

// Record writes the article's story (a new one when s.StoryID is 0), its
// print and what the check reads of it (StoryAssign's Title and Text),
// commits and releases the lock; it returns the story. The article row is
// left to the save (ArticleSave.Story).
func (l *StoryLock) Record(ctx context.Context, s StoryAssign) (int64, error) {
	if l.conn == nil {
		return 0, fmt.Errorf("store: story of article %d: the story transaction is closed", l.articleID)
	}
	b := &pgx.Batch{}
	b.Queue(qStoryPrint, storyPrintArgs(l.articleID, s)...)
	b.Queue(`COMMIT`)
	br := l.conn.SendBatch(ctx, b)
	var story int64
	err := br.QueryRow().Scan(&story)
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	l.release()
	if err != nil {
		return 0, fmt.Errorf("store: record story of article %d: %w", l.articleID, err)
	}
	return story, nil
}

// Close rolls the story transaction back unless Record ended it; it may
// be deferred.
func (l *StoryLock) Close() {
	if l.conn == nil {
		return
	}
	// A connection left in a transaction is not reused: the pool closes it
	// when the rollback could not be sent.
	_, _ = l.conn.Exec(context.Background(), `ROLLBACK`)
	l.release()
}

func (l *StoryLock) release() {
	l.conn.Release()
	l.conn = nil
}
