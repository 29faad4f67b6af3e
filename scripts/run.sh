#!/usr/bin/env bash
# `make run`: start PostgreSQL if needed, build, and run the daemon on the
# built-in configuration, with a line per phase and how long it took. The
# daemon then logs its own phases (database ready, migrations done, first
# poll done) and, after the first poll, which sources are reachable and
# why the others are not.
#
# Environment: GO (default go), LDFLAGS (from the Makefile), and anything
# wirewatch reads (WIREWATCH_…).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
phase() { printf '==> %s\n' "$*" >&2; }

t=$(now)
phase "PostgreSQL: checking 127.0.0.1:5432"
if [ -z "${WIREWATCH_TEST_DATABASE_URL:-}" ]; then ./scripts/pg-up.sh; fi
phase "PostgreSQL: ready ($(since "$t") s)"

# go build -v names each package as it compiles it: count them, so that a
# first build (a few hundred packages, minutes on two cores) shows progress.
# Anything else it prints (compile errors) is shown as it is.
t=$(now)
phase "build: compiling bin/wirewatch (a first build compiles a few hundred packages)"
CGO_ENABLED=0 "$GO" build -v -trimpath -ldflags "${LDFLAGS:-}" -o bin/wirewatch ./cmd/wirewatch 2>&1 |
	awk -v start="$t" '
		/^[A-Za-z0-9._~\/-]+$/ { n++; if (n % 25 == 0) { "date +%s.%N" | getline e; close("date +%s.%N"); printf "    %d packages compiled (%.0f s)\n", n, e - start > "/dev/stderr" } ; next }
		{ print > "/dev/stderr" }
		END { if (n % 25) printf "    %d packages compiled\n", n > "/dev/stderr" }'
phase "build: done ($(since "$t") s)"

phase "run: bin/wirewatch run (Ctrl-C stops it; it logs 'first poll done' with what is reachable)"
exec ./bin/wirewatch run
