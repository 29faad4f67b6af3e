package main

import (
	"context"
	"encoding/csv"
	"os/exec"
	"strings"
	"testing"
)

// A title that a spreadsheet would run as a formula is written with a
// leading single quote by every CSV writer.
func TestCSVNeutralisesFormulas(t *testing.T) {
	db := seedArchive(t)
	_, err := db.Store.Pool.Exec(context.Background(), `
INSERT INTO articles (canonical_url, outlet, title, language, summary, body_text, published_at, fetch_state, relevant, score, topics, classifier_version) VALUES
 ('https://evil.example/4', '@Outlet', '=HYPERLINK("http://evil.example","Wuzhen")', 'en', '', 'Wuzhen data security.', '2026-11-23 08:00+08', 'fetched', true, 0.9, '{cyber-governance}', 'v')`)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"WIREWATCH_DATABASE_URL=" + db.URL}
	for _, args := range [][]string{
		{"export", "--since", "2026-11-01", "--format", "csv"},
		{"search", "--format", "csv", "Wuzhen"},
	} {
		out, errOut, code := runCmd(t, "", env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("%v: not CSV: %v", args, err)
		}
		found := false
		for _, r := range recs {
			for _, c := range r {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					t.Errorf("%v: cell %q would be a formula", args, c)
				}
				if c == `'=HYPERLINK("http://evil.example","Wuzhen")` {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%v: the neutralised title is missing:\n%s", args, out)
		}
	}
}

// search --sql echoes the query in a comment line; nothing in the query may
// end that comment. The printed SQL is run through psql.
func TestSearchSQLCannotBeInjected(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed; the printed SQL cannot be run")
	}
	db := seedArchive(t)
	env := []string{"WIREWATCH_DATABASE_URL=" + db.URL}
	for _, q := range []string{
		"Wuzhen\nCREATE TABLE pwned (i int);\n",
		"Wuzhen\rCREATE TABLE pwned (i int);\r",
		"Wuzhen' ; CREATE TABLE pwned (i int); --",
		"Wuzhen */ CREATE TABLE pwned (i int); /*",
	} {
		out, errOut, code := runCmd(t, "", env, "search", "--sql", q)
		if code != 0 {
			t.Fatalf("search --sql %q: exit %d: %s", q, code, errOut)
		}
		cmd := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.URL, "-f", "-")
		cmd.Stdin = strings.NewReader(out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("psql ran the printed SQL with an error: %v\n%s\nSQL:\n%s", err, b, out)
		}
		var exists bool
		if err := db.Store.Pool.QueryRow(context.Background(), `SELECT to_regclass('pwned') IS NOT NULL`).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Fatalf("the query %q ran a statement through the printed SQL:\n%s", q, out)
		}
	}
}
