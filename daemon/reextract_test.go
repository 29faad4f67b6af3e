package daemon_test

import (
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/daemon"
)

// Reextract re-runs extraction over the stored raw pages: texts that come
// out differently are replaced in the article and its current revision
// (no new revision), with their search vectors and classification; a dry
// run counts and writes nothing; a second run finds nothing to change.
func TestReextractReplacesChangedTexts(t *testing.T) {
	ctx, db, f := farmTest(t)
	d := polledFarm(t, ctx, db, f, 2, "replica-reextract")
	if n := queryInt(t, db, `SELECT count(*) FROM article_revisions WHERE raw_gzip IS NOT NULL`); n != 6 {
		t.Fatalf("%d stored raw pages after the first cycle, want 6", n)
	}
	// As if an older extractor had produced other texts for two articles.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE articles SET body_text = 'old text', extract_method = 'summary' WHERE id IN (SELECT id FROM articles ORDER BY id LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE article_revisions SET body_text = 'old text' WHERE article_id IN (SELECT id FROM articles ORDER BY id LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	ex, cls := reextractStages(t)
	revisions := queryInt(t, db, `SELECT count(*) FROM article_revisions`)

	var calls int
	dry, err := daemon.Reextract(ctx, db.Store, ex, cls, false, daemon.ReextractOptions{DryRun: true, Progress: func(done, total int, _ daemon.ReextractReport) {
		calls++
		if total != 6 || done > total {
			t.Errorf("progress %d/%d", done, total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Pages != 6 || dry.Changed != 2 || dry.Failed != 0 || dry.Methods["generic"] != 2 || calls == 0 {
		t.Errorf("dry run: %+v (%d progress calls), want 6 pages, 2 changed by the generic extractor", dry, calls)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE body_text = 'old text'`); n != 2 {
		t.Fatalf("the dry run wrote: %d old texts left, want 2", n)
	}

	rep, err := daemon.Reextract(ctx, db.Store, ex, cls, true, daemon.ReextractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages != 6 || rep.Changed != 2 || rep.Stale != 0 {
		t.Errorf("report %+v, want 6 pages, 2 changed", rep)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE body_text = 'old text' OR extract_method <> 'generic'`); n != 0 {
		t.Errorf("%d articles still hold the old text or method", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM article_revisions WHERE body_text = 'old text'`); n != 0 {
		t.Errorf("%d revisions still hold the old text", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM article_revisions`); n != revisions {
		t.Errorf("%d revisions, want %d: a re-extraction is not an edit", n, revisions)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles a JOIN article_revisions r ON r.article_id = a.id AND r.revision = a.revision
        WHERE a.body_text = r.body_text AND a.content_hash = r.content_hash AND a.search_en = wirewatch_search_en(a.title, a.summary, a.body_text)
        AND a.search_zh = wirewatch_search_zh(a.title, a.summary, a.body_text) AND a.body_text LIKE '%security review%'`); n != 6 {
		t.Errorf("%d of 6 articles consistent (text, hash, search vectors), want 6", n)
	}
	// The daemon's own hash of title and text: a later fetch of the same
	// page must not look like an edit.
	if n := queryInt(t, db, `SELECT count(DISTINCT content_hash) FROM articles`); n != 6 {
		t.Errorf("%d distinct content hashes", n)
	}
	again, err := daemon.Reextract(ctx, db.Store, ex, cls, false, daemon.ReextractOptions{})
	if err != nil || again.Changed != 0 || again.Pages != 6 {
		t.Errorf("second run: %+v %v, want nothing changed", again, err)
	}
	if r, _ := daemon.Reextract(ctx, db.Store, ex, cls, false, daemon.ReextractOptions{Since: time.Now().Add(time.Hour)}); r.Pages != 0 {
		t.Errorf("--since in the future read %d pages", r.Pages)
	}

	// A fetch after the re-extraction stores no new revision: the hash the
	// re-extraction wrote is the one the daemon computes.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE articles SET next_check_at = now() - interval '1 second', etag = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.count("/article/0.html"); n != 2 {
		t.Fatalf("article 0 fetched %d times, want 2", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM article_revisions`); n != revisions {
		t.Errorf("%d revisions after a re-fetch of unchanged pages, want %d", n, revisions)
	}
}
