package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// qRelevantSince lists relevant articles published (first seen when the
// date is unknown) on or after $1, oldest first, refused ones left out.
const qRelevantSince = `
SELECT id FROM articles
WHERE relevant AND fetch_state <> 'refused' AND coalesce(published_at, first_seen_at) >= $1
ORDER BY coalesce(published_at, first_seen_at), id`

// RelevantSince returns the ids of the relevant articles published since
// the given time (what `wirewatch alert replay` offers to the outbox).
func (s *Store) RelevantSince(ctx context.Context, since time.Time) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, qRelevantSince, since)
	if err != nil {
		return nil, fmt.Errorf("store: relevant articles since %s: %w", since.Format(time.RFC3339), err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: relevant articles since %s: %w", since.Format(time.RFC3339), err)
	}
	return ids, nil
}
