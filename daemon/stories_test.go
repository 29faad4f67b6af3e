package daemon_test

import (
	"context"
	"testing"

	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// Every stored article gets its story with nobody subscribed: the article
// page ("also carried by") and analysts read stories, not only alerts.
// Copies of one text are one story; another text is another; an edit keeps
// the article in its story.
func TestStoriesWithoutSubscribers(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	f := newFarm(t)
	// One headline on every page: pages titled "Article <n>" differ by a
	// figure and are different stories to the text check.
	f.headline = "China issues rules on data security and cross-border data transfers"
	f.items = func(n int) []int { return []int{n * 3, n*3 + 1} }
	f.set("/article/3.html", 0, "Provincial flood relief teams rebuilt three bridges and reopened the mountain road to the county seat before the harvest began.")
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(2))
	if len(cfg.Alert.Subscribers) != 0 {
		t.Fatalf("the test needs no subscribers, the config has %d", len(cfg.Alert.Subscribers))
	}
	d := newDaemon(t, ctx, cfg, db, "replica-stories")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM subscribers WHERE enabled`); n != 0 {
		t.Fatalf("%d enabled subscribers, want 0", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched'`); n != 4 {
		t.Fatalf("%d fetched articles, want 4", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched' AND (story_id IS NULL OR story_fp IS NULL)`); n != 0 {
		t.Errorf("%d fetched articles without a story, want 0", n)
	}
	if n := queryInt(t, db, `SELECT count(DISTINCT story_id) FROM articles WHERE story_id IS NOT NULL`); n != 2 {
		t.Errorf("%d stories, want 2 (three copies of one text, one other text)", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM stories`); n != 2 {
		t.Errorf("%d story rows, want 2", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles a JOIN articles b ON a.story_id = b.story_id AND a.id < b.id
        WHERE a.canonical_url LIKE '%/article/3.html' OR b.canonical_url LIKE '%/article/3.html'`); n != 0 {
		t.Errorf("the article with its own text shares its story with %d others", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries`); n != 0 {
		t.Errorf("%d deliveries with nobody subscribed", n)
	}
	// The article page's query: each copy is "also carried by" the two
	// others.
	var copyID int64
	if err := db.Store.Pool.QueryRow(ctx, `SELECT id FROM articles WHERE canonical_url LIKE '%/article/0.html'`).Scan(&copyID); err != nil {
		t.Fatal(err)
	}
	a, err := db.Store.Article(ctx, copyID)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.AlsoCarried) != 2 {
		t.Errorf("article 0 also carried by %d articles, want 2: %+v", len(a.AlsoCarried), a.AlsoCarried)
	}

	// An edit is a new revision in the same story; a re-check that finds
	// the same text changes nothing.
	story := queryInt(t, db, `SELECT story_id FROM articles WHERE id = $1`, copyID)
	f.set("/article/0.html", 0, "The Cyberspace Administration of China issued new rules on data security and cross-border data transfers on Monday.")
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE articles SET next_check_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT revision FROM articles WHERE id = $1`, copyID); n != 2 {
		t.Fatalf("edited article at revision %d, want 2", n)
	}
	if n := queryInt(t, db, `SELECT story_id FROM articles WHERE id = $1`, copyID); n != story {
		t.Errorf("the edit moved the article from story %d to %d", story, n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM stories`); n != 2 {
		t.Errorf("%d story rows after the re-check, want 2", n)
	}
}

// Re-extraction gives a story to articles stored without one (before
// stories existed) and keeps every copy of one text in one story.
func TestReextractAssignsMissingStories(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	f := newFarm(t)
	// One headline on every page: pages titled "Article <n>" differ by a
	// figure and are different stories to the text check.
	f.headline = "China issues rules on data security and cross-border data transfers"
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(2))
	d := newDaemon(t, ctx, cfg, db, "replica-reextract-stories")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	story := queryInt(t, db, `SELECT min(story_id) FROM articles`)
	// As if two articles had been stored by an older wirewatch: another
	// text, and no story.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE articles SET body_text = 'old text', extract_method = 'summary', story_id = NULL, story_fp = NULL
        WHERE id IN (SELECT id FROM articles ORDER BY id LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	ex, cls := reextractStages(t)
	rep, err := daemon.Reextract(ctx, db.Store, ex, cls, false, daemon.ReextractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed != 2 {
		t.Fatalf("re-extraction changed %d texts, want 2", rep.Changed)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE story_id IS NULL OR story_fp IS NULL`); n != 0 {
		t.Errorf("%d articles without a story after re-extraction, want 0", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE story_id <> $1`, story); n != 0 {
		t.Errorf("%d copies of the farm's text outside story %d", n, story)
	}
}

// Only relevant articles are put in stories: digests carry only them, and
// every assignment reads the window's storied articles under one lock.
// Copies of a story that is not relevant stay without one.
func TestIrrelevantArticlesGetNoStory(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	f := newFarm(t)
	f.items = func(n int) []int { return []int{n * 3, n*3 + 1} }
	f.headline = "Provincial teams reopen the mountain road before the harvest"
	for _, p := range []string{"/article/0.html", "/article/1.html", "/article/3.html", "/article/4.html"} {
		f.set(p, 0, "Provincial flood relief teams rebuilt three bridges and reopened the mountain road to the county seat before the harvest began, officials said.")
	}
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(2))
	// The farm's feed titles name the Cybersecurity Law: a threshold no
	// score reaches makes every article irrelevant.
	cfg.Classify.Threshold = 1
	d := newDaemon(t, ctx, cfg, db, "replica-irrelevant-stories")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched' AND relevant IS NOT TRUE`); n != 4 {
		t.Fatalf("%d fetched irrelevant articles, want 4 (%d fetched, %d relevant)", n,
			queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched'`), queryInt(t, db, `SELECT count(*) FROM articles WHERE relevant`))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE story_id IS NOT NULL OR story_fp IS NOT NULL`); n != 0 {
		t.Errorf("%d irrelevant articles in a story, want 0", n)
	}
}
