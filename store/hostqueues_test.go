package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/store/storetest"
)

// HostQueues counts the articles waiting for a first fetch per host (port
// included, user info not), and lists an enabled source's host at 0.
func TestHostQueues(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	_, err := db.Store.Pool.Exec(ctx, `
INSERT INTO sources (name, outlet, kind, url, language) VALUES ('q', 'Q', 'feed', 'https://quiet.example/feed.xml', 'en');
INSERT INTO articles (canonical_url, first_seen_at) SELECT 'https://busy.example/' || i, now() - interval '10 minutes' FROM generate_series(1, 30) i;
INSERT INTO articles (canonical_url) VALUES ('http://u@Other.example:8080/a');
INSERT INTO articles (canonical_url, fetch_state) VALUES ('https://busy.example/done', 'fetched')`)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := db.Store.HostQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, q := range qs {
		got[q.Host] = q.Pending
		if q.Host == "busy.example" && (q.OldestAge.Minutes() < 9 || q.OldestAge.Minutes() > 60) {
			t.Errorf("busy.example oldest pending age %v, want about 10m", q.OldestAge)
		}
	}
	want := map[string]int{"busy.example": 30, "other.example:8080": 1, "quiet.example": 0}
	for h, n := range want {
		if v, ok := got[h]; !ok || v != n {
			t.Errorf("host %s: %d pending (listed %v), want %d; all %v", h, v, ok, n, got)
		}
	}
}

// The claim takes hosts in turn and caps a host's leased articles: a
// 1,000-article backlog from one host does not keep a later article of
// another host out of the first claim.
func TestClaimTakesHostsInTurn(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	_, err := db.Store.Pool.Exec(ctx, `
INSERT INTO articles (canonical_url, first_seen_at, next_check_at)
SELECT 'https://big.example/' || i, now() - interval '1 hour', now() - interval '1 hour' FROM generate_series(1, 1000) i;
INSERT INTO articles (canonical_url) VALUES ('https://small.example/new')`)
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := db.Store.ClaimDueArticles(ctx, "me", time.Minute, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	perHost := map[string]int{}
	for _, a := range claimed {
		perHost[strings.SplitN(a.URL, "/", 4)[2]]++
	}
	if perHost["small.example"] != 1 || perHost["big.example"] != 3 {
		t.Errorf("first claim took %v, want small.example 1 and big.example 3 (the per-host cap)", perHost)
	}
	// The next claim adds nothing for big.example while its 3 are leased.
	more, err := db.Store.ClaimDueArticles(ctx, "me", time.Minute, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(more) != 0 {
		t.Errorf("second claim took %d articles while big.example was at its cap", len(more))
	}
}
