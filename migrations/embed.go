// Package migrations embeds the numbered SQL files that build the wirewatch
// schema. They are applied in order by store.Migrate.
package migrations

import "embed"

// FS holds the migration files, named NNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
