package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

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
	if err != nil || added != len(items) {
		t.Fatalf("FinishPoll: added %d, err %v", added, err)
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
