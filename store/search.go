package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ErrEmptyQuery means a search text had nothing to search for (only
// punctuation or English stop words).
var ErrEmptyQuery = errors.New("store: search query has no searchable words")

// SearchQuery is an archive search: full text in English and Chinese
// (migration 003) combined with filters. Zero fields do not filter.
type SearchQuery struct {
	// Text is searched with wirewatch_en_query (web-search syntax, English
	// stemming) for its non-Chinese part and wirewatch_zh_query (Han
	// character bigram phrases) for its Chinese part; both parts must
	// match. Empty lists the filtered articles newest first.
	Text string
	// Topic keeps articles whose current classification includes it.
	Topic string
	// Outlet keeps one outlet's articles (articles.outlet, exact).
	Outlet string
	// Language keeps "en" or "zh" articles (also "zh-CN" and the like).
	Language string
	// Since and Until bound the publication time (first sight when the
	// outlet gave none): Since ≤ t < Until.
	Since, Until time.Time
	// RelevantOnly keeps articles the current classifier judged relevant.
	RelevantOnly bool
	// ByDate orders newest first instead of by rank.
	ByDate bool
	// RankWindow bounds what ordering by rank costs: the best-match order
	// ranks the newest RankWindow matches (or Limit, if more), not every
	// match. A search with no more matches than that is ranked whole.
	// Zero means DefaultRankWindow.
	RankWindow int
	// Limit caps the rows returned. Default 20, at most MaxSearchLimit.
	Limit int
}

// MaxSearchLimit caps SearchQuery.Limit: a search returns a page of
// results, the export command streams whole ranges.
const MaxSearchLimit = 10000

// DefaultRankWindow is SearchQuery.RankWindow's default (and web.rank_window's):
// best match ranks the newest 300 matches. Each ranked match costs its
// search vector read and scored: on the 200,000-article bench archive 300
// take tens of milliseconds, all 56,000 matches of a common word seconds
// (docs/performance.md).
const DefaultRankWindow = 300

// SearchResult is one article found by Search.
type SearchResult struct {
	ID        int64      `json:"id"`
	URL       string     `json:"url"`
	Outlet    string     `json:"outlet"`
	Language  string     `json:"language"`
	Title     string     `json:"title"`
	Published time.Time  `json:"published_at"`
	Topics    []string   `json:"topics"`
	Score     *float32   `json:"score"`
	Relevant  *bool      `json:"relevant"`
	Revision  int        `json:"revision"`
	RemovedAt *time.Time `json:"removed_at"`
	// Rank is ts_rank_cd of the English and Chinese parts, summed; 0 when
	// the search has no text.
	Rank float32 `json:"rank"`
	// Snippet is a short passage around the first query term found in
	// the summary or body, or the start of the summary.
	Snippet string `json:"snippet"`

	summary, body string
}

// searchSelect is the column list of SearchSQL; the body is cut to what a
// snippet needs.
const searchSelect = `SELECT a.id, a.canonical_url, a.outlet, a.language, a.title,
       coalesce(a.published_at, a.first_seen_at) AS published,
       a.topics, a.score, a.relevant, a.revision, a.removed_at,
       %s AS rank,
       a.summary, left(a.body_text, 4000) AS body
FROM articles a`

// queryParts reports whether text has a Chinese (Han) part and a
// non-Chinese part with letters or digits, as the SQL functions see it.
func queryParts(text string) (en, zh bool) {
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			zh = true
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			en = true
		}
	}
	return en, zh
}

// SearchTerms is the full-text part of a search as tsquery text, computed
// by the database functions wirewatch_en_query and wirewatch_zh_query; ""
// means no condition in that language.
type SearchTerms struct {
	En, Zh string
}

// parseSearchSQL turns a search text into tsqueries. They are computed once
// and passed to the search as values: in a cached generic plan the query
// functions would otherwise run once per row (ten times slower).
const parseSearchSQL = `SELECT coalesce(wirewatch_en_query($1)::text, ''), coalesce(wirewatch_zh_query($1)::text, '')`

// ParseSearch computes the tsqueries of a search text. Empty text gives
// empty terms (no full-text condition); text with nothing searchable
// (only punctuation or English stop words) gives ErrEmptyQuery.
func (s *Store) ParseSearch(ctx context.Context, text string) (SearchTerms, error) {
	var t SearchTerms
	if strings.TrimSpace(text) == "" {
		return t, nil
	}
	if en, zh := queryParts(text); en || zh {
		if err := s.Pool.QueryRow(ctx, parseSearchSQL, text).Scan(&t.En, &t.Zh); err != nil {
			return t, fmt.Errorf("store: search: parse query: %w", err)
		}
	}
	if t.En == "" && t.Zh == "" {
		return t, fmt.Errorf("%w: %q", ErrEmptyQuery, text)
	}
	return t, nil
}

// sqlArgs collects a statement's positional arguments.
type sqlArgs []any

// add appends v and returns its placeholder ($1, $2, …).
func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// SearchSQL returns a statement that gives what Search returns for q with
// the terms ParseSearch computed, and its arguments: the SQL an analyst
// can run in psql (docs/archive.md), where wirewatch_en_query('…') and
// wirewatch_zh_query('…') may stand for the tsquery values. Search itself
// may reach the same rows in steps (see Search).
func SearchSQL(q SearchQuery, t SearchTerms) (string, []any) {
	var args sqlArgs
	arg := args.add
	where, rank, hasText := searchConditions(q, t, arg)
	var b strings.Builder
	if q.ByDate || !hasText {
		fmt.Fprintf(&b, searchSelect, rank)
		writeWhere(&b, where)
		b.WriteString("\nORDER BY published DESC, a.id DESC")
	} else {
		// Best match: the newest rankWindow matches, ranked.
		fmt.Fprintf(&b, searchSelectRanked, rank)
		writeWhere(&b, where)
		fmt.Fprintf(&b, "\n  ORDER BY published DESC, a.id DESC\n  LIMIT %d) w\nJOIN articles a ON a.id = w.id", rankWindow(q))
		b.WriteString("\nORDER BY rank DESC, published DESC, id DESC")
	}
	b.WriteString("\nLIMIT " + arg(pageLimit(q)))
	return b.String(), args
}

// searchSelectRanked is SearchSQL's best-match form: the window of newest
// matches in a subquery, the page's columns read for the rows shown.
const searchSelectRanked = `SELECT a.id, a.canonical_url, a.outlet, a.language, a.title,
       w.published AS published,
       a.topics, a.score, a.relevant, a.revision, a.removed_at,
       w.rank AS rank,
       a.summary, left(a.body_text, 4000) AS body
FROM (SELECT a.id, coalesce(a.published_at, a.first_seen_at) AS published, %s AS rank
  FROM articles a`

// pageLimit is q.Limit with its default and cap.
func pageLimit(q SearchQuery) int {
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	return min(limit, MaxSearchLimit)
}

// rankWindow is how many of the newest matches best match ranks.
func rankWindow(q SearchQuery) int {
	w := q.RankWindow
	if w <= 0 {
		w = DefaultRankWindow
	}
	return max(w, pageLimit(q))
}

func writeWhere(b *strings.Builder, where []string) {
	if len(where) > 0 {
		b.WriteString("\nWHERE ")
		b.WriteString(strings.Join(where, "\n  AND "))
	}
}

// searchConditions returns the WHERE conditions of q and t and the rank
// expression, adding their arguments with arg; hasText reports a
// full-text condition.
func searchConditions(q SearchQuery, t SearchTerms, arg func(any) string) (where []string, rank string, hasText bool) {
	var ranks []string
	if t.En != "" {
		p := arg(t.En) + "::tsquery"
		where = append(where, "a.search_en @@ "+p)
		ranks = append(ranks, "ts_rank_cd(a.search_en, "+p+")")
	}
	if t.Zh != "" {
		p := arg(t.Zh) + "::tsquery"
		where = append(where, "a.search_zh @@ "+p)
		ranks = append(ranks, "ts_rank_cd(a.search_zh, "+p+")")
	}
	rank = "0::real"
	if len(ranks) > 0 {
		rank = strings.Join(ranks, " + ")
	}
	if q.Topic != "" {
		where = append(where, "a.topics @> ARRAY["+arg(q.Topic)+"::text]")
	}
	if q.Outlet != "" {
		where = append(where, "a.outlet = "+arg(q.Outlet))
	}
	if q.Language != "" {
		p := arg(q.Language)
		where = append(where, "(a.language = "+p+" OR a.language LIKE "+p+" || '-%')")
	}
	if !q.Since.IsZero() {
		where = append(where, "coalesce(a.published_at, a.first_seen_at) >= "+arg(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "coalesce(a.published_at, a.first_seen_at) < "+arg(q.Until))
	}
	if q.RelevantOnly {
		where = append(where, "a.relevant")
	}
	return where, rank, len(ranks) > 0
}

// Search runs q and returns up to q.Limit articles, best first.
func (s *Store) Search(ctx context.Context, q SearchQuery) ([]SearchResult, error) {
	return s.searchSnippets(ctx, q, 0, 160)
}

// searchSnippets is search with each result's snippet (of about width
// characters) made from its text, and the text dropped.
func (s *Store) searchSnippets(ctx context.Context, q SearchQuery, offset, width int) ([]SearchResult, error) {
	out, err := s.search(ctx, q, offset)
	if err != nil {
		return nil, err
	}
	terms := snippetTerms(q.Text)
	for i := range out {
		out[i].Snippet = Snippet(terms, out[i].summary, out[i].body, width)
		out[i].summary, out[i].body = "", ""
	}
	return out, nil
}

// snippetTerms lists what a snippet looks for: runs of Han characters, and
// words of the rest (without web-search operators), lower-cased. English
// words are cut to a stem-like prefix, so "regulations" finds "regulation".
func snippetTerms(text string) []string {
	var terms []string
	var han, word []rune
	flush := func() {
		if len(han) > 0 {
			terms = append(terms, string(han))
			han = han[:0]
		}
		if len(word) > 0 {
			w := strings.ToLower(string(word))
			if w != "or" && w != "and" {
				if n := len(word); n > 6 {
					w = string([]rune(w)[:n-2])
				}
				terms = append(terms, w)
			}
			word = word[:0]
		}
	}
	neg := false // a "-" before a word excludes it (web-search syntax)
	prev := ' '
	for _, r := range text {
		atStart := unicode.IsSpace(prev) || prev == '"'
		prev = r
		switch {
		case unicode.Is(unicode.Han, r):
			if len(word) > 0 {
				flush()
			}
			if !neg {
				han = append(han, r)
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if len(han) > 0 {
				flush()
			}
			if !neg {
				word = append(word, r)
			}
		default:
			flush()
			neg = r == '-' && atStart
		}
	}
	flush()
	return terms
}

// Snippet returns about width runes of summary or body around the first
// of terms found (case-insensitive), with "…" where text was cut; the
// start of the summary (or body) when no term is found.
func Snippet(terms []string, summary, body string, width int) string {
	for _, text := range []string{summary, body} {
		lower := strings.ToLower(text)
		best := -1
		for _, t := range terms {
			if i := strings.Index(lower, t); i >= 0 && (best < 0 || i < best) {
				best = i
			}
		}
		if best >= 0 {
			return cutAround(text, best, width)
		}
	}
	if strings.TrimSpace(summary) != "" {
		return cutAround(summary, 0, width)
	}
	return cutAround(body, 0, width)
}

// cutAround cuts width runes of text starting a little before byte offset
// at, collapsing whitespace. ToLower can change byte lengths in rare
// scripts; the offset is then approximate, never out of range.
func cutAround(text string, at, width int) string {
	r := []rune(text)
	pos := len([]rune(text[:min(at, len(text))]))
	start := max(0, pos-width/4)
	end := min(len(r), start+width)
	s := strings.Join(strings.Fields(string(r[start:end])), " ")
	if start > 0 {
		s = "…" + s
	}
	if end < len(r) {
		s += "…"
	}
	return s
}
