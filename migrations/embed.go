// Package migrations embeds the numbered SQL files that build the wirewatch
// schema. They are applied in order by store.Migrate.
//
// An applied migration is never edited (store.Migrate compares each file's
// checksum with the one recorded when it was applied), so repeats inside
// them stay: 001_init.sql declares the delivery and digest tables' lease
// and retry columns alike (two queues with the same life cycle), and
// 005_search_vectors_from_app.sql declares the English and Chinese vector
// functions alike (one per language, each with its own parser and cap).
package migrations

import "embed"

// FS holds the migration files, named NNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
