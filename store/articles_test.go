package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	due, err := s.ClaimDueArticles(ctx, owner, time.Minute, 10, 0)
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

// queueOne queues one delivery of article id in tx, as the daemon queues
// what alert planned in the transaction that saved the article.
func queueOne(ctx context.Context, tx *store.Tx, subscriber, id int64) error {
	_, err := tx.QueueDeliveries(ctx, id, []model.PlannedDelivery{{Action: model.QueueDelivery, SubscriberID: subscriber,
		Channel: model.ChannelEmail, Mode: model.ModeImmediate, Event: model.EventNew, Score: 0.8}})
	return err
}

func deliveries(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := s.Pool.QueryRow(context.Background(), `SELECT count(*) FROM deliveries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A first save writes the text, a revision with the raw page and the
// per-topic scores; a save whose lease passed to another worker writes
// nothing at all, on the pool or in a unit of work that also queues a
// delivery.
func TestSaveArticleWritesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	for _, inTx := range []bool{false, true} {
		s := storetest.New(t).Store
		a := claimOne(t, s, "me")
		var sub int64
		if err := s.Pool.QueryRow(ctx, `INSERT INTO subscribers (name) VALUES ('s') RETURNING id`).Scan(&sub); err != nil {
			t.Fatal(err)
		}
		save := func(as store.ArticleSave) (store.SaveResult, error) {
			if !inTx {
				return s.SaveArticle(ctx, as)
			}
			var res store.SaveResult
			err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				if res, err = tx.SaveArticle(ctx, as); err != nil {
					return err
				}
				return queueOne(ctx, tx, sub, as.ID)
			})
			return res, err
		}

		// Another worker took the lease: nothing may be written.
		if _, err := s.Pool.Exec(ctx, `UPDATE articles SET lease_owner = 'other' WHERE id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := save(saveOf(a, "me", "h1", "Data security rules.")); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("in a transaction %v: save under a lost lease: err %v, want ErrLeaseLost", inTx, err)
		}
		if r, c := counts(t, s); r != 0 || c != 0 || deliveries(t, s) != 0 {
			t.Fatalf("in a transaction %v: a save under a lost lease wrote %d revisions, %d classifications, %d deliveries", inTx, r, c, deliveries(t, s))
		}

		// With the lease back, the same save lands whole.
		if _, err := s.Pool.Exec(ctx, `UPDATE articles SET lease_owner = 'me' WHERE id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		res, err := save(saveOf(a, "me", "h1", "Data security rules."))
		if err != nil {
			t.Fatalf("in a transaction %v: %v", inTx, err)
		}
		if !res.NewRevision || res.Revision != 1 || res.Edited || !res.Relevant || !res.Decided || res.WasRelevant {
			t.Errorf("in a transaction %v: result %+v, want revision 1, new, decided, not an edit, relevant", inTx, res)
		}
		if r, c := counts(t, s); r != 1 || c != 2 {
			t.Errorf("in a transaction %v: %d revisions and %d classifications, want 1 and 2", inTx, r, c)
		}
		var title, body, state string
		var owner *string
		var rawLen int
		var matches bool
		err = s.Pool.QueryRow(ctx, `SELECT a.title, a.body_text, a.fetch_state, a.lease_owner, length(r.raw_gzip),
                a.search_en @@ wirewatch_en_query('security') AND a.search_en = wirewatch_search_en(a.title, a.summary, a.body_text)
                    AND a.search_zh @@ wirewatch_zh_query('数据安全') AND a.search_zh = wirewatch_search_zh(a.title, a.summary, a.body_text)
            FROM articles a JOIN article_revisions r ON r.article_id = a.id WHERE a.id = $1`, a.ID).
			Scan(&title, &body, &state, &owner, &rawLen, &matches)
		if err != nil {
			t.Fatal(err)
		}
		if title != "Page title" || body != "Data security rules." || state != "fetched" || owner != nil || rawLen == 0 || !matches {
			t.Errorf("in a transaction %v: stored %q %q %s, lease %v, raw %d bytes, search vector right: %v", inTx, title, body, state, owner, rawLen, matches)
		}
		if want := map[bool]int{false: 0, true: 1}[inTx]; deliveries(t, s) != want {
			t.Errorf("in a transaction %v: %d deliveries, want %d", inTx, deliveries(t, s), want)
		}
	}
}

// An edit (new text for an article that had some) is saved as the next
// revision with a diff, and a failing later step of the unit of work
// undoes the whole save.
func TestSaveArticleEditAndFailingStep(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	a := claimOne(t, s, "me")
	if _, err := s.SaveArticle(ctx, saveOf(a, "me", "h1", "First text.")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE articles SET lease_owner = 'me', lease_until = now() + interval '1 minute' WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	a.ContentHash, a.Revision = "h1", 1 // as the next claim would return it
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.SaveArticle(ctx, saveOf(a, "me", "h2", "Second text.")); err != nil {
			return err
		}
		return errors.New("outbox down")
	})
	if err == nil {
		t.Fatal("a failing step did not fail the unit of work")
	}
	if r, _ := counts(t, s); r != 1 {
		t.Fatalf("%d revisions after a failed save, want 1", r)
	}
	res, err := s.SaveArticle(ctx, saveOf(a, "me", "h2", "Second text."))
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

// claimMany inserts n pending articles and claims them for owner, in
// insertion order.
func claimMany(t *testing.T, s *store.Store, owner string, n int) []store.DueArticle {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO articles (canonical_url, title, summary, next_check_at, first_seen_at)
        SELECT 'https://' || gen_random_uuid() || '.example/a', 'Feed title ' || i, 'A summary.', now(), now() - i * interval '1 second'
        FROM generate_series(1, $1) AS i`, n); err != nil {
		t.Fatal(err)
	}
	due, err := s.ClaimDueArticles(ctx, owner, time.Minute, n, 0)
	if err != nil || len(due) != n {
		t.Fatalf("claim: %v, %d articles, want %d", err, len(due), n)
	}
	return due
}

func prepare(t *testing.T, as store.ArticleSave) store.PreparedSave {
	t.Helper()
	p, ok, err := store.PrepareSave(as)
	if err != nil || !ok {
		t.Fatalf("prepare save of article %d: ok %v, %v", as.ID, ok, err)
	}
	return p
}

// A batch of saves commits together: a save whose lease was lost writes
// nothing and says so, the others land; a statement that fails undoes the
// whole batch. Saves that must read first are not prepared.
func TestSaveArticlesBatch(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	due := claimMany(t, s, "me", 3)
	if _, err := s.Pool.Exec(ctx, `UPDATE articles SET lease_owner = 'other' WHERE id = $1`, due[1].ID); err != nil {
		t.Fatal(err)
	}
	var batch []store.PreparedSave
	for i, a := range due {
		batch = append(batch, prepare(t, saveOf(a, "me", fmt.Sprintf("h%d", i), fmt.Sprintf("Data security rules, part %d.", i))))
	}
	out, err := s.SaveArticles(ctx, batch)
	if err != nil || len(out) != 3 {
		t.Fatalf("batch: %v, %d outcomes", err, len(out))
	}
	for i, o := range out {
		lost := i == 1
		if lost != errors.Is(o.Err, store.ErrLeaseLost) || (!lost && o.Err != nil) {
			t.Errorf("save %d: %v, want lease lost %v", i, o.Err, lost)
		}
		if !lost && (!o.Result.NewRevision || o.Result.Revision != 1 || !o.Result.Decided || !o.Result.Relevant) {
			t.Errorf("save %d: %+v, want a first revision, decided relevant", i, o.Result)
		}
	}
	var fetched []int64
	rows, _ := s.Pool.Query(ctx, `SELECT id FROM articles WHERE fetch_state = 'fetched' AND body_text LIKE 'Data security%' ORDER BY id`)
	fetched, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || !slices.Equal(fetched, []int64{due[0].ID, due[2].ID}) {
		t.Errorf("fetched articles %v (%v), want %d and %d", fetched, err, due[0].ID, due[2].ID)
	}
	if r, c := counts(t, s); r != 2 || c != 4 {
		t.Errorf("%d revisions and %d classifications, want 2 and 4", r, c)
	}

	// A failing statement (text PostgreSQL refuses) undoes the batch.
	more := claimMany(t, s, "me", 2)
	bad := saveOf(more[1], "me", "hb", "Data security\x00 rules.")
	_, err = s.SaveArticles(ctx, []store.PreparedSave{prepare(t, saveOf(more[0], "me", "ha", "Data security rules.")), prepare(t, bad)})
	if err == nil {
		t.Fatal("a batch with a text PostgreSQL refuses was stored")
	}
	var pending int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM articles WHERE id = ANY ($1) AND fetch_state = 'pending'`, []int64{more[0].ID, more[1].ID}).Scan(&pending); err != nil || pending != 2 {
		t.Errorf("after the failed batch %d of its 2 articles are pending (%v), want both", pending, err)
	}

	// An edit needs the text it replaces, and a save without the claimed
	// state needs it read: neither is prepared.
	edit := saveOf(due[0], "me", "h-new", "New text.")
	edit.Prev.ContentHash, edit.Prev.Revision = "h0", 1
	noPrev := saveOf(due[2], "me", "h2", "Text.")
	noPrev.Prev = nil
	for _, as := range []store.ArticleSave{edit, noPrev} {
		if _, ok, err := store.PrepareSave(as); ok || err != nil {
			t.Errorf("prepared a save that must read first (%+v): ok %v, %v", as.Prev, ok, err)
		}
	}
}
