package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// deliveries.error never holds a webhook URL's secret path, its user info
// or a query token, whatever the sender's error text says.
func TestDeliveryErrorsAreRedacted(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	var id int64
	err := db.Store.Pool.QueryRow(ctx, `
WITH s AS (INSERT INTO subscribers (name) VALUES ('s') RETURNING id),
     a AS (INSERT INTO articles (canonical_url) VALUES ('https://x.example/1') RETURNING id)
INSERT INTO deliveries (subscriber_id, article_id, channel, mode, event, status, lease_owner, lease_until)
SELECT s.id, a.id, 'webhook', 'immediate', 'new', 'sending', 'me', now() + interval '1 minute' FROM s, a
RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "T00000000/B00000000/XXXXSecretPathXXXX"
	reason := `webhook for s: Post "https://ops:pwSecretPathPw@hooks.slack.com/services/` + secret + `?token=` + secret + `": dial tcp: i/o timeout`
	ok, err := db.Store.RecordDelivery(ctx, store.Outcome{ID: id, Owner: "me", Status: "pending", At: time.Now(), Next: time.Now(), Reason: reason, Response: "echo https://hooks.slack.com/services/" + secret})
	if err != nil || !ok {
		t.Fatalf("RecordDelivery: %v %v", ok, err)
	}
	var stored, resp string
	if err := db.Store.Pool.QueryRow(ctx, `SELECT error, last_response FROM deliveries WHERE id = $1`, id).Scan(&stored, &resp); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored+resp, "SecretPath") {
		t.Errorf("deliveries holds the secret: error %q, last_response %q", stored, resp)
	}
	if !strings.Contains(stored, "hooks.slack.com") || !strings.Contains(stored, "i/o timeout") {
		t.Errorf("the redacted error lost its use: %q", stored)
	}
}
