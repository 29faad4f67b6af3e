package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/store/storetest"
)

func seedArchive(t *testing.T) *storetest.Database {
	t.Helper()
	db := storetest.New(t)
	_, err := db.Store.Pool.Exec(context.Background(), `
INSERT INTO articles (canonical_url, outlet, title, language, summary, body_text, published_at, fetch_state, relevant, score, topics, classifier_version) VALUES
 ('https://gt.example/1', 'Global Times', 'World Internet Conference opens in Wuzhen', 'en', '', 'Delegates discussed cyberspace governance and data security.', '2026-11-20 08:00+08', 'fetched', true, 0.9, '{cyber-governance}', 'v'),
 ('https://xh.example/2', 'Xinhua', '世界互联网大会乌镇峰会开幕', 'zh', '', '与会代表讨论网络空间治理和数据安全。', '2026-11-21 09:00+08', 'fetched', true, 0.8, '{cyber-governance}', 'v'),
 ('https://cd.example/3', 'China Daily', 'Panda cubs celebrate birthday', 'en', '', 'The zoo held a party.', '2026-11-22 10:00+08', 'fetched', false, 0.0, '{}', 'v')`)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestSearchCommand(t *testing.T) {
	db := seedArchive(t)
	env := []string{"WIREWATCH_DATABASE_URL=" + db.URL}
	out, errOut, code := runCmd(t, "", env, "search", "--format", "json", "Wuzhen")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "World Internet Conference opens in Wuzhen") || strings.Contains(out, "Panda") {
		t.Errorf("English search:\n%s", out)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		// One JSON object per line is fine too.
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var r map[string]any
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("search --format json is not JSON: %v\n%s", err, out)
			}
			rows = append(rows, r)
		}
	}
	if len(rows) != 1 {
		t.Errorf("%d rows for Wuzhen, want 1", len(rows))
	}
	out, errOut, code = runCmd(t, "", env, "search", "--format", "csv", "--lang", "zh", "乌镇")
	if code != 0 || !strings.Contains(out, "世界互联网大会乌镇峰会开幕") {
		t.Errorf("Chinese search: exit %d %s\n%s", code, errOut, out)
	}
	if _, err := csv.NewReader(strings.NewReader(out)).ReadAll(); err != nil {
		t.Errorf("search --format csv is not CSV: %v", err)
	}
	out, _, code = runCmd(t, "", env, "search", "--outlet", "Xinhua", "--format", "table", "网络空间治理")
	if code != 0 || !strings.Contains(out, "Xinhua") {
		t.Errorf("table output:\n%s", out)
	}
	if _, errOut, code = runCmd(t, "", env, "search", "--since", "yesterday-ish", "x"); code != 2 || !strings.Contains(errOut, "since") {
		t.Errorf("bad --since: exit %d %q", code, errOut)
	}
}

func TestExportCommand(t *testing.T) {
	db := seedArchive(t)
	env := []string{"WIREWATCH_DATABASE_URL=" + db.URL}
	out, errOut, code := runCmd(t, "", env, "export", "--since", "2026-11-01", "--format", "jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
	}
	if strings.Contains(errOut, "%") {
		t.Errorf("a progress bar was drawn on a pipe: %q", errOut)
	}
	out, _, code = runCmd(t, "", env, "export", "--since", "2026-11-01", "--relevant-only", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 3 { // header + 2 relevant
		t.Errorf("relevant-only CSV: exit %d, %v, %d records\n%s", code, err, len(recs), out)
	}
	out, _, _ = runCmd(t, "", env, "export", "--since", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).Format(time.RFC3339), "--until", "2026-11-23", "--format", "jsonl")
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != 1 || !strings.Contains(out, "Panda") {
		t.Errorf("--since/--until window: %d lines\n%s", n, out)
	}
	if _, _, code := runCmd(t, "", env, "export", "--format", "jsonl"); code != 2 {
		t.Errorf("export without --since: exit %d, want 2", code)
	}
}
