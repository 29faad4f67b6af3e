package store

import (
	"context"
	"fmt"
	"time"
)

// SourceSuccess is when an enabled source was last polled successfully.
type SourceSuccess struct {
	Name   string
	LastOK time.Time // zero when it never was
}

const qSourceLastSuccess = `SELECT name, last_ok_at FROM sources WHERE enabled ORDER BY name`

// SourceLastSuccess lists every enabled source with its last successful
// poll (a feed or listing read, or a 304), for the per-source metric.
func (s *Store) SourceLastSuccess(ctx context.Context) ([]SourceSuccess, error) {
	rows, err := s.Pool.Query(ctx, qSourceLastSuccess)
	if err != nil {
		return nil, fmt.Errorf("store: last successful polls: %w", err)
	}
	defer rows.Close()
	var out []SourceSuccess
	for rows.Next() {
		var r SourceSuccess
		var t *time.Time
		if err := rows.Scan(&r.Name, &t); err != nil {
			return nil, fmt.Errorf("store: last successful polls: %w", err)
		}
		if t != nil {
			r.LastOK = *t
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: last successful polls: %w", err)
	}
	return out, nil
}
