package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
	"github.com/wirewatch/wirewatch/web"
)

// BenchmarkPages measures page latency on a large archive, through HTTP on
// loopback with rendering, as an analyst's browser sees it (less the
// network). The archive is not generated here: make it once with
//
//	go run ./bench/search -n 200000          # database wirewatch_bench
//	WIREWATCH_WEB_BENCH_DB=wirewatch_bench go test ./web -run '^$' -bench Pages -benchtime 400x
//
// The first run adds what the article pages need to benchArticles sampled
// articles (per-topic classifications with evidence, two revisions, a kept
// raw page); later runs reuse them. Each sub-benchmark reports p50 and p95
// in milliseconds.
func BenchmarkPages(b *testing.B) {
	name := os.Getenv("WIREWATCH_WEB_BENCH_DB")
	if name == "" {
		b.Skip("set WIREWATCH_WEB_BENCH_DB to a database made by `go run ./bench/search -n 200000`")
	}
	ctx := context.Background()
	cfg := config.Default().Database
	cfg.URL = storetest.WithDatabase(storetest.AdminURL(), name)
	cfg.CreateDatabase = false
	logger := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, cfg, logger)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	ids := prepareBench(b, st)
	rst, err := store.OpenReader(ctx, cfg, 4, logger)
	if err != nil {
		b.Fatal(err)
	}
	defer rst.Close()
	ui, err := web.New(config.DefaultWeb(), "127.0.0.1:0", logger)
	if err != nil {
		b.Fatal(err)
	}
	ui.SetStore(rst)
	srv := httptest.NewServer(ui.Handler())
	defer srv.Close()
	var total int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM articles`).Scan(&total); err != nil {
		b.Fatal(err)
	}
	b.Logf("archive: %d articles", total)

	// The queries of bench/search, as an analyst types them into the form.
	searches := []string{
		"q=%22data+security%22", "q=wuzhen", "q=ransomware+attack", "q=cybersecurity",
		"q=" + url.QueryEscape("网络安全"), "q=" + url.QueryEscape("乌镇峰会"), "q=" + url.QueryEscape("数据 出境"),
		"q=regulation&outlet=Global+Times&since=2026-01-01", "q=" + url.QueryEscape("数据安全") + "&relevant=1",
		"q=cybersecurity&page=3", "topic=ai_governance&outlet=China+Daily",
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	pages := []struct {
		name string
		path func(i int) string
	}{
		{"search", func(i int) string { return "/search?" + searches[i%len(searches)] }},
		{"search-ranked", func(i int) string { return "/search?sort=rank&" + searches[i%len(searches)] }},
		{"article", func(int) string { return fmt.Sprintf("/articles/%d", ids[rnd.IntN(len(ids))]) }},
		{"revisions", func(int) string { return fmt.Sprintf("/articles/%d/revisions", ids[rnd.IntN(len(ids))]) }},
		{"changes", func(int) string { return "/changes" }},
		{"sources", func(int) string { return "/sources" }},
		{"deliveries", func(int) string { return "/deliveries" }},
	}
	client := srv.Client()
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			// Warm the plan cache and the buffer cache as a running UI is.
			for i := range 11 {
				get(b, client, srv.URL+p.path(i))
			}
			lat := make([]time.Duration, 0, b.N)
			byPath := map[string][]time.Duration{}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				path := p.path(i)
				start := time.Now()
				get(b, client, srv.URL+path)
				d := time.Since(start)
				lat = append(lat, d)
				if strings.HasPrefix(p.name, "search") {
					byPath[path] = append(byPath[path], d)
				}
			}
			b.StopTimer()
			for _, path := range slices.Sorted(maps.Keys(byPath)) {
				l := byPath[path]
				slices.Sort(l)
				// Printed, not logged: a benchmark's log keeps only ten lines.
				fmt.Printf("    %-80s p50 %7.1f ms  p95 %7.1f ms\n", path, ms(pctl(l, 50)), ms(pctl(l, 95)))
			}
			slices.Sort(lat)
			b.ReportMetric(ms(pctl(lat, 50)), "p50-ms")
			b.ReportMetric(ms(pctl(lat, 95)), "p95-ms")
		})
	}
}

func get(b *testing.B, c *http.Client, u string) {
	res, err := c.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d", u, res.StatusCode)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pctl(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

// benchArticles is how many articles get evidence and revisions.
const benchArticles = 5000

// prepareBench gives benchArticles articles (every 40th) what the article
// and revisions pages show, once, and returns their ids.
func prepareBench(b *testing.B, st *store.Store) []int64 {
	ctx := context.Background()
	var have int
	if err := st.Pool.QueryRow(ctx, `SELECT count(DISTINCT article_id) FROM article_revisions`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have < benchArticles {
		start := time.Now()
		err := pgx.BeginFunc(ctx, st.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `
CREATE TEMP TABLE bench_pick ON COMMIT DROP AS
SELECT id FROM articles ORDER BY id LIMIT $1 * 40`, benchArticles); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM bench_pick WHERE id % 40 <> 0`); err != nil {
				return err
			}
			// Evidence as the classifier writes it: terms with snippets cut
			// from the article's own text.
			if _, err := tx.Exec(ctx, `
INSERT INTO classifications (article_id, classifier_version, topic, score, relevant, evidence, revision)
SELECT a.id, 'bench', t, a.score, a.relevant,
       jsonb_build_array(
         jsonb_build_object('term', split_part(a.title, ' ', 2), 'field', 'title', 'snippet', a.title, 'weight', 1.2),
         jsonb_build_object('term', split_part(a.body_text, ' ', 3), 'field', 'body', 'snippet', left(a.body_text, 160), 'weight', 0.4),
         jsonb_build_object('term', 'rule:bench', 'field', 'body', 'snippet', left(a.summary, 120), 'weight', 0.3)),
       2
FROM articles a JOIN bench_pick p ON p.id = a.id, unnest(CASE WHEN a.topics = '{}' THEN ARRAY['none'] ELSE a.topics END) AS t
ON CONFLICT DO NOTHING`); err != nil {
				return err
			}
			// Revision 1 is the text with its second paragraph rewritten
			// and a paragraph missing; revision 2 is the current text.
			if _, err := tx.Exec(ctx, `
INSERT INTO article_revisions (article_id, revision, seen_at, title, body_text, content_hash, raw_gzip, raw_charset)
SELECT a.id, 1, a.first_seen_at, a.title,
       regexp_replace(a.body_text, E'\n\n[^\n]*\n\n', E'\n\nAn earlier wording of this paragraph.\n\n'), md5(a.id::text), NULL::bytea, ''
FROM articles a JOIN bench_pick p ON p.id = a.id
UNION ALL
SELECT a.id, 2, a.first_seen_at + interval '6 hours', a.title, a.body_text, md5(a.body_text), NULL, ''
FROM articles a JOIN bench_pick p ON p.id = a.id
ON CONFLICT DO NOTHING`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `
UPDATE articles a SET revision = 2, classifier_version = 'bench', removed_at = CASE WHEN a.id % 400 = 0 THEN a.first_seen_at + interval '2 days' END
FROM bench_pick p WHERE p.id = a.id`); err != nil {
				return err
			}
			// 300 sources, one in ten broken, and a week of intake as a
			// busy deployment has it (3,000 articles a day): the newest
			// 21,000 articles become the last 7 days' (relative to this
			// preparation; rerun with -fresh in bench/search after a week).
			if _, err := tx.Exec(ctx, `
INSERT INTO sources (name, outlet, kind, url, language, failures, last_error, last_polled_at, last_ok_at, next_poll_at)
SELECT 'bench-' || n, 'Outlet ' || (n % 12), 'feed', 'https://bench.example/feed/' || n, CASE WHEN n % 2 = 0 THEN 'en' ELSE 'zh' END,
       CASE WHEN n % 10 = 0 THEN 3 ELSE 0 END, CASE WHEN n % 10 = 0 THEN 'HTTP 503' END,
       now() - interval '5 minutes', now() - CASE WHEN n % 10 = 0 THEN interval '2 days' ELSE interval '5 minutes' END,
       now() + interval '25 minutes'
FROM generate_series(1, 300) AS n
ON CONFLICT (name) DO NOTHING`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `
UPDATE articles a SET source_id = s.id, first_seen_at = now() - (x.rn * interval '7 days' / 21000)
FROM (SELECT id, row_number() OVER (ORDER BY coalesce(published_at, first_seen_at) DESC) AS rn
      FROM articles ORDER BY coalesce(published_at, first_seen_at) DESC LIMIT 21000) x,
     sources s
WHERE a.id = x.id AND s.name = 'bench-' || (1 + x.id % 300)`)
			return err
		})
		if err != nil {
			b.Fatalf("prepare the archive: %v", err)
		}
		if _, err := st.Pool.Exec(ctx, `ANALYZE articles; ANALYZE classifications; ANALYZE article_revisions`); err != nil {
			b.Fatal(err)
		}
		b.Logf("prepared %d articles in %s", benchArticles, time.Since(start).Round(time.Second))
	}
	rows, err := st.Pool.Query(ctx, `SELECT DISTINCT article_id FROM article_revisions`)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		b.Fatal(err)
	}
	return ids
}
