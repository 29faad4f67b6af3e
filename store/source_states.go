package store

import (
	"context"
	"fmt"
	"time"
)

// SourceState is the poll state of an enabled source, for the per-source
// metric and the first-poll summary of `wirewatch run`.
type SourceState struct {
	Name      string
	LastOK    time.Time // last successful poll (feed or listing read, or 304); zero if none
	PolledAt  time.Time // last poll, successful or not; zero if none
	LastError string    // why the last poll failed; "" after a success
	NextPoll  time.Time // when it is due
}

const qSourceStates = `
SELECT name, last_ok_at, last_polled_at, coalesce(last_error, ''), next_poll_at
FROM sources WHERE enabled ORDER BY name`

// SourceStates lists every enabled source with its last poll and last
// successful poll.
func (s *Store) SourceStates(ctx context.Context) ([]SourceState, error) {
	rows, err := s.Pool.Query(ctx, qSourceStates)
	if err != nil {
		return nil, fmt.Errorf("store: source poll states: %w", err)
	}
	defer rows.Close()
	var out []SourceState
	for rows.Next() {
		var r SourceState
		var ok, polled *time.Time
		if err := rows.Scan(&r.Name, &ok, &polled, &r.LastError, &r.NextPoll); err != nil {
			return nil, fmt.Errorf("store: source poll states: %w", err)
		}
		if ok != nil {
			r.LastOK = *ok
		}
		if polled != nil {
			r.PolledAt = *polled
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: source poll states: %w", err)
	}
	return out, nil
}
