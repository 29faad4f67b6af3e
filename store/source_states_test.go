package store_test

import (
	"context"
	"testing"
	"time"

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
