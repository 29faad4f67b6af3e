package store

import (
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/migrations"
)

// The stored articles.host column (migration 015) is computed by the same
// expression as the hosts of sources (hostOfURL): the claim and the queue
// metrics compare the two.
func TestHostColumnMatchesHostOfURL(t *testing.T) {
	b, err := migrations.FS.ReadFile("015_claim_by_host.sql")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(hostOfURL, "%s", "canonical_url")
	if !strings.Contains(string(b), want) {
		t.Errorf("migration 015's host column is not %s", want)
	}
}
