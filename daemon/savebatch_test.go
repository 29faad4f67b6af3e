package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// Saves finished at the same moment go out in one batch. When one of them
// fails, the others are stored all the same (each sent alone after the
// batch was undone) and only the failing one reports an error.
func TestSaveBatcherStoresTheRestWhenOneFails(t *testing.T) {
	// (Alike by design: a database test's imports and first lines, as in
	// the other tests of this package.)
	ctx := context.Background()
	st := storetest.New(t).Store
	const n = 4
	for i := range n {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO articles (canonical_url, title, summary, next_check_at) VALUES ($1, 'T', 'S', now())`,
			fmt.Sprintf("https://s%d.example/a", i)); err != nil {
			t.Fatal(err)
		}
	}
	due, err := st.ClaimDueArticles(ctx, "me", time.Minute, n, 0)
	if err != nil || len(due) != n {
		t.Fatalf("claim: %v, %d", err, len(due))
	}
	b := newSaveBatcher(st, 1)
	d := &Daemon{st: st, saves: b}
	b.leading = 1 // a batch in flight: the saves below wait, and go out together
	results := make([]error, n)
	var wg sync.WaitGroup
	for i, a := range due {
		text := "Cyber rules."
		if i == 2 {
			text = "Cyber\x00 rules." // PostgreSQL refuses NUL in text
		}
		save := store.ArticleSave{ID: a.ID, Owner: "me", ContentHash: fmt.Sprint("h", i),
			Extracted:      model.Extracted{Title: "Title", Text: text, Method: "rule"},
			Classification: model.Classification{Version: "v1"}, Prev: a.State()}
		wg.Go(func() { _, results[i] = d.saveArticle(ctx, save) })
		waitPending(b, i+1)
	}
	b.sendBatch(ctx, nil)
	wg.Wait()
	for i, err := range results {
		if (i == 2) != (err != nil) {
			t.Errorf("save %d: %v", i, err)
		}
	}
	var stored int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched'`).Scan(&stored); err != nil || stored != n-1 {
		t.Errorf("%d articles stored (%v), want %d", stored, err, n-1)
	}
	if errors.Is(results[2], store.ErrLeaseLost) {
		t.Errorf("the refused save reports a lost lease: %v", results[2])
	}
}

// Only a statement refused sends a batch's saves again one by one; a
// connection, login or server failure would fail each of them too.
func TestRefusedOne(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "22021"}, true}, // invalid byte sequence
		{fmt.Errorf("store: save: %w", &pgconn.PgError{Code: "23505"}), true},
		{&pgconn.PgError{Code: "40P01"}, true}, // deadlock: alone, no other row to wait for
		{&pgconn.PgError{Code: "57P01"}, false},
		{&pgconn.PgError{Code: "08006"}, false},
		{&pgconn.PgError{Code: "53300"}, false},
		{&pgconn.PgError{Code: "28P01"}, false},
		{context.DeadlineExceeded, false},
		{errors.New("connection refused"), false},
	} {
		if got := refusedOne(c.err); got != c.want {
			t.Errorf("refusedOne(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
