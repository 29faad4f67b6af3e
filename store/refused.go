package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// qMarkRefused stores an article whose fetch was refused for good: no
// more checks, and the reason kept.
const qMarkRefused = `
UPDATE articles SET fetch_state = 'refused', fetch_attempts = fetch_attempts + 1, fetch_error = $3,
       last_checked_at = now(), next_check_at = NULL, lease_until = NULL, lease_owner = NULL
WHERE id = $1 AND lease_owner = $2`

// qCancelRefused withdraws what still waits to be sent about a refused
// article (rows already in a digest stay with it).
const qCancelRefused = `
UPDATE deliveries SET status = 'cancelled', error = 'the article''s fetch was refused: ' || $2, updated_at = now()
WHERE article_id = $1 AND status = 'pending' AND digest_id IS NULL`

// MarkRefused records that an article's fetch was refused for good (an
// unsafe address, robots.txt, a permanent 4xx, a body too large): the
// article is kept as 'refused', never fetched again and never alerted, and
// deliveries still waiting for it are cancelled. It returns how many were
// cancelled. A lease lost to another worker gives ErrLeaseLost.
func (s *Store) MarkRefused(ctx context.Context, id int64, owner, reason string) (int, error) {
	cancelled := 0
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qMarkRefused, id, owner, reason)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrLeaseLost
		}
		tag, err = tx.Exec(ctx, qCancelRefused, id, reason)
		cancelled = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: mark article %d refused: %w", id, err)
	}
	return cancelled, nil
}
