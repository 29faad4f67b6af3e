package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// searchFixture is one article of the search tests.
type searchFixture struct {
	url, outlet, lang, title, summary, body string
	published                               string
	topics                                  []string
	relevant                                bool
}

// (Alike by design: one row per fixture article, English and Chinese rows in the same shape.)
var searchFixtures = []searchFixture{
	{"https://en.example/regs", "Global Times", "en", "China issues new data security regulations",
		"The Cyberspace Administration of China published rules.", "The regulations cover cross-border data transfers and network security reviews.",
		"2026-03-01T08:00:00Z", []string{"data_security"}, true},
	{"https://en.example/wic", "Global Times", "en", "World Internet Conference opens in Wuzhen",
		"Leaders gather for the WIC summit.", "Speakers discussed internet governance, AI and data security cooperation.",
		"2026-11-20T02:00:00Z", []string{"internet_governance"}, true},
	{"https://en.example/sport", "China Daily", "en", "Table tennis team wins",
		"A sports story.", "Nothing about security here at all, only sport.",
		"2026-05-01T00:00:00Z", nil, false},
	{"https://zh.example/regs", "新华社", "zh", "国家网信办发布《网络数据安全管理条例》",
		"条例自2026年1月1日起施行。", "条例规定了网络数据处理者的义务，加强数据安全保护，华为等企业表示支持5G建设。",
		"2026-03-02T01:00:00Z", []string{"data_security"}, true},
	{"https://zh.example/wic", "人民日报", "zh", "世界互联网大会乌镇峰会开幕",
		"习近平致贺信。", "大会主题为网络空间命运共同体，讨论人工智能与安全数据流动。",
		"2026-11-20T01:00:00Z", []string{"internet_governance"}, true},
	{"https://zh.example/body", "人民日报", "zh", "经济新闻",
		"一般报道。", "文章末尾提到数据安全。",
		"2026-04-01T01:00:00Z", []string{"economy"}, false},
}

// seedSearchArticles inserts the fixtures and returns their ids by URL.
func seedSearchArticles(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	ids := map[string]int64{}
	for _, f := range searchFixtures {
		pub, err := time.Parse(time.RFC3339, f.published)
		if err != nil {
			t.Fatal(err)
		}
		topics := f.topics
		if topics == nil {
			topics = []string{}
		}
		var id int64
		err = s.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary, body_text, published_at, topics, relevant, score, fetch_state)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9 THEN 0.8 ELSE 0.1 END, 'fetched') RETURNING id`,
			f.url, f.outlet, f.lang, f.title, f.summary, f.body, pub, topics, f.relevant).Scan(&id)
		if err != nil {
			t.Fatalf("seed %s: %v", f.url, err)
		}
		ids[f.url] = id
	}
	return ids
}

func resultURLs(rs []store.SearchResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.URL
	}
	return out
}

func TestSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	seedSearchArticles(t, s)
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		q        store.SearchQuery
		want     []string // in order
		anyOrder bool
	}{
		{name: "english stemming: regulation finds regulations", q: store.SearchQuery{Text: "regulation"},
			want: []string{"https://en.example/regs"}},
		{name: "english phrase, title ranks above body", q: store.SearchQuery{Text: `"data security"`},
			want: []string{"https://en.example/regs", "https://en.example/wic"}},
		{name: "english exclusion", q: store.SearchQuery{Text: "security -regulations"},
			want: []string{"https://en.example/wic", "https://en.example/sport"}, anyOrder: true},
		{name: "english or", q: store.SearchQuery{Text: "wuzhen or tennis"},
			want: []string{"https://en.example/wic", "https://en.example/sport"}, anyOrder: true},
		{name: "chinese term, title before body", q: store.SearchQuery{Text: "数据安全"},
			want: []string{"https://zh.example/regs", "https://zh.example/body"}},
		{name: "chinese characters in another order do not match", q: store.SearchQuery{Text: "安全数据"},
			want: []string{"https://zh.example/wic"}},
		{name: "two chinese terms both required", q: store.SearchQuery{Text: "互联网大会 乌镇"},
			want: []string{"https://zh.example/wic"}},
		{name: "mixed chinese and latin", q: store.SearchQuery{Text: "华为 5G"},
			want: []string{"https://zh.example/regs"}},
		{name: "english words do not match chinese articles", q: store.SearchQuery{Text: "internet", Language: "zh"},
			want: []string{}},
		{name: "topic and outlet", q: store.SearchQuery{Text: "security", Topic: "data_security", Outlet: "Global Times"},
			want: []string{"https://en.example/regs"}},
		{name: "language", q: store.SearchQuery{Text: "", Language: "zh", ByDate: true},
			want: []string{"https://zh.example/wic", "https://zh.example/body", "https://zh.example/regs"}},
		{name: "since", q: store.SearchQuery{Text: "", Since: since},
			want: []string{"https://en.example/wic", "https://zh.example/wic"}},
		{name: "until", q: store.SearchQuery{Text: "数据安全", Until: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
			want: []string{"https://zh.example/regs"}},
		{name: "relevant only", q: store.SearchQuery{Text: "security", RelevantOnly: true},
			want: []string{"https://en.example/regs", "https://en.example/wic"}, anyOrder: true},
		{name: "limit", q: store.SearchQuery{Text: "", Limit: 2},
			want: []string{"https://en.example/wic", "https://zh.example/wic"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Search(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got := resultURLs(res)
			want := slices.Clone(tc.want)
			if tc.anyOrder {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

func TestSearchResultFields(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	ids := seedSearchArticles(t, s)
	res, err := s.Search(ctx, store.SearchQuery{Text: "网络数据"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("got %d results", len(res))
	}
	r := res[0]
	if r.ID != ids["https://zh.example/regs"] || r.Outlet != "新华社" || r.Language != "zh" || r.Rank <= 0 ||
		r.Score == nil || *r.Score != 0.8 || r.Relevant == nil || !*r.Relevant || !slices.Equal(r.Topics, []string{"data_security"}) ||
		!r.Published.Equal(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("result %+v", r)
	}
	if !strings.Contains(r.Snippet, "网络数据") {
		t.Fatalf("snippet %q does not show the match", r.Snippet)
	}
}

func TestSearchEmptyQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	for _, text := range []string{"the", "!!!", "“”，。"} {
		if _, err := s.Search(ctx, store.SearchQuery{Text: text}); !errors.Is(err, store.ErrEmptyQuery) {
			t.Errorf("Search(%q) = %v, want ErrEmptyQuery", text, err)
		}
	}
}

// TestSearchUsesIndexes checks that the planner folds the IMMUTABLE query
// functions and can use the GIN indexes (seq scans disabled, so a plan
// without them would show a Seq Scan).
func TestSearchUsesIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	seedSearchArticles(t, s)
	for _, tc := range []struct{ text, index string }{
		{"data security", "articles_search_en_idx"},
		{"数据安全", "articles_search_zh_idx"},
	} {
		terms, err := s.ParseSearch(ctx, tc.text)
		if err != nil {
			t.Fatal(err)
		}
		sql, args := store.SearchSQL(store.SearchQuery{Text: tc.text}, terms)
		var plan []string
		err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, "EXPLAIN "+sql, args...)
			if err != nil {
				return err
			}
			plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if p := strings.Join(plan, "\n"); !strings.Contains(p, tc.index) {
			t.Errorf("plan for %q does not use %s:\n%s", tc.text, tc.index, p)
		}
	}
}

// TestSearchAsReader runs the search SQL with wirewatch_reader's
// privileges: what an analyst connected as the reader can run.
func TestSearchAsReader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	seedSearchArticles(t, s)
	terms, err := s.ParseSearch(ctx, "数据安全 5G")
	if err != nil {
		t.Fatal(err)
	}
	sql, args := store.SearchSQL(store.SearchQuery{Text: "数据安全 5G", Outlet: "新华社"}, terms)
	var n int
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL ROLE wirewatch_reader`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			n++
		}
		return rows.Err()
	})
	if err != nil || n != 1 {
		t.Fatalf("as wirewatch_reader: %d rows, %v", n, err)
	}
}
