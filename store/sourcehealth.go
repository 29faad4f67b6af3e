package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// SourceHealth is the recorded health of one source (migration 009).
type SourceHealth struct {
	SourceID int64
	Name     string
	// State is ok, stale, broken, blocked or challenge.
	State  string
	Reason string
	// Since is when State began (nil for a source never out of ok).
	Since *time.Time
	// Newest is the publication time of the newest item listed.
	Newest *time.Time
	// Gap is the usual gap between items (0 when unknown).
	Gap time.Duration
	// RuleMisses counts articles in a row whose site rule found no body.
	RuleMisses int
}

const sourceHealthColumns = `id, name, health_state, health_reason, health_since, newest_item_at, coalesce(usual_gap, '0'::interval), rule_misses`

// SourceHealth reads one source's health.
func (s *Store) SourceHealth(ctx context.Context, sourceID int64) (SourceHealth, error) {
	var h SourceHealth
	err := s.Pool.QueryRow(ctx, `SELECT `+sourceHealthColumns+` FROM sources WHERE id = $1`, sourceID).
		Scan(&h.SourceID, &h.Name, &h.State, &h.Reason, &h.Since, &h.Newest, &h.Gap, &h.RuleMisses)
	if err != nil {
		return h, fmt.Errorf("store: health of source %d: %w", sourceID, interpretError(err))
	}
	return h, nil
}

// setSourceHealth writes a source's health and returns the state it had
// before, read under the row lock: of several replicas judging one source,
// exactly one sees a given change.
const setSourceHealth = `
WITH old AS (SELECT id, health_state FROM sources WHERE id = $1 FOR UPDATE)
UPDATE sources s SET
    health_state = $2,
    health_reason = $3,
    health_since = CASE WHEN old.health_state = $2 THEN s.health_since ELSE now() END,
    newest_item_at = $4,
    usual_gap = $5
FROM old WHERE s.id = old.id
RETURNING old.health_state, s.health_since`

// SetSourceHealth records a source's state, reason, newest item time and
// usual gap. It returns the state the row had before (read under the row
// lock, so the caller that sees prev != state is the one that changed it)
// and when the current state began.
func (s *Store) SetSourceHealth(ctx context.Context, sourceID int64, state, reason string, newest *time.Time, gap time.Duration) (prev string, since *time.Time, err error) {
	out, err := s.SetSourceHealths(ctx, []SourceHealthWrite{{SourceID: sourceID, State: state, Reason: reason, Newest: newest, Gap: gap}})
	if err == nil {
		err = out[0].Err
	}
	if err != nil {
		return "", nil, err
	}
	return out[0].Prev, out[0].Since, nil
}

// SourceHealthWrite is one source's health to record (SetSourceHealths).
type SourceHealthWrite struct {
	SourceID      int64
	State, Reason string
	Newest        *time.Time
	Gap           time.Duration
}

// SourceHealthSet is what SetSourceHealths did for one source: the state
// it had before and when the current state began. Err is ErrNotFound for
// a source that is gone.
type SourceHealthSet struct {
	Prev  string
	Since *time.Time
	Err   error
}

// SetSourceHealths records several sources' health (as SetSourceHealth)
// in one round trip and one transaction: the first poll of every source
// records its first state, so a cold start writes as many as there are
// sources. The rows are locked in the order of their ids, so that two
// such writes never wait for each other in a circle. Any error but a
// missing source is the whole batch's, and nothing of it is written.
func (s *Store) SetSourceHealths(ctx context.Context, ws []SourceHealthWrite) ([]SourceHealthSet, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	order := make([]int, len(ws))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ws[a].SourceID, ws[b].SourceID) })
	b := &pgx.Batch{}
	for _, i := range order {
		w := ws[i]
		var g *time.Duration
		if w.Gap > 0 {
			g = &w.Gap
		}
		b.Queue(setSourceHealth, w.SourceID, w.State, w.Reason, w.Newest, g)
	}
	out := make([]SourceHealthSet, len(ws))
	err := func() (err error) {
		br := s.Pool.SendBatch(ctx, b)
		defer func() {
			if cerr := br.Close(); err == nil {
				err = cerr
			}
		}()
		for _, i := range order {
			err := br.QueryRow().Scan(&out[i].Prev, &out[i].Since)
			if errors.Is(err, pgx.ErrNoRows) {
				out[i].Err = fmt.Errorf("store: set health of source %d: %w", ws[i].SourceID, ErrNotFound)
				continue
			}
			if err != nil {
				return fmt.Errorf("source %d: %w", ws[i].SourceID, err)
			}
		}
		return nil
	}()
	if err != nil {
		return nil, fmt.Errorf("store: set health of %d sources: %w", len(ws), interpretError(err))
	}
	return out, nil
}

// RecordRuleMiss counts an article of the source whose site rule found no
// body (hit false) or resets the count (hit true), and returns the count.
func (s *Store) RecordRuleMiss(ctx context.Context, sourceID int64, hit bool) (int, error) {
	q := `UPDATE sources SET rule_misses = rule_misses + 1 WHERE id = $1 RETURNING rule_misses`
	if hit {
		q = `UPDATE sources SET rule_misses = 0 WHERE id = $1 RETURNING rule_misses`
	}
	var n int
	if err := s.Pool.QueryRow(ctx, q, sourceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: rule misses of source %d: %w", sourceID, interpretError(err))
	}
	return n, nil
}

// SourcesHealth lists the health of every enabled source, by name.
func (s *Store) SourcesHealth(ctx context.Context) ([]SourceHealth, error) {
	return queryRows[SourceHealth](ctx, s.Pool, "sources' health", `SELECT `+sourceHealthColumns+` FROM sources WHERE enabled ORDER BY name`)
}
