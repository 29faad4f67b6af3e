package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/migrations"
)

// Migration is one numbered SQL file.
type Migration struct {
	Version  int
	Name     string
	SQL      string
	Checksum string
}

// migrationLock is the advisory lock key that serialises migrators.
const migrationLock = 0x77697265 // "wire"

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) { return loadMigrations(migrations.FS) }

func loadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: list migrations: %w", err)
	}
	var out []Migration
	for _, n := range names {
		num, _, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("store: migration %s: name must start with a number and an underscore", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", n, err)
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: v, Name: n, SQL: string(b), Checksum: hex.EncodeToString(sum[:8])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 1, 2, 3… without gaps; %s is number %d", m.Name, i+1)
		}
	}
	return out, nil
}

// LatestVersion is the highest migration this binary knows.
func LatestVersion() int {
	ms, err := Migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// SchemaVersion returns the highest applied migration (0 on an empty database).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := s.Pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// CheckSchema returns ErrSchemaTooNew or ErrSchemaBehind when the database
// is not at the version this binary knows.
func (s *Store) CheckSchema(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	latest := LatestVersion()
	switch {
	case v > latest:
		return fmt.Errorf("%w: database is at version %d, this binary knows up to %d; upgrade wirewatch", ErrSchemaTooNew, v, latest)
	case v < latest:
		return fmt.Errorf("%w (database at %d, binary at %d)", ErrSchemaBehind, v, latest)
	}
	return nil
}

// Migrate applies pending migrations in order, each in its own transaction
// and recorded in schema_migrations, under an advisory lock so replicas
// starting together do not race. It refuses a schema newer than it knows.
// It returns the number of migrations applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := Migrations()
	if err != nil {
		return 0, err
	}
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return 0, fmt.Errorf("store: migrate: take lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	}()
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	applied := map[int]string{}
	rows, err := conn.Query(ctx, `SELECT version, checksum FROM schema_migrations`)
	if err != nil {
		return 0, fmt.Errorf("store: migrate: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return 0, fmt.Errorf("store: migrate: %w", err)
		}
		applied[v] = sum
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	latest := ms[len(ms)-1].Version
	for v := range applied {
		if v > latest {
			return 0, fmt.Errorf("%w: database has migration %d, this binary knows up to %d; upgrade wirewatch", ErrSchemaTooNew, v, latest)
		}
	}
	n := 0
	for _, m := range ms {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				s.log.Warn("applied migration differs from the embedded file", "migration", m.Name, "applied_checksum", sum, "file_checksum", m.Checksum)
			}
			continue
		}
		start := time.Now()
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, m.Version, m.Name, m.Checksum)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		s.log.Info("applied migration", "migration", m.Name, "took", time.Since(start))
		n++
	}
	return n, nil
}
