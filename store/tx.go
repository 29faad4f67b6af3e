package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Tx is one unit of work in one database transaction. The daemon stores an
// article, its decision and the deliveries planned for it in one Tx, so they
// commit or roll back together.
type Tx struct{ tx pgx.Tx }

// InTx runs fn in a transaction: committed when fn returns nil, rolled back
// otherwise. fn's error is returned as it is (ErrLeaseLost stays
// recognisable).
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	var fnErr error
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		fnErr = fn(&Tx{tx: tx})
		return fnErr
	})
	if err != nil && fnErr == nil { // begin or commit failed
		return fmt.Errorf("store: transaction: %w", err)
	}
	return err
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// queryRows runs q on db and scans every row into a T, column by field in
// order; what names the read in errors.
func queryRows[T any](ctx context.Context, db execer, what, q string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[T])
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}
