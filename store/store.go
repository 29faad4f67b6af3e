// Package store is wirewatch's PostgreSQL layer (pgx/v5): connecting with
// retries, migrations, and one file per table family with its SQL beside it.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wirewatch/wirewatch/config"
)

// Errors callers branch on.
// (Alike by design: a package's sentinel errors, declared as in fetch/errors.go.)
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrSchemaTooNew means the database was migrated by a newer wirewatch.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary knows")
	// ErrSchemaBehind means migrations are pending and were not applied.
	ErrSchemaBehind = errors.New("store: database schema is older than this binary; run `wirewatch migrate`")
)

// Store wraps the connection pool.
type Store struct {
	Pool *pgxpool.Pool
	log  *slog.Logger
}

// interpretError translates driver errors into the package's sentinels.
func interpretError(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// PoolConfig builds a pgxpool configuration from the database section.
func PoolConfig(cfg config.Database) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx quotes the string it could not parse; never show it.
		return nil, fmt.Errorf("store: parse database url %s: invalid connection string", config.RedactURL(cfg.URL))
	}
	if cfg.Password != "" {
		pc.ConnConfig.Password = cfg.Password.Reveal()
	}
	pc.MaxConns = int32(cfg.MaxConns)
	pc.MinConns = 0
	pc.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	pc.HealthCheckPeriod = config.DefaultPoolHealthCheck
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "wirewatch"
	// No JIT compilation: wirewatch's statements are short, and a plan
	// whose estimate passes jit_above_cost (the fair claim's per-host
	// steps, estimated for 200 hosts) spent 50-95 ms compiling for a few
	// milliseconds of work, on every claim.
	if _, set := pc.ConnConfig.RuntimeParams["jit"]; !set {
		pc.ConnConfig.RuntimeParams["jit"] = "off"
	}
	return pc, nil
}

// Open connects once: it creates the database first when it is missing and
// cfg.CreateDatabase is set, and pings it.
func Open(ctx context.Context, cfg config.Database, logger *slog.Logger) (*Store, error) {
	pc, err := PoolConfig(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: connect to %s: %w", config.RedactURL(cfg.URL), err)
	}
	err = pool.Ping(ctx)
	if err != nil && isMissingDatabase(err) && cfg.CreateDatabase {
		pool.Close()
		if cerr := createDatabase(ctx, pc); cerr != nil {
			return nil, cerr
		}
		logger.Info("created database", "database", pc.ConnConfig.Database)
		pool, err = pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return nil, fmt.Errorf("store: connect to %s: %w", config.RedactURL(cfg.URL), err)
		}
		err = pool.Ping(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", config.RedactURL(cfg.URL), err)
	}
	return &Store{Pool: pool, log: logger}, nil
}

// OpenRetry calls Open until it succeeds or ctx ends, waiting with capped
// exponential backoff and logging each failure: a daemon started before its
// database does not crash-loop.
func OpenRetry(ctx context.Context, cfg config.Database, logger *slog.Logger) (*Store, error) {
	wait := config.DefaultConnectRetryFirst
	for attempt := 1; ; attempt++ {
		s, err := Open(ctx, cfg, logger)
		if err == nil {
			if attempt > 1 {
				logger.Info("database reachable", "attempt", attempt)
			}
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000") {
			return nil, err // wrong credentials will not fix themselves
		}
		logger.Error("database unreachable, will retry", "error", err, "attempt", attempt, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = Backoff(wait, cfg.RetryMax)
	}
}

// Backoff doubles d with ±20% jitter, capped at maxWait.
func Backoff(d, maxWait time.Duration) time.Duration {
	d *= 2
	d += time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return min(d, maxWait)
}

// Close closes the pool.
func (s *Store) Close() { s.Pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

func isMissingDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "3D000"
}

func createDatabase(ctx context.Context, pc *pgxpool.Config) error {
	cc := pc.ConnConfig.Copy()
	name := cc.Database
	cc.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("store: connect to the postgres database to create %q: %w", name, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: create database %q: %w", name, err)
	}
	return nil
}

// DatabaseName returns the database a URL names, for messages.
func DatabaseName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}
