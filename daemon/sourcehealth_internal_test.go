package daemon

import (
	"context"
	"log/slog"
	"testing"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// The first health lookup reads every enabled source at once: a later
// lookup of another source answers from what was read then, and a source
// added since is read on its own.
func TestSourceHealthReadsAllAtFirst(t *testing.T) {
	// (Alike by design: a database test's imports and first lines, as in
	// every such file.)
	ctx := context.Background()
	st := storetest.New(t).Store
	add := func(name string) int64 {
		var id int64
		if err := st.Pool.QueryRow(ctx, `INSERT INTO sources (name, outlet, kind, url, language) VALUES ($1, 'X', 'feed', $2, 'en') RETURNING id`,
			name, "https://"+name+".example/feed.xml").Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	a, b := add("a"), add("b")
	h := newSourceHealth(config.Fetch{}, Deps{Store: st}, slog.New(slog.DiscardHandler), nil)
	if cur, err := h.current(ctx, a); err != nil || cur.Name != "a" {
		t.Fatalf("source a: %+v, %v", cur, err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE sources SET health_state = 'broken' WHERE id = $1`, b); err != nil {
		t.Fatal(err)
	}
	if cur, err := h.current(ctx, b); err != nil || cur.Name != "b" || cur.State == "broken" {
		t.Errorf("source b: %+v, %v; want the state read with a's, before the change", cur, err)
	}
	c := add("c")
	if cur, err := h.current(ctx, c); err != nil || cur.Name != "c" {
		t.Errorf("source added later: %+v, %v", cur, err)
	}
	if _, err := h.current(ctx, -1); err == nil {
		t.Error("a source that does not exist was found")
	}
}
