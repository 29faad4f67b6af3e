package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// claimOne inserts a pending article and claims it for owner.
func claimOne(t *testing.T, s *store.Store, owner string) store.DueArticle {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO articles (canonical_url, title, summary, next_check_at) VALUES ('https://x.example/a', 'Feed title', 'A summary of 数据安全 rules.', now())`); err != nil {
		t.Fatal(err)
	}
	due, err := s.ClaimDueArticles(ctx, owner, time.Minute, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("claim: %v, %d articles", err, len(due))
	}
	return due[0]
}

func saveOf(a store.DueArticle, owner, hash, text string) store.ArticleSave {
	return store.ArticleSave{
		ID: a.ID, Owner: owner, ContentHash: hash, Raw: []byte("<html><p>" + text + "</p></html>"), RawCharset: "utf-8",
		Extracted: model.Extracted{Title: "Page title", Text: text, Method: "rule"},
		Classification: model.Classification{Version: "v1", Relevant: true, Score: 0.8, Topics: []model.TopicScore{
			{ID: "data-security", Score: 0.8, Evidence: []model.Evidence{{Term: "data security", Field: "body"}}},
			{ID: "sanctions", Score: 0.1},
		}},
		Prev: a.State(),
	}
}

func counts(t *testing.T, s *store.Store) (revisions, classifications int) {
	t.Helper()
	err := s.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM article_revisions), (SELECT count(*) FROM classifications)`).Scan(&revisions, &classifications)
	if err != nil {
		t.Fatal(err)
	}
	return revisions, classifications
}

// A first save writes the text, a revision with the raw page and the
// per-topic scores; a save whose lease passed to another worker writes
// nothing at all, with or without a hook.
func TestSaveArticleWritesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	for _, withHook := range []bool{false, true} {
		s := storetest.New(t).Store
		a := claimOne(t, s, "me")
		calls := 0
		var hook store.Hook
		if withHook {
			hook = func(ctx context.Context, tx pgx.Tx, c store.ArticleChange) error {
				calls++
				_, err := tx.Exec(ctx, `UPDATE articles SET byline = 'hooked' WHERE id = $1`, c.ArticleID)
				return err
			}
		}

		// Another worker took the lease: nothing may be written.
		if _, err := s.Pool.Exec(ctx, `UPDATE articles SET lease_owner = 'other' WHERE id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveArticle(ctx, saveOf(a, "me", "h1", "Data security rules."), hook); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("hook %v: save under a lost lease: err %v, want ErrLeaseLost", withHook, err)
		}
		if r, c := counts(t, s); r != 0 || c != 0 || calls != 0 {
			t.Fatalf("hook %v: a save under a lost lease wrote %d revisions, %d classifications, ran the hook %d times", withHook, r, c, calls)
		}

		// With the lease back, the same save lands whole.
		if _, err := s.Pool.Exec(ctx, `UPDATE articles SET lease_owner = 'me' WHERE id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		res, err := s.SaveArticle(ctx, saveOf(a, "me", "h1", "Data security rules."), hook)
		if err != nil {
			t.Fatalf("hook %v: %v", withHook, err)
		}
		if !res.NewRevision || res.Revision != 1 || res.Edited || !res.Relevant {
			t.Errorf("hook %v: result %+v, want revision 1, new, not an edit, relevant", withHook, res)
		}
		if r, c := counts(t, s); r != 1 || c != 2 {
			t.Errorf("hook %v: %d revisions and %d classifications, want 1 and 2", withHook, r, c)
		}
		var title, body, state, byline string
		var owner *string
		var rawLen int
		var matches bool
		err = s.Pool.QueryRow(ctx, `SELECT a.title, a.body_text, a.fetch_state, a.byline, a.lease_owner, length(r.raw_gzip),
                a.search_en @@ wirewatch_en_query('security') AND a.search_en = wirewatch_search_en(a.title, a.summary, a.body_text)
                    AND a.search_zh @@ wirewatch_zh_query('数据安全') AND a.search_zh = wirewatch_search_zh(a.title, a.summary, a.body_text)
            FROM articles a JOIN article_revisions r ON r.article_id = a.id WHERE a.id = $1`, a.ID).
			Scan(&title, &body, &state, &byline, &owner, &rawLen, &matches)
		if err != nil {
			t.Fatal(err)
		}
		if title != "Page title" || body != "Data security rules." || state != "fetched" || owner != nil || rawLen == 0 || !matches {
			t.Errorf("hook %v: stored %q %q %s, lease %v, raw %d bytes, search vector right: %v", withHook, title, body, state, owner, rawLen, matches)
		}
		if withHook && (calls != 1 || byline != "hooked") {
			t.Errorf("hook ran %d times (byline %q), want once, in the save's transaction", calls, byline)
		}
	}
}

// An edit (new text for an article that had some) is saved as the next
// revision with a diff, and a failing hook undoes the whole save.
func TestSaveArticleEditAndFailingHook(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	a := claimOne(t, s, "me")
	if _, err := s.SaveArticle(ctx, saveOf(a, "me", "h1", "First text."), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE articles SET lease_owner = 'me', lease_until = now() + interval '1 minute' WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	a.ContentHash, a.Revision = "h1", 1 // as the next claim would return it
	failing := func(context.Context, pgx.Tx, store.ArticleChange) error { return errors.New("outbox down") }
	if _, err := s.SaveArticle(ctx, saveOf(a, "me", "h2", "Second text."), failing); err == nil {
		t.Fatal("a failing hook did not fail the save")
	}
	if r, _ := counts(t, s); r != 1 {
		t.Fatalf("%d revisions after a failed save, want 1", r)
	}
	res, err := s.SaveArticle(ctx, saveOf(a, "me", "h2", "Second text."), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Edited || res.Revision != 2 {
		t.Errorf("result %+v, want an edit at revision 2", res)
	}
	var diff string
	if err := s.Pool.QueryRow(ctx, `SELECT diff::text FROM article_revisions WHERE article_id = $1 AND revision = 2`, a.ID).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff == "" || diff == "[]" {
		t.Errorf("revision 2 has no diff: %q", diff)
	}
}
