package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// A source counts as awaiting its poll when it is enabled, was due at the
// time asked and has not been polled since.
func TestSourcesAwaitingPoll(t *testing.T) {
	// (Alike by design: a database test's imports and first lines, as in
	// every such file.)
	ctx := context.Background()
	s := storetest.New(t).Store
	at := time.Now().Add(-time.Minute)
	for _, q := range []string{
		`INSERT INTO sources (name, outlet, kind, url, next_poll_at) VALUES ('never', 'X', 'feed', 'https://a.example/f', $1::timestamptz - interval '1 hour')`,
		`INSERT INTO sources (name, outlet, kind, url, next_poll_at, last_polled_at) VALUES ('before', 'X', 'feed', 'https://b.example/f', $1, $1::timestamptz - interval '1 hour')`,
		`INSERT INTO sources (name, outlet, kind, url, next_poll_at, last_polled_at) VALUES ('since', 'X', 'feed', 'https://c.example/f', $1::timestamptz + interval '30 minutes', $1::timestamptz + interval '1 second')`,
		`INSERT INTO sources (name, outlet, kind, url, next_poll_at) VALUES ('not due', 'X', 'feed', 'https://d.example/f', $1::timestamptz + interval '1 hour')`,
		`INSERT INTO sources (name, outlet, kind, url, next_poll_at, enabled) VALUES ('disabled', 'X', 'feed', 'https://e.example/f', $1::timestamptz - interval '1 hour', false)`,
	} {
		if _, err := s.Pool.Exec(ctx, q, at); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.SourcesAwaitingPoll(ctx, at); err != nil || n != 2 {
		t.Errorf("%d awaiting (%v), want 2: the source never polled and the one polled before", n, err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE sources SET last_polled_at = $1::timestamptz + interval '2 seconds'`, at); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SourcesAwaitingPoll(ctx, at); err != nil || n != 0 {
		t.Errorf("%d awaiting (%v) after every poll, want 0", n, err)
	}
}

// Several sources' health recorded in one batch: each gets the state it
// had before, a source that is gone says so without failing the others,
// and a second write of the same state keeps when it began.
func TestSetSourceHealths(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	var ids []int64
	for _, name := range []string{"b", "a", "c"} {
		var id int64
		if err := s.Pool.QueryRow(ctx, `INSERT INTO sources (name, outlet, kind, url) VALUES ($1, 'X', 'feed', 'https://' || $1 || '.example/f') RETURNING id`, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	newest := time.Now().Add(-time.Hour).Truncate(time.Second)
	ws := []store.SourceHealthWrite{
		{SourceID: ids[2], State: "stale", Reason: "nothing new", Newest: &newest, Gap: time.Hour},
		{SourceID: ids[0], State: "ok", Newest: &newest},
		{SourceID: -1, State: "ok"},
		{SourceID: ids[1], State: "broken", Reason: "HTTP 500"},
	}
	out, err := s.SetSourceHealths(ctx, ws)
	if err != nil || len(out) != len(ws) {
		t.Fatalf("%d results, %v", len(out), err)
	}
	for i, o := range out {
		if gone := ws[i].SourceID == -1; gone != errors.Is(o.Err, store.ErrNotFound) || (!gone && o.Err != nil) {
			t.Errorf("write %d: %v", i, o.Err)
		}
		// A source never out of ok has no start of its state.
		if ws[i].SourceID > 0 && (o.Prev != "ok" || (o.Since == nil) != (ws[i].State == "ok")) {
			t.Errorf("write %d: before %q since %v, want ok, and a start unless still ok", i, o.Prev, o.Since)
		}
	}
	h, err := s.SourceHealth(ctx, ids[2])
	if err != nil || h.State != "stale" || h.Reason != "nothing new" || h.Gap != time.Hour || h.Newest == nil || !h.Newest.Equal(newest) {
		t.Errorf("stored %+v, %v", h, err)
	}
	again, err := s.SetSourceHealths(ctx, []store.SourceHealthWrite{ws[0]})
	if err != nil || again[0].Prev != "stale" || !again[0].Since.Equal(*out[0].Since) {
		t.Errorf("the same state again: %+v, %v; want it kept since %v", again, err, out[0].Since)
	}
}
