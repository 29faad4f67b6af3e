package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/internal/corpus"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// The vectors wirewatch computes from Go-prepared text are the ones the
// SQL functions (and so the trigger and the query side) compute.
func TestGoPreparedSearchVectorsMatchSQL(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	for _, tc := range []struct{ title, body string }{
		{"", ""},
		{"World Internet Conference opens in Wuzhen", "Delegates discussed cyberspace governance."},
		{"世界互联网大会乌镇峰会开幕", "与会代表讨论网络空间治理和数据安全。中"},
		{"Xi: 网络安全 matters 𠀀𠀁 and 朕", "mixed 数据出境 text, a lone 字 and 中文, ending in 汉字"},
		{strings.Repeat("网", 5), strings.Repeat("数据安全 data security ", 3000)},
	} {
		var same bool
		err := db.Store.Pool.QueryRow(ctx, `SELECT
            wirewatch_search_en($1, 'summary 摘要', $2) = (setweight(to_tsvector('english', $3), 'A') || setweight(to_tsvector('english', wirewatch_strip_han('summary 摘要')), 'B') || setweight(to_tsvector('english', $4), 'C'))
        AND wirewatch_search_zh($1, 'summary 摘要', $2) = (setweight(to_tsvector('simple', $5), 'A') || setweight(to_tsvector('simple', wirewatch_cjk_bigrams('summary 摘要')), 'B') || setweight(to_tsvector('simple', $6), 'C'))`,
			tc.title, tc.body, store.StripHan(tc.title), store.StripHan(store.LeftRunes(tc.body, 100000)),
			store.CJKBigrams(tc.title), store.CJKBigrams(store.LeftRunes(tc.body, 30000))).Scan(&same)
		if err != nil {
			t.Fatal(err)
		}
		if !same {
			t.Errorf("vectors differ for title %q", tc.title)
		}
	}
}

// Rows written by plain SQL get their vectors from the trigger, and an
// update of the text alone refreshes them.
func TestSearchVectorTrigger(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	var id int64
	if err := s.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, title, body_text) VALUES ('https://x.example/1', '数据安全法', 'Ransomware hit a port.') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	match := func(q string) bool {
		var ok bool
		if err := s.Pool.QueryRow(ctx, `SELECT coalesce(search_zh @@ wirewatch_zh_query($2), false) OR coalesce(search_en @@ wirewatch_en_query($2), false) FROM articles WHERE id = $1`, id, q).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !match("数据安全") || !match("ransomware") {
		t.Fatal("the trigger did not fill the vectors on insert")
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE articles SET body_text = 'Phishing campaign reported.' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if match("ransomware") || !match("phishing") {
		t.Error("the trigger did not refresh the vectors on update")
	}
}

// Items stored by a poll carry the vectors the trigger would have computed
// from their title and summary.
func TestPollItemsSearchVectorsMatchSQL(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	var src int64
	err := s.Pool.QueryRow(ctx, `INSERT INTO sources (name, outlet, kind, url, lease_owner, lease_until)
        VALUES ('t', 'Test', 'feed', 'https://x.example/feed', 'me', now() + interval '1 minute') RETURNING id`).Scan(&src)
	if err != nil {
		t.Fatal(err)
	}
	items := []model.Item{
		{URL: "https://x.example/1", Title: "World Internet Conference opens in Wuzhen", Summary: "Delegates discussed cyberspace governance."},
		{URL: "https://x.example/2", Title: "世界互联网大会乌镇峰会开幕", Summary: "与会代表讨论网络空间治理和数据安全。中"},
		{URL: "https://x.example/3", Title: "Xi: 网络安全 matters 𠀀𠀁 and 朕", Summary: ""},
		{URL: "https://x.example/4", Title: "", Summary: "a lone 字, self-driving cars and the U.S. on 2023-11-01"},
	}
	added, err := s.FinishPoll(ctx, store.PollOutcome{SourceID: src, Owner: "me", OK: true, Status: 200, Items: items, Outlet: "Test", NextPoll: time.Now().Add(time.Hour)})
	if err != nil || added.New != len(items) {
		t.Fatalf("FinishPoll: added %d, err %v", added.New, err)
	}
	var same, total int
	err = s.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE search_en = wirewatch_search_en(title, summary, body_text)
            AND search_zh = wirewatch_search_zh(title, summary, body_text) AND search_en IS NOT NULL AND search_zh IS NOT NULL), count(*)
        FROM articles`).Scan(&same, &total)
	if err != nil {
		t.Fatal(err)
	}
	if same != len(items) || total != len(items) {
		t.Errorf("%d of %d stored items have the trigger's vectors, want all %d", same, total, len(items))
	}
}

// The Chinese vector built in Go is the one PostgreSQL builds, on varied
// and real text; where Go declines (a tsvector limit, a rare character),
// PostgreSQL builds it.
func TestZhVectorMatchesPostgreSQL(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	type doc struct {
		title, summary, body string
		decline              bool // a case Go must leave to PostgreSQL
	}
	docs := []doc{
		{"", "", "", false},
		{"世界互联网大会乌镇峰会开幕", "与会代表讨论网络空间治理和数据安全。中", "网络安全 and 数据出境, a lone 字 and 中文。" + strings.Repeat("网络主权", 40), false},
		{"Xi: 网络安全 matters 一 and 朕", "", "mixed 数据出境 text, ending in 汉字", false},
		{"English only", "No Han here.", "Nor here.", false},
		{"数据", "数据", "数据 数据 数据", false},
		{"", "摘要", "", false},
		{"㐀䶵一鿯", "", "丂", false},
		{"𠀀𠀁 ext B", "", "", true},
		{"", "", strings.Repeat("数据，", 256), true},
		{"", "", strings.Repeat("数据，", 255), false},
		{"", "", strings.Repeat("数据安全法", 4200), true},
	}
	// Real Chinese text from the seeds, as title, summary and body.
	seeds, _ := filepath.Glob(filepath.Join(corpus.Root(), "..", "seeds", "*.txt"))
	for _, f := range seeds {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		lines := strings.SplitN(text, "\n", 3)
		if len(lines) == 3 {
			docs = append(docs, doc{lines[0], lines[1], lines[2], false})
		}
	}
	// Real pages holding Chinese, whole, as bodies (markup and all: any
	// text will do).
	if root := corpus.Root(); root != "" {
		n := 0
		_ = filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || n >= 80 {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil || !utf8.Valid(b) || !strings.ContainsFunc(string(b), func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				return nil
			}
			n++
			docs = append(docs, doc{filepath.Base(path), "", string(b), false})
			return nil
		})
	}
	// Random Han text of every size up to the position limit.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 50, 700, 5000, 16000} {
		var b strings.Builder
		for range n {
			if rng.IntN(12) == 0 {
				b.WriteString("，x ")
			}
			b.WriteRune(rune(0x4e00 + rng.IntN(60))) // few distinct characters: many repeats
		}
		docs = append(docs, doc{"标题", "摘要摘要", b.String(), false})
	}
	built, declined := 0, 0
	for i, d := range docs {
		vec, ok := store.ZhVector(d.title, d.summary, d.body)
		if !ok && !d.decline && len(d.body) > 30000 {
			declined++ // a long real page may reach a limit
			continue
		}
		if ok == d.decline {
			t.Errorf("doc %d (title %.20q): built in Go %v, want %v", i, d.title, ok, !d.decline)
			continue
		}
		if !ok {
			declined++
			continue
		}
		built++
		var same bool
		var pg string
		err := s.Pool.QueryRow(ctx, `SELECT $1::text::tsvector = wirewatch_search_zh($2, $3, $4), wirewatch_search_zh($2, $3, $4)::text`,
			vec, d.title, d.summary, d.body).Scan(&same, &pg)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if !same {
			t.Errorf("doc %d (title %.20q): the Go vector differs from PostgreSQL's:\n go %.300s\n pg %.300s", i, d.title, vec, pg)
		}
	}
	if built < len(docs)/2 || declined == 0 {
		t.Errorf("built %d, declined %d of %d documents: the test does not cover both paths", built, declined, len(docs))
	}
	t.Logf("built in Go: %d, left to PostgreSQL: %d (seeds: %d)", built, declined, len(seeds))
}
