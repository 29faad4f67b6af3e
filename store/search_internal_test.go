package store

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestQueryParts(t *testing.T) {
	for _, tc := range []struct {
		text   string
		en, zh bool
	}{
		{"data security", true, false},
		{"数据安全", false, true},
		{"华为 5G", true, true},
		{"“”，。!!", false, false},
	} {
		en, zh := queryParts(tc.text)
		if en != tc.en || zh != tc.zh {
			t.Errorf("queryParts(%q) = %v, %v", tc.text, en, zh)
		}
	}
}

func TestSnippetTerms(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{`"data security" regulations`, []string{"data", "securi", "regulatio"}},
		{"华为5G -spam", []string{"华为", "5g"}},
		{"wuzhen or tennis", []string{"wuzhen", "tennis"}},
		{"cross-border", []string{"cross", "border"}},
	} {
		if got := snippetTerms(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("snippetTerms(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	body := strings.Repeat("前文。", 50) + "这里提到数据安全的规定。" + strings.Repeat("后文。", 50)
	got := Snippet([]string{"数据安全"}, "摘要没有", body, 40)
	if !strings.Contains(got, "数据安全") || !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
		t.Fatalf("snippet %q", got)
	}
	if n := len([]rune(got)); n > 42 {
		t.Fatalf("snippet has %d runes", n)
	}
	if got := Snippet([]string{"absent"}, "Short summary.", body, 40); got != "Short summary." {
		t.Fatalf("fallback snippet %q", got)
	}
	if got := Snippet(nil, "  ", "Body\nwith  spaces", 40); got != "Body with spaces" {
		t.Fatalf("body fallback %q", got)
	}
}

func TestSearchSQLShape(t *testing.T) {
	sql, args := SearchSQL(SearchQuery{Text: "x", Topic: "t", Outlet: "o", Language: "zh",
		Since: time.Unix(0, 0), Until: time.Unix(1, 0), RelevantOnly: true, Limit: 5}, SearchTerms{En: "'x'"})
	for _, want := range []string{"a.search_en @@ $1::tsquery", "ts_rank_cd(a.search_en, $1::tsquery)", "a.topics @> ARRAY[$2::text]", "a.outlet = $3", "a.language = $4",
		">= $5", "< $6", "a.relevant", "ORDER BY rank DESC", "LIMIT $7"} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
	if strings.Contains(sql, "search_zh @@") {
		t.Errorf("SQL has a Chinese condition for an English query:\n%s", sql)
	}
	if len(args) != 7 || args[6] != 5 {
		t.Errorf("args %v", args)
	}
	_, args = SearchSQL(SearchQuery{Limit: MaxSearchLimit * 2}, SearchTerms{})
	if args[0] != MaxSearchLimit {
		t.Errorf("limit not capped: %v", args)
	}
}
