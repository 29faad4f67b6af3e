package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// seedSliceArchive inserts n generated articles, enough for Search to take
// phrase searches slice by slice of publication time: phrases that are
// rare, common and split apart, pairs of articles published at the same
// instant, a gap of months, and articles without a publication time.
func seedSliceArchive(t *testing.T, s *store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Pool.Exec(ctx, `
INSERT INTO articles (canonical_url, outlet, language, title, summary, body_text, published_at, first_seen_at, relevant, fetch_state)
SELECT 'https://slice.example/' || i, CASE WHEN i % 3 = 0 THEN 'Global Times' ELSE 'Xinhua' END,
       CASE WHEN i % 5 = 0 THEN 'zh' ELSE 'en' END,
       CASE WHEN i % 97 = 0 THEN 'New data security rules' ELSE 'Article ' || i END,
       CASE WHEN i % 4 = 0 THEN 'Security of data held abroad.' ELSE 'A summary.' END,
       repeat(CASE i % 11 WHEN 0 THEN 'Officials discussed data security at length. '
                          WHEN 1 THEN 'The data was shared; security was not discussed. '
                          WHEN 2 THEN '会议讨论了数据安全和网络安全。'
                          WHEN 3 THEN 'Network security and data centres. '
                          ELSE 'Nothing to see here. ' END, 1 + i % 4),
       CASE WHEN i % 13 = 0 THEN NULL
            ELSE timestamptz '2020-01-01 00:00:00+00' + (i / 2) * interval '9 hours'
                 + CASE WHEN i > $1 * 3 / 4 THEN interval '400 days' ELSE interval '0' END END,
       timestamptz '2020-01-01 00:00:00+00' + i * interval '5 hours',
       i % 2 = 0, 'fetched'
FROM generate_series(1, $1) AS i`, n)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := s.Pool.Exec(ctx, `ANALYZE articles`); err != nil {
		t.Fatal(err)
	}
}

// TestSearchStepsMatchSearchSQL checks that what Search and SearchPage
// return (reached in time slices for phrases, and through the rank window
// for best match) is exactly what the single statement of SearchSQL
// returns, row for row and rank for rank, over an archive large enough to
// be sliced.
func TestSearchStepsMatchSearchSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	s := db.Store
	seedSliceArchive(t, s, 10000)
	// The web UI searches as wirewatch_reader: the slices' transactions
	// (SET LOCAL of planner settings) must work with its privileges.
	reader, err := store.OpenReader(ctx, db.Config(), 2, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for _, q := range []store.SearchQuery{{Text: `"data security"`, ByDate: true}, {Text: `"data security"`}} {
		want, err := s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := reader.Search(ctx, q)
		if err != nil || !slices.Equal(resultURLs(got), resultURLs(want)) || len(got) == 0 {
			t.Fatalf("as reader: %v, %v; as owner %v", resultURLs(got), err, resultURLs(want))
		}
	}
	until := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	since := time.Date(2020, 9, 1, 0, 0, 0, 0, time.UTC)
	queries := []store.SearchQuery{
		{Text: `"data security"`},
		{Text: `"new data security rules"`},
		{Text: `"data security" -network`},
		{Text: `"security of data"`},
		{Text: "数据安全"},
		{Text: "数据安全", RelevantOnly: true},
		{Text: `"data security"`, Outlet: "Global Times", Until: until},
		{Text: `"data security"`, Since: since, Until: until},
		{Text: "security"},
		{Text: "discussed", Language: "en"},
	}
	shapes := []struct{ limit, offset, window int }{
		{5, 0, 0}, {26, 0, 0}, {26, 52, 0}, {7, 3, 10}, {40, 0, 30}, {3000, 0, 0},
	}
	for _, base := range queries {
		for _, byDate := range []bool{true, false} {
			for _, sh := range shapes {
				q := base
				q.ByDate, q.Limit, q.RankWindow = byDate, sh.limit, sh.window
				name := fmt.Sprintf("%q date=%v limit=%d offset=%d window=%d since=%v until=%v relevant=%v outlet=%q",
					q.Text, byDate, sh.limit, sh.offset, sh.window, !q.Since.IsZero(), !q.Until.IsZero(), q.RelevantOnly, q.Outlet)
				got, err := s.SearchPage(ctx, q, sh.offset)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				terms, err := s.ParseSearch(ctx, q.Text)
				if err != nil {
					t.Fatal(err)
				}
				sql, args := store.SearchSQL(q, terms)
				args = append(args, sh.offset)
				sql += " OFFSET $" + strconv.Itoa(len(args))
				rows, err := s.Pool.Query(ctx, sql, args...)
				if err != nil {
					t.Fatalf("%s: %v\n%s", name, err, sql)
				}
				type row struct {
					id   int64
					rank float32
				}
				want, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
					var x row
					vals, err := r.Values()
					if err != nil {
						return x, err
					}
					x.id, x.rank = vals[0].(int64), vals[11].(float32)
					return x, nil
				})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(got) != len(want) {
					t.Errorf("%s: %d rows, SearchSQL gives %d", name, len(got), len(want))
					continue
				}
				for i := range want {
					if got[i].ID != want[i].id || got[i].Rank != want[i].rank {
						t.Errorf("%s: row %d is %d (rank %v), SearchSQL gives %d (rank %v)", name, i, got[i].ID, got[i].Rank, want[i].id, want[i].rank)
						break
					}
				}
			}
		}
	}
}

// TestSearchRankWindow checks what best match trades for its speed: it
// ranks the newest RankWindow matches, so a better match that is older
// than those is left out, and ranked first once the window reaches it.
func TestSearchRankWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	insert := func(url, title, body string, published time.Time) {
		t.Helper()
		_, err := s.Pool.Exec(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary, body_text, published_at, fetch_state)
VALUES ($1, 'Global Times', 'en', $2, '', $3, $4, 'fetched')`, url, title, body, published)
		if err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	insert("https://rank.example/best", "Ransomware ransomware ransomware", "Ransomware everywhere: ransomware.", day)
	for i := 1; i <= 5; i++ {
		insert(fmt.Sprintf("https://rank.example/%d", i), "Daily news", "A line on ransomware.", day.AddDate(0, 0, i))
	}
	for _, tc := range []struct {
		window    int
		wantFirst string
	}{
		{window: 3, wantFirst: "https://rank.example/5"},
		{window: 6, wantFirst: "https://rank.example/best"},
	} {
		res, err := s.Search(ctx, store.SearchQuery{Text: "ransomware", RankWindow: tc.window, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].URL != tc.wantFirst {
			t.Errorf("window %d: got %v, want %s first", tc.window, resultURLs(res), tc.wantFirst)
		}
		// The window is at least the page: a page of 10 sees all 6.
		res, err = s.Search(ctx, store.SearchQuery{Text: "ransomware", RankWindow: tc.window, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 6 || res[0].URL != "https://rank.example/best" {
			t.Errorf("window %d, limit 10: got %v", tc.window, resultURLs(res))
		}
		res, err = s.Search(ctx, store.SearchQuery{Text: "ransomware", RankWindow: tc.window, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 3 || (tc.window == 6) != (res[0].URL == "https://rank.example/best") {
			t.Errorf("window %d, limit 3: got %v", tc.window, resultURLs(res))
		}
	}
}
