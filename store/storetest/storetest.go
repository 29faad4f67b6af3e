// Package storetest gives each test its own fresh, migrated PostgreSQL
// database, cloned from a template that is migrated once per set of
// migration files. It reads WIREWATCH_TEST_DATABASE_URL (default: the local
// server on 127.0.0.1:5432 as postgres).
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// DefaultURL is the test server used when WIREWATCH_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL returns the URL of the test server's maintenance database.
func AdminURL() string {
	if u := os.Getenv("WIREWATCH_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// WithDatabase returns u with its database name replaced.
func WithDatabase(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + name
	return p.String()
}

func templateName() (string, error) {
	ms, err := store.Migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		io.WriteString(h, m.Name)
		io.WriteString(h, m.SQL)
	}
	return "wirewatch_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// ensureTemplate creates and migrates the template database once, under an
// advisory lock, so parallel test binaries share it.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, adminURL string) (string, error) {
	name, err := templateName()
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(7710)`); err != nil {
		return "", err
	}
	defer admin.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7710)`)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// A half-made template from a crashed run is dropped and rebuilt.
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	cfg := config.Default().Database
	cfg.URL = WithDatabase(adminURL, name)
	cfg.CreateDatabase = false
	s, err := store.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	_, err = s.Migrate(ctx)
	s.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH IS_TEMPLATE true"); err != nil {
		return "", err
	}
	return name, nil
}

// Database is a fresh test database.
type Database struct {
	// URL connects to it.
	URL string
	// Name is its name.
	Name string
	// Store is an open store on it, closed at cleanup.
	Store *store.Store
}

// Config returns a database section for it, as the daemon would use.
func (d *Database) Config() config.Database {
	cfg := config.Default().Database
	cfg.URL = d.URL
	cfg.CreateDatabase = false
	cfg.Migrate = false
	cfg.ConnectTimeout = 5 * time.Second
	cfg.RetryMax = 500 * time.Millisecond
	return cfg
}

// New creates a migrated database for t and drops it when t ends. It fails
// the test when the server is unreachable: the suite needs PostgreSQL
// (.ci/run starts it).
func New(t testing.TB) *Database {
	t.Helper()
	return create(t, true)
}

// NewEmpty creates an empty, unmigrated database for t.
func NewEmpty(t testing.TB) *Database {
	t.Helper()
	return create(t, false)
}

func create(t testing.TB, migrated bool) *Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adminURL := AdminURL()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("storetest: connect to the test PostgreSQL at %s: %v (start it, or set WIREWATCH_TEST_DATABASE_URL)", config.RedactURL(adminURL), err)
	}
	defer admin.Close(context.Background())
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "wirewatch_test_" + hex.EncodeToString(b[:])
	stmt := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if migrated {
		tmpl, err := ensureTemplate(ctx, admin, adminURL)
		if err != nil {
			t.Fatalf("storetest: template database: %v", err)
		}
		stmt += " TEMPLATE " + pgx.Identifier{tmpl}.Sanitize()
	}
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		// "source database is being accessed by other users": another
		// package is cloning the same template right now.
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "55006" && attempt < 50 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		break
	}
	if err != nil {
		t.Fatalf("storetest: %s: %v", stmt, err)
	}
	d := &Database{URL: WithDatabase(adminURL, name), Name: name}
	s, err := store.Open(ctx, d.Config(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("storetest: open %s: %v", name, err)
	}
	d.Store = s
	t.Cleanup(func() {
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			t.Logf("storetest: drop %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil && !strings.Contains(err.Error(), "does not exist") {
			t.Logf("storetest: drop %s: %v", name, err)
		}
	})
	return d
}
