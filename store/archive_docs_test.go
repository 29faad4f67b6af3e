package store_test

import (
	"bufio"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/store/storetest"
)

// docQuery is one example query of docs/archive.md.
type docQuery struct {
	num     int
	heading string
	sql     string
}

// readDocQueries returns the first ```sql block under each "### N. …"
// heading of the "Example queries" section.
func readDocQueries(t *testing.T, path string) []docQuery {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	heading := regexp.MustCompile(`^### (\d+)\. (.+)$`)
	var out []docQuery
	var cur *docQuery
	inExamples, inSQL := false, false
	var sql strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case inSQL && line == "```":
			inSQL = false
			if cur != nil && cur.sql == "" {
				cur.sql = sql.String()
			}
		case inSQL:
			sql.WriteString(line + "\n")
		case strings.HasPrefix(line, "## "):
			inExamples = line == "## Example queries"
			cur = nil
		case !inExamples:
		case heading.MatchString(line):
			m := heading.FindStringSubmatch(line)
			n, _ := strconv.Atoi(m[1])
			out = append(out, docQuery{num: n, heading: m[2]})
			cur = &out[len(out)-1]
		case line == "```sql":
			inSQL = true
			sql.Reset()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// archiveSeed is a small archive in which each example query has known
// answers. Times are relative to now() so "this week" queries keep
// working; everything "recent" is within the last few hours.
// (Alike by design: the seed rows, one per article, share a shape; they are data, not logic.)
const archiveSeed = `
INSERT INTO sources (id, name, outlet, kind, url, language) VALUES
 (1, 'globaltimes-china', 'Global Times', 'feed', 'https://www.globaltimes.cn/rss/china.xml', 'en'),
 (2, 'xinhua-en', 'Xinhua', 'feed', 'https://english.news.cn/rss/china.xml', 'en'),
 (3, 'xinhua-zh', 'Xinhua', 'listing', 'https://www.news.cn/politics/', 'zh'),
 (4, 'chinadaily-china', 'China Daily', 'feed', 'https://www.chinadaily.com.cn/rss/china.xml', 'en'),
 (5, 'peoples-daily-zh', 'People''s Daily', 'listing', 'http://politics.people.com.cn/', 'zh');

INSERT INTO articles (id, canonical_url, source_id, outlet, language, title, summary, body_text, published_at, first_seen_at,
                      revision, removed_at, fetch_state, classifier_version, relevant, score, topics) VALUES
 (1, 'https://www.globaltimes.cn/page/1.html', 1, 'Global Times', 'en', 'World Internet Conference opens in Wuzhen',
  'The annual summit began on Wednesday.', 'The World Internet Conference opened in Wuzhen with a call for cyberspace governance.',
  now() - interval '3 hours', now() - interval '3 hours', 1, NULL, 'fetched', 'v1', true, 0.82, '{cyber-governance}'),
 (2, 'https://www.globaltimes.cn/page/2.html', 1, 'Global Times', 'en', 'Wuzhen summit releases final AI governance report',
  'Report on AI governance.', 'At the Wuzhen summit, the conference released its final report on AI governance.',
  now() - interval '2 hours', now() - interval '2 hours', 2, NULL, 'fetched', 'v1', true, 0.70, '{cyber-governance}'),
 (3, 'https://www.globaltimes.cn/page/3.html', 1, 'Global Times', 'en', 'Looking back at the World Internet Conference',
  'A review.', 'Last year''s World Internet Conference in Wuzhen drew delegates from 120 countries.',
  now() - interval '400 days', now() - interval '400 days', 1, NULL, 'fetched', 'v1', true, 0.60, '{cyber-governance}'),
 (4, 'https://www.chinadaily.com.cn/a/4.html', 4, 'China Daily', 'en', 'World Internet Conference opens in Wuzhen',
  'Xinhua wire copy.', 'The World Internet Conference opened in Wuzhen on Wednesday.',
  now() - interval '3 hours', now() - interval '3 hours', 1, NULL, 'fetched', 'v1', false, 0.40, '{}'),
 (5, 'https://english.news.cn/5.html', 2, 'Xinhua', 'en', 'Chinese regulators tighten rules on cross-border data transfers',
  'New rules.', 'Regulators published rules on cross-border data transfers and security assessments.',
  now() - interval '1 hour', now() - interval '1 hour', 1, NULL, 'fetched', 'v1', true, 0.90, '{data-security}'),
 (6, 'https://www.chinadaily.com.cn/a/6.html', 4, 'China Daily', 'en', ' Chinese regulators  tighten rules on cross-border data transfers',
  'Wire copy.', 'Regulators published rules on cross-border data transfers.',
  now() - interval '50 minutes', now() - interval '50 minutes', 1, NULL, 'fetched', 'v1', true, 0.85, '{data-security}'),
 (8, 'https://www.news.cn/politics/8.htm', 3, 'Xinhua', 'zh', '国家网信办发布《促进和规范数据跨境流动规定》',
  '规定自公布之日起施行。', '为促进和规范数据跨境流动，国家互联网信息办公室发布规定。',
  now() - interval '2 hours', now() - interval '2 hours', 1, NULL, 'fetched', 'v1', true, 0.88, '{data-security}'),
 (9, 'http://politics.people.com.cn/9.html', 5, 'People''s Daily', 'zh', '世界互联网大会乌镇峰会开幕',
  '峰会在乌镇开幕。', '2026年世界互联网大会乌镇峰会今天开幕。',
  now() - interval '4 hours', now() - interval '4 hours', 1, NULL, 'fetched', 'v1', true, 0.80, '{cyber-governance}'),
 (10, 'https://english.news.cn/10.html', 2, 'Xinhua', 'en', 'Hackers target power grid, officials say',
  'Officials blamed foreign hackers.', 'Hackers targeted the power grid in several provinces, officials said.',
  now() - interval '5 days', now() - interval '5 days', 1, now() - interval '1 hour', 'fetched', 'v1', true, 0.75, '{hacking-espionage}'),
 (11, 'https://www.globaltimes.cn/page/11.html', 1, 'Global Times', 'en', 'Table tennis team wins gold',
  'Sport.', 'The national table tennis team won gold.',
  now() - interval '5 hours', now() - interval '5 hours', 1, NULL, 'fetched', 'v1', false, 0.05, '{}'),
 (12, 'http://politics.people.com.cn/12.html', 5, 'People''s Daily', 'zh', '关于网络安全审查的报道',
  '报道。', '网络安全审查办公室发布通知。',
  now() - interval '6 days', now() - interval '6 days', 1, now() - interval '2 hours', 'fetched', 'v1', false, 0.30, '{}');

INSERT INTO article_revisions (article_id, revision, seen_at, title, body_text, content_hash, diff) VALUES
 (1, 1, now() - interval '3 hours', 'World Internet Conference opens in Wuzhen', 'x', 'h1', NULL),
 (2, 1, now() - interval '2 hours', 'Wuzhen summit releases preliminary AI governance report',
  'At the Wuzhen summit, the conference released its preliminary report on AI governance.', 'h2a', NULL),
 (2, 2, now() - interval '30 minutes', 'Wuzhen summit releases final AI governance report',
  'At the Wuzhen summit, the conference released its final report on AI governance.', 'h2b',
  '[{"op": "delete", "text": "preliminary"}, {"op": "insert", "text": "final"}]'),
 (10, 1, now() - interval '5 days', 'Hackers target power grid, officials say', 'x', 'h10', NULL);

INSERT INTO classifications (article_id, classifier_version, topic, score, relevant, evidence) VALUES
 (1, 'v1', 'cyber-governance', 0.82, true, '[{"term": "World Internet Conference", "field": "title", "snippet": "World Internet Conference opens", "weight": 2.0}]'),
 (1, 'v0', 'cyber-governance', 0.90, true, '[{"term": "old term", "field": "body", "snippet": "…", "weight": 9.0}]'),
 (2, 'v1', 'cyber-governance', 0.70, true, '[{"term": "World Internet Conference", "field": "body", "snippet": "the conference released", "weight": 2.0}]'),
 (5, 'v1', 'data-security', 0.90, true, '[{"term": "cross-border data", "field": "title", "snippet": "rules on cross-border data transfers", "weight": 1.5}]'),
 (6, 'v1', 'data-security', 0.85, true, '[{"term": "cross-border data", "field": "title", "snippet": "rules on cross-border data transfers", "weight": 1.5}]'),
 (8, 'v1', 'data-security', 0.88, true, '[{"term": "数据跨境", "field": "title", "snippet": "规范数据跨境流动", "weight": 1.5}]'),
 (9, 'v1', 'cyber-governance', 0.80, true, '[{"term": "世界互联网大会", "field": "title", "snippet": "世界互联网大会乌镇峰会", "weight": 2.0}]'),
 (10, 'v1', 'hacking-espionage', 0.75, true, '[{"term": "power grid", "field": "title", "snippet": "target power grid", "weight": 1.0}]'),
 (11, 'v0', 'cyber-governance', 0.55, true, '[{"term": "team", "field": "title", "snippet": "team wins", "weight": 0.5}]'),
 (11, 'v1', 'cyber-governance', 0.05, false, '[]');

INSERT INTO subscribers (id, name) VALUES (1, 'policy-desk'), (2, 'tech-team');
INSERT INTO subscriber_channels (subscriber_id, channel, address) VALUES (1, 'email', 'desk@example.org'), (2, 'email', 'tech@example.org');
INSERT INTO deliveries (subscriber_id, article_id, channel, mode, status, attempts, sent_at, error, created_at) VALUES
 (1, 5, 'email', 'immediate', 'sent', 1, now() - interval '50 minutes', NULL, now() - interval '55 minutes'),
 (1, 8, 'email', 'immediate', 'sent', 1, now() - interval '40 minutes', NULL, now() - interval '45 minutes'),
 (1, 2, 'webhook', 'immediate', 'failed', 8, NULL, 'webhook: POST https://hooks.example.org/x: 500 Internal Server Error', now() - interval '2 hours'),
 (2, 1, 'email', 'digest', 'sent', 1, now() - interval '10 minutes', NULL, now() - interval '3 hours');
`

// anyCell matches any cell value in an expectation.
const anyCell = "*"

// archiveDocExpectations are the rows each numbered example must return,
// as text; "*" matches any value (times relative to now).
var archiveDocExpectations = map[int][][]string{
	1: {
		{"Xinhua", anyCell, "2"},
		{"China Daily", anyCell, "1"},
	},
	2: {
		{anyCell, "World Internet Conference opens in Wuzhen", anyCell, "https://www.globaltimes.cn/page/1.html"},
		{anyCell, "Wuzhen summit releases final AI governance report", anyCell, "https://www.globaltimes.cn/page/2.html"},
	},
	3: {
		{"2", "Global Times", "Wuzhen summit releases final AI governance report", "2", anyCell, "1", "delete", "preliminary"},
		{"2", "Global Times", "Wuzhen summit releases final AI governance report", "2", anyCell, "2", "insert", "final"},
	},
	4: {
		{"Xinhua", "Hackers target power grid, officials say", "https://english.news.cn/10.html", anyCell, anyCell, anyCell},
		{"People's Daily", "关于网络安全审查的报道", "http://politics.people.com.cn/12.html", anyCell, anyCell, anyCell},
	},
	5: {
		{"world internet conference opens in wuzhen", "2", "China Daily, Global Times", anyCell},
		{"chinese regulators tighten rules on cross-border data transfers", "2", "China Daily, Xinhua", anyCell},
	},
	6: {
		{"World Internet Conference", "2", "4.00"},
		{"cross-border data", "2", "3.00"},
		{"世界互联网大会", "1", "2.00"},
		{"数据跨境", "1", "1.50"},
		{"power grid", "1", "1.00"},
	},
	7: {
		{anyCell, "email", "immediate", "new", "Xinhua", "国家网信办发布《促进和规范数据跨境流动规定》", "https://www.news.cn/politics/8.htm"},
		{anyCell, "email", "immediate", "new", "Xinhua", "Chinese regulators tighten rules on cross-border data transfers", "https://english.news.cn/5.html"},
	},
	8: {
		{"policy-desk", "webhook", "failed", "8", anyCell, "webhook: POST https://hooks.example.org/x: 500 Internal Server Error", "Wuzhen summit releases final AI governance report"},
	},
	9: {
		{"Xinhua", "国家网信办发布《促进和规范数据跨境流动规定》", anyCell},
	},
	10: {
		{"Chinese regulators tighten rules on cross-border data transfers", "0.9", "cross-border data", "title", "rules on cross-border data transfers"},
		{"国家网信办发布《促进和规范数据跨境流动规定》", "0.88", "数据跨境", "title", "规范数据跨境流动"},
		{" Chinese regulators  tighten rules on cross-border data transfers", "0.85", "cross-border data", "title", "rules on cross-border data transfers"},
	},
	11: {
		{"11", "Table tennis team wins gold", "t", "f", "0.55", "0.05"},
	},
	12: {
		{anyCell, "China Daily", "en", "0.85", "{data-security}", " Chinese regulators  tighten rules on cross-border data transfers", "f"},
		{anyCell, "Xinhua", "en", "0.90", "{data-security}", "Chinese regulators tighten rules on cross-border data transfers", "f"},
		{anyCell, "Xinhua", "zh", "0.88", "{data-security}", "国家网信办发布《促进和规范数据跨境流动规定》", "f"},
		{anyCell, "Global Times", "en", "0.70", "{cyber-governance}", "Wuzhen summit releases final AI governance report", "t"},
		{anyCell, "Global Times", "en", "0.82", "{cyber-governance}", "World Internet Conference opens in Wuzhen", "f"},
		{anyCell, "People's Daily", "zh", "0.80", "{cyber-governance}", "世界互联网大会乌镇峰会开幕", "f"},
		{anyCell, "Xinhua", "en", "0.75", "{hacking-espionage}", "Hackers target power grid, officials say", "f"},
	},
}

// TestArchiveDocQueries runs every example query of docs/archive.md as
// wirewatch_reader in a read-only transaction on a seeded database and
// checks its rows.
func TestArchiveDocQueries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.New(t).Store
	if _, err := s.Pool.Exec(ctx, archiveSeed); err != nil {
		t.Fatalf("seed: %v", err)
	}
	queries := readDocQueries(t, "../docs/archive.md")
	if len(queries) < 10 {
		t.Fatalf("docs/archive.md has %d example queries, want at least 10", len(queries))
	}
	seen := map[int]bool{}
	for _, q := range queries {
		seen[q.num] = true
		t.Run(strconv.Itoa(q.num), func(t *testing.T) {
			want, ok := archiveDocExpectations[q.num]
			if !ok {
				t.Fatalf("no expectation for example %d (%s)", q.num, q.heading)
			}
			if q.sql == "" {
				t.Fatalf("example %d (%s) has no sql block", q.num, q.heading)
			}
			got := runAsReader(t, ctx, s.Pool, q.sql)
			if !rowsMatch(got, want) {
				t.Fatalf("example %d (%s):\n got %q\nwant %q", q.num, q.heading, got, want)
			}
		})
	}
	for n := range archiveDocExpectations {
		if !seen[n] {
			t.Errorf("expectation for example %d, which docs/archive.md no longer has", n)
		}
	}
}

// pgxBeginner is what runAsReader needs of the pool.
type pgxBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// runAsReader runs sql in a read-only transaction as wirewatch_reader and
// returns the rows as text (the simple protocol's text format).
func runAsReader(t *testing.T, ctx context.Context, db pgxBeginner, sql string) [][]string {
	t.Helper()
	tx, err := db.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE wirewatch_reader`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("query: %v\n%s", err, sql)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]string, len(raw))
		for i, v := range raw {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query: %v\n%s", err, sql)
	}
	return out
}

func rowsMatch(got, want [][]string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if len(got[i]) != len(want[i]) {
			return false
		}
		for j := range got[i] {
			if want[i][j] != anyCell && want[i][j] != got[i][j] {
				return false
			}
		}
	}
	return true
}
