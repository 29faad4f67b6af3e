package store

// Read queries of the web UI's article, revision and change pages.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/model"
)

// ArticleView is one article with its current classification's evidence,
// as the article page shows it.
type ArticleView struct {
	ID                int64
	URL               string
	Outlet            string
	Source            string
	Title             string
	Byline            string
	PublishedAt       *time.Time
	FirstSeenAt       time.Time
	LastCheckedAt     *time.Time
	Language          string
	Summary           string
	BodyText          string
	ExtractMethod     string
	Revision          int
	RemovedAt         *time.Time
	FetchState        string
	ClassifierVersion string
	Relevant          *bool
	Score             *float32
	Topics            []string
	// LastChangedAt is when the latest revision was first seen (nil before
	// the first fetch).
	LastChangedAt *time.Time
	// HasRaw says whether the latest revision kept the raw page.
	HasRaw bool
	// Scores are the current classifier's per-topic scores and evidence,
	// best first.
	Scores []model.TopicScore
	// AlsoCarried are the other articles of the same story (copies of one
	// report by other outlets, or the same outlet again), oldest first.
	AlsoCarried []StoryMember
}

// StoryMember is another article of an article's story.
type StoryMember struct {
	ID          int64
	Outlet      string
	Title       string
	URL         string
	PublishedAt *time.Time
	FirstSeenAt time.Time
}

// storyMembersSQL lists the other articles of an article's story; the
// number is bounded, as a story of a wire item can be carried widely.
const storyMembersSQL = `
SELECT o.id, o.outlet, o.title, o.canonical_url, o.published_at, o.first_seen_at
FROM articles a JOIN articles o ON o.story_id = a.story_id AND o.id <> a.id
WHERE a.id = $1 AND a.story_id IS NOT NULL
ORDER BY o.first_seen_at, o.id
LIMIT 50`

const articleViewSQL = `
SELECT a.id, a.canonical_url, a.outlet, coalesce(s.name, ''), a.title, a.byline, a.published_at, a.first_seen_at,
       a.last_checked_at, a.language, a.summary, a.body_text, a.extract_method, a.revision, a.removed_at,
       a.fetch_state, coalesce(a.classifier_version, ''), a.relevant, a.score, a.topics,
       r.seen_at, coalesce(r.raw_gzip IS NOT NULL, false)
FROM articles a
LEFT JOIN sources s ON s.id = a.source_id
LEFT JOIN article_revisions r ON r.article_id = a.id AND r.revision = a.revision
WHERE a.id = $1`

const articleScoresSQL = `
SELECT topic, score, evidence FROM classifications
WHERE article_id = $1 AND classifier_version = $2
ORDER BY score DESC, topic`

// Article returns one article with its evidence, or ErrNotFound.
func (s *Store) Article(ctx context.Context, id int64) (ArticleView, error) {
	var a ArticleView
	err := s.Pool.QueryRow(ctx, articleViewSQL, id).Scan(&a.ID, &a.URL, &a.Outlet, &a.Source, &a.Title, &a.Byline,
		&a.PublishedAt, &a.FirstSeenAt, &a.LastCheckedAt, &a.Language, &a.Summary, &a.BodyText, &a.ExtractMethod,
		&a.Revision, &a.RemovedAt, &a.FetchState, &a.ClassifierVersion, &a.Relevant, &a.Score, &a.Topics,
		&a.LastChangedAt, &a.HasRaw)
	if err != nil {
		return a, fmt.Errorf("store: article %d: %w", id, interpretError(err))
	}
	srows, err := s.Pool.Query(ctx, storyMembersSQL, id)
	if err != nil {
		return a, fmt.Errorf("store: article %d: story: %w", id, err)
	}
	a.AlsoCarried, err = pgx.CollectRows(srows, func(r pgx.CollectableRow) (StoryMember, error) {
		var m StoryMember
		err := r.Scan(&m.ID, &m.Outlet, &m.Title, &m.URL, &m.PublishedAt, &m.FirstSeenAt)
		return m, err
	})
	if err != nil {
		return a, fmt.Errorf("store: article %d: story: %w", id, err)
	}
	if a.ClassifierVersion == "" {
		return a, nil
	}
	rows, err := s.Pool.Query(ctx, articleScoresSQL, id, a.ClassifierVersion)
	if err != nil {
		return a, fmt.Errorf("store: article %d: evidence: %w", id, err)
	}
	a.Scores, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.TopicScore, error) {
		var t model.TopicScore
		var score float32
		var ev []byte
		if err := r.Scan(&t.ID, &score, &ev); err != nil {
			return t, err
		}
		t.Score = float64(score)
		if err := json.Unmarshal(ev, &t.Evidence); err != nil {
			return t, fmt.Errorf("topic %s: decode evidence: %w", t.ID, err)
		}
		return t, nil
	})
	if err != nil {
		return a, fmt.Errorf("store: article %d: evidence: %w", id, err)
	}
	return a, nil
}

// RevisionView is one stored version of an article.
type RevisionView struct {
	Revision      int
	SeenAt        time.Time
	Title         string
	BodyText      string
	ExtractMethod string
	RawBytes      int // compressed size of the kept raw page; 0 when none
}

const revisionsSQL = `
SELECT revision, seen_at, title, body_text, extract_method, coalesce(octet_length(raw_gzip), 0)
FROM article_revisions WHERE article_id = $1 ORDER BY revision`

// Revisions lists an article's versions, oldest first.
func (s *Store) Revisions(ctx context.Context, id int64) ([]RevisionView, error) {
	rows, err := s.Pool.Query(ctx, revisionsSQL, id)
	if err != nil {
		return nil, fmt.Errorf("store: revisions of article %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RevisionView, error) {
		var x RevisionView
		err := r.Scan(&x.Revision, &x.SeenAt, &x.Title, &x.BodyText, &x.ExtractMethod, &x.RawBytes)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: revisions of article %d: %w", id, err)
	}
	return out, nil
}

// RawPage is the page bytes kept with a revision, gzip-compressed as
// stored, and the charset they were decoded with.
type RawPage struct {
	Gzip    []byte
	Charset string
}

// RawPage returns the raw page of an article's revision (0: the latest),
// or ErrNotFound when that revision kept none.
func (s *Store) RawPage(ctx context.Context, id int64, revision int) (RawPage, error) {
	var p RawPage
	err := s.Pool.QueryRow(ctx, `
SELECT r.raw_gzip, r.raw_charset FROM article_revisions r
WHERE r.article_id = $1 AND r.raw_gzip IS NOT NULL
  AND r.revision = CASE WHEN $2 > 0 THEN $2 ELSE (SELECT revision FROM articles WHERE id = $1) END`,
		id, revision).Scan(&p.Gzip, &p.Charset)
	if err != nil {
		return p, fmt.Errorf("store: raw page of article %d revision %d: %w", id, revision, interpretError(err))
	}
	return p, nil
}

// ChangeQuery selects articles changed after publication.
type ChangeQuery struct {
	// RelevantOnly keeps articles the current classifier judged relevant.
	RelevantOnly bool
	// Limit and Offset page the rows.
	Limit, Offset int
}

// ChangedArticle is one change an outlet made to an article after
// wirewatch first stored it: an edit (a new revision) or the removal.
type ChangedArticle struct {
	ID       int64
	URL      string
	Outlet   string
	Title    string
	Language string
	Relevant *bool
	Topics   []string
	// Kind is "edited" or "removed".
	Kind string
	// Revision is the revision an edit produced (the current one for a
	// removal).
	Revision int
	// ChangedAt is when wirewatch saw the edit or noticed the removal.
	ChangedAt time.Time
}

// changesSQL merges two newest-first index walks, edits
// (article_revisions_edits_idx) and removals (articles_removed_idx, both
// migration 009), each cut at the rows the page can need, so a page costs
// the same however many changes the archive holds. Relevant-only is
// checked inside each walk, so the cut never drops a row the page needs.
const changesSQL = `
SELECT a.id, a.canonical_url, a.outlet, a.title, a.language, a.relevant, a.topics, c.kind, c.revision, c.at
FROM (
    (SELECT r.article_id, 'edited' AS kind, r.revision, r.seen_at AS at
     FROM article_revisions r JOIN articles x ON x.id = r.article_id
     WHERE r.revision > 1 AND (NOT $1 OR x.relevant)
     ORDER BY r.seen_at DESC LIMIT $2::int + $3::int)
    UNION ALL
    (SELECT x.id, 'removed', x.revision, x.removed_at
     FROM articles x
     WHERE x.removed_at IS NOT NULL AND (NOT $1 OR x.relevant)
     ORDER BY x.removed_at DESC LIMIT $2::int + $3::int)
) c
JOIN articles a ON a.id = c.article_id
ORDER BY c.at DESC, a.id DESC, c.revision DESC
LIMIT $2 OFFSET $3`

// Changes lists edits and removals of articles after publication, the
// latest first; an article edited twice and then removed has three rows.
func (s *Store) Changes(ctx context.Context, q ChangeQuery) ([]ChangedArticle, error) {
	rows, err := s.Pool.Query(ctx, changesSQL, q.RelevantOnly, max(q.Limit, 1), max(q.Offset, 0))
	if err != nil {
		return nil, fmt.Errorf("store: changed articles: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChangedArticle, error) {
		var x ChangedArticle
		err := r.Scan(&x.ID, &x.URL, &x.Outlet, &x.Title, &x.Language, &x.Relevant, &x.Topics, &x.Kind, &x.Revision, &x.ChangedAt)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: changed articles: %w", err)
	}
	return out, nil
}
