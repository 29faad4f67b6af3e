package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// Saves finished at the same moment go out in one batch. When one of them
// fails, the others are stored all the same (each sent alone after the
// batch was undone) and only the failing one reports an error.
func TestSaveBatcherStoresTheRestWhenOneFails(t *testing.T) {
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
		for {
			b.mu.Lock()
			k := len(b.pending)
			b.mu.Unlock()
			if k == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
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
