package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// How Search reaches the rows SearchSQL describes, cheaply on a large
// archive (docs/performance.md, "Search"):
//
//   - No text, or newest first without a phrase: SearchSQL as it is. The
//     planner walks the publication-time index and stops after a page, or
//     reads a selective term's matches from the GIN index.
//   - Newest first with a phrase ("data security", or any Chinese term of
//     three or more characters): the GIN index cannot check word positions,
//     and the planner takes a phrase of two common words for common (it
//     estimates the words, not their adjacency), so it walks by time and
//     re-checks the phrase in every row on the way. Search instead asks for
//     the newest matches slice by slice of publication time, newest slice
//     first: in a slice the index gives the rows with all the words
//     (bitmap AND with the time range) and only those are re-checked. The
//     first slice holds about firstSliceArticles articles and is walked by
//     time (the bitmap of common Chinese bigrams alone costs ~20 ms); each
//     next one is sized from the matches found so far, and walked too while
//     it stays within twice the first.
//   - Best match: the newest RankWindow matches (found as above, or by one
//     query without a phrase) are ranked, by id, publication time and rank
//     only; the page's rows are then read by id.

// firstSliceArticles is about how many articles the first time slice of a
// phrase search spans (from the archive's size and time range).
const firstSliceArticles = 2000

// matchPlan is how a match query may be planned.
type matchPlan int

const (
	// planAny leaves the choice to the planner.
	planAny matchPlan = iota
	// planWalk walks the publication-time index, checking each row and
	// stopping after the matches asked for: cheap in a short time slice,
	// and when the matches are dense whatever the slice. The bitmap of a
	// phrase of common Chinese bigrams alone takes about 20 ms to read
	// from the GIN index on the bench archive.
	planWalk
	// planBitmap reads the rows with all the words (GIN index) and in the
	// time slice (B-tree) as one bitmap, and checks only those.
	planBitmap
)

// searchMatch is a matching article before its columns are read.
type searchMatch struct {
	id        int64
	published time.Time
	rank      float32
}

// search returns the rows of q after the first offset, with summary and
// body left for the snippet.
func (s *Store) search(ctx context.Context, q SearchQuery, offset int) ([]SearchResult, error) {
	t, err := s.ParseSearch(ctx, q.Text)
	if err != nil {
		return nil, err
	}
	hasText := t.En != "" || t.Zh != ""
	phrase := strings.Contains(t.En, "<") || strings.Contains(t.Zh, "<")
	limit := pageLimit(q)
	if !hasText || (q.ByDate && !phrase) {
		sql, args := SearchSQL(q, t)
		if offset > 0 {
			args = append(args, offset)
			sql += " OFFSET $" + strconv.Itoa(len(args))
		}
		return s.searchRows(ctx, sql, args)
	}
	var page []searchMatch
	if q.ByDate {
		m, err := s.newestMatches(ctx, q, t, offset+limit)
		if err != nil {
			return nil, err
		}
		page = m[min(offset, len(m)):]
	} else {
		var m []searchMatch
		if phrase {
			m, err = s.newestMatches(ctx, q, t, rankWindow(q))
		} else {
			m, err = s.matches(ctx, q, t, rankWindow(q), planAny)
		}
		if err != nil {
			return nil, err
		}
		slices.SortStableFunc(m, func(a, b searchMatch) int {
			switch {
			case a.rank != b.rank:
				if a.rank > b.rank {
					return -1
				}
				return 1
			case !a.published.Equal(b.published):
				return b.published.Compare(a.published)
			}
			return cmpInt64(b.id, a.id)
		})
		page = m[min(offset, len(m)):min(offset+limit, len(m))]
	}
	return s.readMatches(ctx, page)
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// matches returns the newest limit matches of q (newest first) by id,
// publication time and rank, in one query. It is planned for its values
// each time: a cached generic plan cannot tell a rare term from a common
// one. With plan other than planAny the planner is held to one way.
func (s *Store) matches(ctx context.Context, q SearchQuery, t SearchTerms, limit int, plan matchPlan) ([]searchMatch, error) {
	var args sqlArgs
	arg := args.add
	where, rank, _ := searchConditions(q, t, arg)
	var b strings.Builder
	b.WriteString("SELECT a.id, coalesce(a.published_at, a.first_seen_at) AS published, " + rank + " AS rank\nFROM articles a")
	writeWhere(&b, where)
	b.WriteString("\nORDER BY published DESC, a.id DESC\nLIMIT " + arg(limit))
	args = append([]any{pgx.QueryExecModeExec}, args...)
	var out []searchMatch
	run := func(db interface {
		Query(context.Context, string, ...any) (pgx.Rows, error)
	}) error {
		rows, err := db.Query(ctx, b.String(), args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (searchMatch, error) {
			var m searchMatch
			err := r.Scan(&m.id, &m.published, &m.rank)
			return m, err
		})
		return err
	}
	var err error
	if plan == planAny {
		err = run(s.Pool)
	} else {
		set := map[matchPlan]string{planWalk: `SET LOCAL enable_bitmapscan = off`, planBitmap: `SET LOCAL enable_indexscan = off`}[plan]
		err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
			return run(tx)
		})
	}
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	return out, nil
}

// newestMatches returns the newest need matches of q, newest first, asking
// slice by slice of publication time (see the top of this file).
func (s *Store) newestMatches(ctx context.Context, q SearchQuery, t SearchTerms, need int) ([]searchMatch, error) {
	var args sqlArgs
	arg := args.add
	var where []string
	if !q.Since.IsZero() {
		where = append(where, "coalesce(published_at, first_seen_at) >= "+arg(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "coalesce(published_at, first_seen_at) < "+arg(q.Until))
	}
	var b strings.Builder
	b.WriteString(`SELECT max(coalesce(published_at, first_seen_at)), min(coalesce(published_at, first_seen_at)),
       (SELECT reltuples FROM pg_class WHERE oid = 'articles'::regclass)
FROM articles`)
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	var newest, oldest *time.Time
	var total float64
	if err := s.Pool.QueryRow(ctx, b.String(), args...).Scan(&newest, &oldest, &total); err != nil {
		return nil, fmt.Errorf("store: search: time range: %w", err)
	}
	if newest == nil {
		return nil, nil
	}
	if total <= firstSliceArticles {
		return s.matches(ctx, q, t, need, planAny)
	}
	hi := newest.Add(time.Microsecond)
	span := time.Duration(float64(hi.Sub(*oldest)) * firstSliceArticles / total)
	span = max(span, time.Second)
	span0 := span
	var out []searchMatch
	for {
		from := hi.Add(-span).Truncate(time.Microsecond)
		last := !from.After(*oldest)
		sq := q
		sq.Until = hi
		if !last {
			sq.Since = from
		}
		// Walk a slice of a few thousand articles; read a longer one as a
		// bitmap (its GIN part costs the same whatever the slice).
		plan := planBitmap
		if span <= 2*span0 {
			plan = planWalk
		}
		m, err := s.matches(ctx, sq, t, need-len(out), plan)
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
		if last || len(out) >= need {
			return out, nil
		}
		// Size the next slice for half again the matches still wanted at
		// the rate of this one (at least as long; 8 times when it had
		// none). A rare phrase thus takes the rest of the archive in one
		// bitmap rather than in several, each reading the GIN index again.
		f := 8.0
		if len(m) > 0 {
			f = max(1, 1.5*float64(need-len(out))/float64(len(m)))
		}
		hi = from
		span = time.Duration(min(float64(span)*f, float64(hi.Sub(*oldest))+float64(time.Second)))
	}
}

// readMatches reads the result rows of ms, in their order, with their rank.
func (s *Store) readMatches(ctx context.Context, ms []searchMatch) ([]SearchResult, error) {
	if len(ms) == 0 {
		return []SearchResult{}, nil
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.id
	}
	sql := fmt.Sprintf(searchSelect, "0::real") + `
JOIN unnest($1::bigint[]) WITH ORDINALITY AS x(id, n) ON x.id = a.id
ORDER BY x.n`
	out, err := s.searchRows(ctx, sql, []any{ids})
	if err != nil {
		return nil, err
	}
	rank := make(map[int64]float32, len(ms))
	for _, m := range ms {
		rank[m.id] = m.rank
	}
	for i := range out {
		out[i].Rank = rank[out[i].ID]
	}
	return out, nil
}

// searchRows runs a statement with searchSelect's columns.
func (s *Store) searchRows(ctx context.Context, sql string, args []any) ([]SearchResult, error) {
	rows, err := s.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SearchResult, error) {
		var x SearchResult
		err := r.Scan(&x.ID, &x.URL, &x.Outlet, &x.Language, &x.Title, &x.Published, &x.Topics,
			&x.Score, &x.Relevant, &x.Revision, &x.RemovedAt, &x.Rank, &x.summary, &x.body)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	return out, nil
}
