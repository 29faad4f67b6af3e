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
SELECT name, coalesce(last_ok_at, '0001-01-01Z'), coalesce(last_polled_at, '0001-01-01Z'), coalesce(last_error, ''), next_poll_at
FROM sources WHERE enabled ORDER BY name`

// SourceStates lists every enabled source with its last poll and last
// successful poll.
func (s *Store) SourceStates(ctx context.Context) ([]SourceState, error) {
	return queryRows[SourceState](ctx, s.Pool, "source poll states", qSourceStates)
}

// SourcesAwaitingPoll counts the enabled sources that were due at t and
// have not been polled since.
func (s *Store) SourcesAwaitingPoll(ctx context.Context, t time.Time) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM sources
WHERE enabled AND next_poll_at <= $1 AND (last_polled_at IS NULL OR last_polled_at < $1)`, t).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: sources awaiting their poll: %w", err)
	}
	return n, nil
}
