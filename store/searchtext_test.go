package store_test

import (
	"context"
	"strings"
	"testing"

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
