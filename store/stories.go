package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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
	// After is the mark of the prints the candidates were read from
	// (StoryLookup's, or a daemon's held prints): TryPlaceStories records
	// only when no near print was recorded after it.
	After int64
}

// qStoryCandidates lists the storied articles of the same language first
// seen within $3 of article $1, whose fingerprints differ from $2 in at
// most $4 bits, nearest first; $7 is the language the asking save sets (an
// empty string keeps the stored one). The nearest are chosen in the narrow
// story_prints table (migration 014), which also gives their story; only
// they are joined for what the check reads, from story_texts (migration
// 015): a print is committed before its article's text (Store.TryPlaceStory).
var qStoryCandidates = "WITH " + fmt.Sprintf(storyNear, "story_prints") + storyCandidateRows

// storyFresh is the prints recorded after mark $8 (none when $8 is NULL).
const storyFresh = `fresh AS MATERIALIZED (
    SELECT article_id, story_id, fp, language, first_seen_at FROM story_prints
    WHERE seq > $8 ORDER BY seq)`

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

// storyCandidateRows ends the candidate query: what the check reads of
// each near article.
const storyCandidateRows = `SELECT near.id, near.story_id, t.outlet, t.title, left(t.text, $5), near.d
FROM near JOIN story_texts t ON t.article_id = near.id
ORDER BY near.d, near.id`

// StoryCandidates takes the story lock and returns the article's story
// when it is in one already (current > 0: it has a print), else the
// candidates for it, nearest first (q; lang is the language the caller's
// save sets, an empty string keeps the stored one). The lock is
// transaction-scoped, held until commit: the caller decides among the
// candidates and records the story in the same transaction (SetStory),
// so two copies saved at once by two workers join one story.
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

func collectCandidates(rows pgx.Rows) ([]StoryCandidate, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoryCandidate, error) {
		var c StoryCandidate
		err := r.Scan(&c.ArticleID, &c.StoryID, &c.Outlet, &c.Title, &c.Text, &c.Distance)
		return c, err
	})
}

func storyCandidates(ctx context.Context, db execer, articleID int64, fp uint64, lang string, q StoryQuery) ([]StoryCandidate, error) {
	rows, err := db.Query(ctx, qStoryCandidates, articleID, int64(fp), q.Window.Milliseconds(), q.MaxDistance, q.TextChars, q.Limit, lang)
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
// see. Made before the story is recorded, it keeps the costly part of the
// lookup out of the serialised one: TryPlaceStories, given the mark as
// StoryQuery.After, looks only at the prints recorded after it, and
// returns them to be added to these (MergeStoryCandidates).
func (s *Store) StoryLookup(ctx context.Context, articleID int64, fp uint64, lang string, q StoryQuery) (cands []StoryCandidate, mark int64, err error) {
	// The mark first: a print it does not count was recorded after it and
	// is checked for under the lock.
	if err := s.Pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM story_prints`).Scan(&mark); err != nil {
		return nil, 0, fmt.Errorf("store: story lookup of article %d: %w", articleID, err)
	}
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
// prints in memory with it and reads only what is new. A new mark below
// mark means numbers were handed out again: a crash of the server lost
// the last story records, which commit without waiting for the disk, and
// the sequence's last steps with them; the caller reads from 0 again.
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
		next = n
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
// story TryPlaceStory recorded.
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
// fingerprint, and returns the story id. It holds the story lock to the
// end of the transaction (StoryCandidates takes it already; taking it
// again costs nothing): prints are numbered in the order they commit only
// because every writer of them holds it.
func (t *Tx) SetStory(ctx context.Context, articleID int64, s StoryAssign) (int64, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, storyLockKey); err != nil {
		return 0, fmt.Errorf("store: story lock: %w", err)
	}
	story, err := placeStory(ctx, t.tx, articleID, s)
	if err != nil {
		return 0, err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE articles SET story_fp = $2, story_id = $3 WHERE id = $1`, articleID, int64(s.FP), story); err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return story, nil
}

// qStoryPrint records article $1's story, its fingerprint $2 and what the
// check reads of it ($10, $11: title and text, each read from the row when
// empty; $5: how much text is kept) for later lookups, and returns the
// story in one row. The story is the article's own when it has a print
// already, else $9 (0: a new story).
//
// With a mark $8 it records only when no print near the article (the
// candidates' terms $1–$4, $6 and $7, as in qStoryCandidates) was
// recorded after the mark: $9 was decided on the candidates up to the
// mark, and a print recorded since could change the decision. When it
// does not record, it returns those prints instead (story 0), nearest
// first, with $12 characters of their check texts. Every row carries the
// newest print's mark. With $8 NULL it always records.
var qStoryPrint = "WITH " + storyFresh + ",\n" + fmt.Sprintf(storyNear, "fresh") + `,
cur AS (SELECT story_id FROM story_prints WHERE article_id = $1),
d AS (
    SELECT coalesce((SELECT story_id FROM cur), $9::bigint) AS story
    WHERE EXISTS (SELECT 1 FROM cur) OR NOT EXISTS (SELECT 1 FROM near)),
s AS (
    INSERT INTO stories (first_article_id) SELECT a.id FROM d, articles a WHERE a.id = $1 AND d.story = 0 RETURNING id),
p AS (
    INSERT INTO story_prints (article_id, story_id, fp, language, first_seen_at)
    SELECT a.id, coalesce((SELECT id FROM s), d.story), $2, coalesce(nullif($7, ''), a.language), a.first_seen_at
    FROM articles a, d WHERE a.id = $1
    ON CONFLICT (article_id) DO UPDATE SET story_id = EXCLUDED.story_id, fp = EXCLUDED.fp, language = EXCLUDED.language, seq = EXCLUDED.seq
    RETURNING article_id, story_id, seq),
t AS (
    INSERT INTO story_texts (article_id, outlet, title, text)
    SELECT a.id, coalesce(a.outlet, ''), coalesce(nullif($10, ''), a.title, ''),
           CASE WHEN $11 <> '' THEN $11
                ELSE left(CASE WHEN coalesce(a.body_text, '') <> '' THEN a.body_text ELSE coalesce(a.summary, '') END, $5) END
    FROM articles a JOIN p ON p.article_id = a.id
    ON CONFLICT (article_id) DO UPDATE SET outlet = EXCLUDED.outlet, title = EXCLUDED.title, text = EXCLUDED.text),
m AS (SELECT coalesce(max(seq), 0) AS mark FROM story_prints)
SELECT p.story_id, 0::bigint, 0::bigint, ''::text, ''::text, ''::text, 0::int, m.mark, p.seq FROM p, m
UNION ALL
(SELECT 0::bigint, near.id, near.story_id, x.outlet, x.title, left(x.text, $12), near.d, m.mark, 0::bigint
 FROM near JOIN story_texts x ON x.article_id = near.id, m
 WHERE NOT EXISTS (SELECT 1 FROM d)
 ORDER BY near.d, near.id)`

// storyPrintArgs are qStoryPrint's arguments: unconditional when mark is
// nil, else against the candidates of q after *mark.
func storyPrintArgs(articleID int64, s StoryAssign, q StoryQuery, mark *int64) []any {
	return []any{articleID, int64(s.FP), q.Window.Milliseconds(), q.MaxDistance, storyTextChars, q.Limit, s.Lang, mark,
		s.StoryID, s.Title, runes.Prefix(s.Text, storyTextChars), q.TextChars}
}

// readStoryPrint reads qStoryPrint's rows: the story recorded, or the
// prints that stopped it.
func readStoryPrint(rows pgx.Rows) (StoryTry, error) {
	var res StoryTry
	var story, seq int64
	var c StoryCandidate
	_, err := pgx.ForEachRow(rows, []any{&story, &c.ArticleID, &c.StoryID, &c.Outlet, &c.Title, &c.Text, &c.Distance, &res.Mark, &seq}, func() error {
		if story > 0 {
			res.Story, res.Seq = story, seq
		} else {
			res.Fresh = append(res.Fresh, c)
		}
		return nil
	})
	if err != nil {
		return StoryTry{}, err
	}
	if res.Story > 0 {
		res.Fresh = nil
	}
	return res, nil
}

// placeStory records the article's story and print (qStoryPrint); the
// caller writes the article row.
func placeStory(ctx context.Context, tx execer, articleID int64, s StoryAssign) (int64, error) {
	rows, err := tx.Query(ctx, qStoryPrint, storyPrintArgs(articleID, s, StoryQuery{}, nil)...)
	var res StoryTry
	if err == nil {
		res, err = readStoryPrint(rows)
	}
	if err == nil && res.Story == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: story of article %d: %w", articleID, err)
	}
	return res.Story, nil
}

// qCurrentStory is an article's story when it has a print (NULL when it
// has none; no row when there is no such article).
const qCurrentStory = `SELECT (SELECT story_id FROM story_prints WHERE article_id = $1) FROM articles WHERE id = $1`

// StoryTry is what TryPlaceStory did: it recorded the story (Story > 0),
// or it found prints near the article recorded after the mark (Fresh,
// nearest first, with their check texts) and recorded nothing; Mark is
// then the mark to try again from. Err is ErrNotFound, in TryPlaceStories'
// results, for an article that does not exist.
type StoryTry struct {
	Story int64
	// Seq is the recorded print's place in the record order (the order of
	// StoryPrintsSince and of marks).
	Seq   int64
	Fresh []StoryCandidate
	Mark  int64
	Err   error
}

// StoryTryArgs is one article's try in TryPlaceStories: its story decided
// on its candidates up to the mark Query.After.
type StoryTryArgs struct {
	ArticleID int64
	Story     StoryAssign
	Query     StoryQuery
}

// TryPlaceStory records the story s an article's candidates up to the mark
// q.After decided (those of a StoryLookup, or prints a daemon holds), in
// one round trip: it takes the story lock and records the story, its
// print and check text, unless a print near the article was recorded
// after the mark. Then it returns those prints instead, with a new mark,
// so that the caller can judge them and try again. An article that has a
// story already keeps it; an article that does not exist is ErrNotFound.
// The lock is held only while the server runs the statements, never while
// the caller decides.
func (s *Store) TryPlaceStory(ctx context.Context, articleID int64, sa StoryAssign, q StoryQuery) (StoryTry, error) {
	res, err := s.TryPlaceStories(ctx, []StoryTryArgs{{ArticleID: articleID, Story: sa, Query: q}})
	if err != nil {
		return StoryTry{}, err
	}
	if res[0].Err != nil {
		return StoryTry{}, fmt.Errorf("store: place story of article %d: %w", articleID, res[0].Err)
	}
	return res[0], nil
}

// TryPlaceStories makes several articles' tries (TryPlaceStory) in one
// round trip and one transaction, under one taking of the lock, in the
// order given: a try sees the prints the tries before it recorded, so a
// copy of an earlier article in the same call records nothing and gets
// that article's print to judge. The results are in the same order; an
// error of the statements is returned for all.
//
// The commit does not wait for the disk (synchronous_commit off, for this
// transaction alone): the lock is released sooner, and losing the commit
// in a database crash is harmless, because the save that writes the story
// into the article row commits after it, durably, and a durable commit
// flushes every earlier one.
func (s *Store) TryPlaceStories(ctx context.Context, tries []StoryTryArgs) ([]StoryTry, error) {
	if len(tries) == 0 {
		return nil, nil
	}
	// A batch is one implicit transaction (one Sync): the lock is held
	// until its end, and the setting is local to it. Each record is a
	// statement of its own, after the lock: its snapshot sees the previous
	// holder's commit and the records before it.
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1), set_config('synchronous_commit', 'off', true)`, storyLockKey)
	for _, t := range tries {
		// Without a mark every print is new: 0 counts them all.
		q := t.Query
		mark := max(q.After, 0)
		q.After = mark
		b.Queue(qStoryPrint, storyPrintArgs(t.ArticleID, t.Story, q, &mark)...)
	}
	res, err := readStoryTries(s.Pool.SendBatch(ctx, b), len(tries))
	if err != nil {
		return nil, fmt.Errorf("store: place stories of %d articles: %w", len(tries), err)
	}
	for i := range res {
		if res[i].Story == 0 && len(res[i].Fresh) == 0 {
			// Nothing recorded and nothing new to judge: no such article.
			res[i].Err = ErrNotFound
		}
	}
	return res, nil
}

// readStoryTries reads the results of TryPlaceStories' batch of n tries
// and closes it.
func readStoryTries(br pgx.BatchResults, n int) (res []StoryTry, err error) {
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	res = make([]StoryTry, n)
	for i := range res {
		rows, err := br.Query()
		if err != nil {
			return nil, err
		}
		if res[i], err = readStoryPrint(rows); err != nil {
			return nil, err
		}
	}
	return res, nil
}
