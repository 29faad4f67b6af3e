package daemon_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// The pipeline end to end on a loopback farm of feeds and a listing page:
// a first cycle stores every article once with text; a second cycle is all
// 304s; an edited page becomes a new revision with a diff; a 410 marks the
// article removed and keeps its text.
func TestPollOnceEndToEnd(t *testing.T) {
	ctx, db, f := farmTest(t)
	// Feeds 0 and 1 share article 3 (dedup across feeds).
	f.items = func(n int) []int { return []int{3 * n, 3*n + 1, 3*n + 3} }
	specs := f.specs(2)
	specs = append(specs, config.SourceSpec{Name: "listing", Outlet: "Listing Outlet", Kind: "listing", URL: f.srv.URL + "/list.html",
		Language: "en", Interval: time.Hour, Listing: &model.Listing{Item: "ul.news li", Link: "a", Title: "a", Date: "span", DateLayout: "2006-01-02"}})
	cfg := testConfig(db)
	cfg.SourcesFile = catalogueWithListing(t, specs)
	d := newDaemon(t, ctx, cfg, db, "replica-e2e")

	st, err := d.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const want = 5 + 3 // articles 0,1,3,4,6 from the feeds + 3 listed
	if st.Sources != 3 || st.Articles != want {
		t.Fatalf("first cycle: %+v, want 3 sources and %d articles", st, want)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched' AND length(body_text) > 200 AND revision = 1`); n != want {
		t.Fatalf("%d articles stored with text, want %d", n, want)
	}
	// Saved text is searchable (vectors prepared by wirewatch, not the trigger).
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE search_en @@ wirewatch_en_query('regulator security review')`); n != want {
		t.Errorf("%d articles found by an English search of their text, want %d", n, want)
	}
	if n := f.count("/article/3.html"); n != 1 {
		t.Errorf("shared article fetched %d times, want 1", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE extract_method IN ('rule', 'generic') AND classifier_version IS NOT NULL`); n != want {
		t.Errorf("%d articles extracted from their page and classified, want %d", n, want)
	}
	var title string
	var published time.Time
	if err := db.Store.Pool.QueryRow(ctx, `SELECT title, published_at FROM articles WHERE canonical_url = $1`, f.srv.URL+"/article/901.html").Scan(&title, &published); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title, "901") || published.IsZero() {
		t.Errorf("listed article: title %q, published %v", title, published)
	}

	// Second cycle: everything is due again; pages unchanged except one
	// edited and one gone.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE sources SET next_poll_at = now(); UPDATE articles SET next_check_at = now()`); err != nil {
		t.Fatal(err)
	}
	f.set("/article/1.html", 0, "The regulator revised its statement: the rules now also cover personal information held abroad.")
	f.set("/article/4.html", http.StatusGone, "")
	before := snapshotHits(f)
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for path, n := range snapshotHits(f) {
		if path == "/robots.txt" || n == before[path] {
			continue
		}
		if n-before[path] != 1 {
			t.Errorf("%s requested %d times in the second cycle", path, n-before[path])
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM sources WHERE last_status = 304`); n != 2 {
		t.Errorf("%d feeds answered 304 on the second cycle, want 2", n)
	}
	// Every unchanged article page was re-checked with its ETag and
	// answered 304 (all but the edited and the gone one).
	f.mu.Lock()
	notMod := f.notMod
	f.mu.Unlock()
	if notMod != want-2 {
		t.Errorf("%d article re-checks answered 304, want %d", notMod, want-2)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE check_count = 2 AND revision = 1 AND removed_at IS NULL`); n != want-2 {
		t.Errorf("%d unchanged articles recorded a second check, want %d", n, want-2)
	}
	var rev int
	var diff string
	if err := db.Store.Pool.QueryRow(ctx, `SELECT a.revision, r.diff::text FROM articles a JOIN article_revisions r ON r.article_id = a.id AND r.revision = a.revision
        WHERE a.canonical_url = $1`, f.srv.URL+"/article/1.html").Scan(&rev, &diff); err != nil {
		t.Fatal(err)
	}
	if rev != 2 || !strings.Contains(diff, "personal information held abroad") {
		t.Errorf("edited article: revision %d, diff %s", rev, diff)
	}
	var removed *time.Time
	var body string
	if err := db.Store.Pool.QueryRow(ctx, `SELECT removed_at, body_text FROM articles WHERE canonical_url = $1`, f.srv.URL+"/article/4.html").Scan(&removed, &body); err != nil {
		t.Fatal(err)
	}
	if removed == nil || body == "" {
		t.Errorf("gone article: removed_at %v, text kept %v", removed, body != "")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM article_revisions`); n != want+1 {
		t.Errorf("%d revisions, want %d (one new for the edit)", n, want+1)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles`); n != want {
		t.Errorf("%d articles after the second cycle, want %d", n, want)
	}
}

func snapshotHits(f *farm) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.hits))
	for k, v := range f.hits {
		out[k] = v
	}
	return out
}

func catalogueWithListing(t *testing.T, specs []config.SourceSpec) string {
	t.Helper()
	p := catalogue(t, specs[:len(specs)-1])
	l := specs[len(specs)-1]
	extra := fmt.Sprintf("  - name: %s\n    outlet: %q\n    kind: listing\n    url: %q\n    language: en\n    interval: 1h\n    listing: {item: %q, link: %q, title: %q, date: %q, date_layout: %q}\n",
		l.Name, l.Outlet, l.URL, l.Listing.Item, l.Listing.Link, l.Listing.Title, l.Listing.Date, l.Listing.DateLayout)
	appendFile(t, p, extra)
	return p
}
