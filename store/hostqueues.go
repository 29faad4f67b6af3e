package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// HostQueue is the fetch backlog of one host.
type HostQueue struct {
	Host string
	// Pending is how many articles wait for their first fetch.
	Pending int
	// OldestAge is how long the oldest of them has waited since it was
	// found (0 when none waits).
	OldestAge time.Duration
}

// qHostQueues lists every host of an enabled source (at 0 when nothing
// waits) and every host with articles waiting for their first fetch.
var qHostQueues = `
SELECT host, count(first_seen_at)::int,
       coalesce(extract(epoch FROM now() - min(first_seen_at)), 0)::float8
FROM (
    SELECT ` + fmt.Sprintf(hostOfURL, "url") + ` AS host, NULL::timestamptz AS first_seen_at
    FROM sources WHERE enabled
    UNION ALL
    SELECT nullif(host, ''), first_seen_at
    FROM articles WHERE fetch_state = 'pending' AND next_check_at IS NOT NULL) q
WHERE host IS NOT NULL
GROUP BY host ORDER BY host`

// HostQueues returns the per-host fetch backlog, for the
// wirewatch_host_queue_depth and wirewatch_host_oldest_pending_seconds
// metrics.
func (s *Store) HostQueues(ctx context.Context) ([]HostQueue, error) {
	rows, err := s.Pool.Query(ctx, qHostQueues)
	if err != nil {
		return nil, fmt.Errorf("store: host queues: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HostQueue, error) {
		var q HostQueue
		var age float64
		err := r.Scan(&q.Host, &q.Pending, &age)
		q.OldestAge = time.Duration(age * float64(time.Second))
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: host queues: %w", err)
	}
	return out, nil
}
