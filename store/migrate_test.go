package store_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wirewatch/wirewatch/migrations"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

func TestMigrateFromEmptyThenIdempotent(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewEmpty(t)
	s := db.Store
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("empty database: version %d, %v", v, err)
	}
	if err := s.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) {
		t.Fatalf("CheckSchema on empty = %v, want ErrSchemaBehind", err)
	}
	n, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != store.LatestVersion() || n == 0 {
		t.Fatalf("applied %d migrations, want %d", n, store.LatestVersion())
	}
	n, err = s.Migrate(ctx)
	if err != nil || n != 0 {
		t.Fatalf("second Migrate applied %d, %v; want 0, nil", n, err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after migrate: %v", err)
	}
	var rows int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != store.LatestVersion() {
		t.Fatalf("schema_migrations has %d rows (%v)", rows, err)
	}
	for _, rel := range []string{"sources", "articles", "article_revisions", "classifications", "subscribers", "subscriptions", "deliveries", "digests", "relevant_articles"} {
		var ok bool
		if err := s.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, rel).Scan(&ok); err != nil || !ok {
			t.Errorf("relation %s missing (%v)", rel, err)
		}
	}
	var canSelect bool
	if err := s.Pool.QueryRow(ctx, `SELECT has_table_privilege('wirewatch_reader', 'relevant_articles', 'SELECT') AND NOT has_table_privilege('wirewatch_reader', 'articles', 'INSERT')`).Scan(&canSelect); err != nil || !canSelect {
		t.Fatalf("wirewatch_reader should read but not write (%v)", err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	next := store.LatestVersion() + 1
	if _, err := s.Pool.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, 'from_the_future.sql', 'x')`, next); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Migrate = %v, want ErrSchemaTooNew", err)
	}
	err := s.CheckSchema(ctx)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("CheckSchema = %v, want ErrSchemaTooNew", err)
	}
}

func TestConstraintsCarryInvariants(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	mustExec := func(sql string, args ...any) error {
		_, err := s.Pool.Exec(ctx, sql, args...)
		return err
	}
	isUnique := func(err error) bool {
		var pgErr *pgconn.PgError
		return errors.As(err, &pgErr) && pgErr.Code == "23505"
	}
	if err := mustExec(`INSERT INTO articles (canonical_url) VALUES ('https://a.example/1')`); err != nil {
		t.Fatal(err)
	}
	if err := mustExec(`INSERT INTO articles (canonical_url) VALUES ('https://a.example/1')`); !isUnique(err) {
		t.Fatalf("duplicate canonical_url: %v", err)
	}
	if err := mustExec(`INSERT INTO subscribers (name) VALUES ('desk')`); err != nil {
		t.Fatal(err)
	}
	ins := `INSERT INTO deliveries (subscriber_id, article_id, channel, mode) SELECT s.id, a.id, 'email', 'immediate' FROM subscribers s, articles a`
	if err := mustExec(ins); err != nil {
		t.Fatal(err)
	}
	if err := mustExec(ins); !isUnique(err) {
		t.Fatalf("second delivery of one article to one subscriber on one channel: %v", err)
	}
	dig := `INSERT INTO digests (subscriber_id, period_start, period_end) SELECT id, '2026-11-23 08:00Z', '2026-11-24 08:00Z' FROM subscribers`
	if err := mustExec(dig); err != nil {
		t.Fatal(err)
	}
	if err := mustExec(dig); !isUnique(err) {
		t.Fatalf("second digest for one period: %v", err)
	}
}

// Migration 013 moves each subscriber's email and webhook columns into
// subscriber_channels (a webhook disabled after a 410 stays disabled),
// lets deliveries take any channel name, and hides addresses from the
// analysts' role.
func TestMigrationMovesAddressesToChannels(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewEmpty(t).Store
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string) {
		b, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Pool.Exec(ctx, string(b)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, f := range files {
		if f < "013" {
			run(f)
		}
	}
	if _, err := s.Pool.Exec(ctx, `
INSERT INTO subscribers (name, email, webhook_url, webhook_disabled_at, webhook_disabled_reason) VALUES
 ('desk', 'desk@example.org', NULL, NULL, NULL),
 ('bridge', '', 'https://hooks.example.org/a', '2026-12-01T00:00Z', '410 Gone'),
 ('both', 'b@example.org', 'https://hooks.example.org/b', NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	run("013_channels.sql")
	rows, err := s.Pool.Query(ctx, `
SELECT s.name || ' ' || c.channel || ' ' || c.address || ' ' || coalesce(c.disabled_reason, '-')
FROM subscriber_channels c JOIN subscribers s ON s.id = c.subscriber_id ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"both email b@example.org -",
		"both webhook https://hooks.example.org/b -",
		"bridge webhook https://hooks.example.org/a 410 Gone",
		"desk email desk@example.org -",
	}
	if !slices.Equal(got, want) {
		t.Errorf("subscriber_channels:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO articles (canonical_url) VALUES ('https://a.example/1');
INSERT INTO deliveries (subscriber_id, article_id, channel, mode) SELECT s.id, a.id, 'slack', 'immediate' FROM subscribers s, articles a WHERE s.name = 'desk'`); err != nil {
		t.Errorf("a delivery on a channel the schema never named: %v", err)
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO deliveries (subscriber_id, article_id, channel, mode) SELECT s.id, a.id, 'Bad Name', 'immediate' FROM subscribers s, articles a WHERE s.name = 'desk'`); err == nil {
		t.Error("a channel name with capitals and a space was taken")
	}
	var address, channel bool
	if err := s.Pool.QueryRow(ctx, `SELECT has_column_privilege('wirewatch_reader', 'subscriber_channels', 'address', 'SELECT'),
       has_column_privilege('wirewatch_reader', 'subscriber_channels', 'channel', 'SELECT')`).Scan(&address, &channel); err != nil {
		t.Fatal(err)
	}
	if address || !channel {
		t.Errorf("wirewatch_reader reads address %v, channel %v; want false, true", address, channel)
	}
}
