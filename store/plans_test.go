package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// The outbox's lookups are served by indexes: the deliveries table only
// grows, and a scan of all of it per article (or per alert pass) would make
// each one cost as much as the whole history. On a table of 24,000
// deliveries, a tenth of them waiting (a backlog after a burst), the plans
// must use the indexes meant for them.
func TestOutboxLookupsUseIndexes(t *testing.T) {
	ctx := context.Background()
	pool := storetest.New(t).Store.Pool
	_, err := pool.Exec(ctx, `
INSERT INTO subscribers (name) VALUES ('s');
INSERT INTO articles (canonical_url) SELECT 'https://x.example/' || i FROM generate_series(1, 4000) i;
INSERT INTO deliveries (subscriber_id, article_id, channel, mode, event, status)
SELECT (SELECT id FROM subscribers), a.id, c, 'immediate', e, CASE WHEN a.id % 10 = 0 THEN 'pending' ELSE 'sent' END
FROM articles a, unnest(ARRAY['email', 'webhook']) c, unnest(ARRAY['new', 'changed', 'removed']) e;
ANALYZE deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, query, index string }{
		{"existing deliveries of an article", strings.ReplaceAll(store.QOutboxExisting, "$1", "1234"), "deliveries_article_idx"},
		{"waiting deliveries", store.QPendingDeliveries, "deliveries_due_idx"},
		{"deliveries being sent", store.QPendingDeliveries, "deliveries_sending_idx"},
		{"the sender's claim", strings.NewReplacer("$1", "now()", "$2", "60000", "$3", "'me'", "$4", "8", "$5", "ARRAY['email', 'slack', 'webhook']").Replace(store.QClaimDeliveries), "deliveries_immediate_due_idx"},
	} {
		var plan strings.Builder
		rows, err := pool.Query(ctx, "EXPLAIN "+tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), tc.index) {
			t.Errorf("%s: the plan does not use %s:\n%s", tc.name, tc.index, plan.String())
		}
	}
}
