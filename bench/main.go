// Command bench measures the whole wirewatch pipeline against the feed farm
// (../shared/tools/feedfarm): a cold ingest from an empty database until
// every farm article is fetched, extracted, classified and stored, then
// refresh cycles in which every feed answers 304, and optionally alert
// latency while the farm publishes new items (-new-every).
//
//	go run ./bench                                 # 500 feeds × 20 items, 3 runs
//	go run ./bench -latency 200ms -refreshes 0     # the same with 200 ms per response
//	go run ./bench -feeds 10000 -items 1 -runs 1   # 304 refresh of 10,000 feeds
//	go run ./bench -new-every 1m -interval 1m -watch 4m -refreshes 0  # alert latency
//
// Each run starts a fresh farm, creates a fresh database and runs the built
// wirewatch binary (`wirewatch run`) as a child process, so its CPU
// (/proc/PID/stat) and peak RSS (VmHWM) are its own. PostgreSQL's CPU is the
// sum over the backends connected to the run's database (the harness's own
// connections excepted), its autovacuum workers, and the server's
// checkpointer, background writer and WAL writer (shared with whatever else
// runs on the server). The table gives the median and the spread (min–max)
// of the runs.
//
// The harness holds SQL of its own (creating its databases, counting what
// the daemon stored, finding the server's process): it watches the database
// from outside, as a test does, and is not part of wirewatch. Everything
// wirewatch itself runs is in package store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

type options struct {
	feeds, items, runs, workers int
	refreshes                   int
	latency, newEvery           time.Duration
	interval, watch             time.Duration
	farmDir, pgURL, workDir     string
	hostConcurrency             int
	tick                        time.Duration
	maxConns                    int
	keep, verbose               bool
	label, extract, preSQL      string
	cpuProfile, memProfile      string
}

func main() {
	var o options
	flag.IntVar(&o.feeds, "feeds", 500, "farm feeds")
	flag.IntVar(&o.items, "items", 20, "items per feed at start")
	flag.IntVar(&o.runs, "runs", 3, "runs (each: fresh farm, fresh database, fresh process)")
	flag.IntVar(&o.workers, "workers", 16, "daemon.poll_workers and daemon.fetch_workers")
	flag.IntVar(&o.refreshes, "refreshes", 3, "304-only refresh cycles after each cold ingest")
	flag.DurationVar(&o.latency, "latency", 0, "farm -latency: delay added to every response")
	flag.DurationVar(&o.newEvery, "new-every", 0, "farm -new-every: each feed gains an item this often (alert latency run)")
	flag.DurationVar(&o.interval, "interval", 30*time.Minute, "poll interval of every farm source")
	flag.DurationVar(&o.watch, "watch", 3*time.Minute, "with -new-every: how long to watch new items after the cold ingest")
	flag.StringVar(&o.farmDir, "farm", "", "feedfarm source directory (default ../shared/tools/feedfarm from the repository root)")
	flag.StringVar(&o.pgURL, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL maintenance database (fresh bench_* databases are created beside it)")
	flag.IntVar(&o.hostConcurrency, "host-concurrency", 256, "fetch.host_concurrency (the farm is one host)")
	flag.DurationVar(&o.tick, "tick", 500*time.Millisecond, "daemon.tick")
	flag.IntVar(&o.maxConns, "max-conns", 0, "database.max_conns (0: wirewatch's default)")
	flag.BoolVar(&o.keep, "keep", false, "keep the databases and the work directory")
	flag.BoolVar(&o.verbose, "v", false, "progress on stderr")
	flag.StringVar(&o.label, "label", "", "a label printed with the results")
	flag.StringVar(&o.preSQL, "pre-sql", "", "what-if: migrate, then run this SQL file in the fresh database before measuring (a proposed migration)")
	flag.StringVar(&o.extract, "extract", "rule", "article text: rule (a site rule for the farm host, as catalogue outlets have) or generic (no rule: the density scorer, go-trafilatura where its gate refuses)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write wirewatch's CPU profile of each run to FILE.N (go tool pprof)")
	flag.StringVar(&o.memProfile, "memprofile", "", "write wirewatch's heap profile at the end of each run to FILE.N (go tool pprof)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(ctx, o, log); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, log *slog.Logger) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if o.extract != "rule" && o.extract != "generic" {
		return fmt.Errorf("-extract: want rule or generic, got %q", o.extract)
	}
	if o.farmDir == "" {
		o.farmDir = filepath.Join(root, "..", "shared", "tools", "feedfarm")
	}
	if _, err := os.Stat(filepath.Join(o.farmDir, "main.go")); err != nil {
		return fmt.Errorf("feed farm not found at %s (pass -farm DIR): %w", o.farmDir, err)
	}
	work, err := os.MkdirTemp("", "wirewatch-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	}
	o.workDir = work

	log.Info("building wirewatch and the feed farm", "work", work)
	ww := filepath.Join(work, "wirewatch")
	if err := goBuild(ctx, root, ww, "./cmd/wirewatch"); err != nil {
		return err
	}
	farmBin := filepath.Join(work, "feedfarm")
	if err := goBuild(ctx, o.farmDir, farmBin, "."); err != nil {
		return err
	}
	postmaster, err := serverOf(ctx, o.pgURL)
	if err != nil {
		return err
	}
	log.Info("measuring the PostgreSQL server", "postmaster_pid", postmaster)

	var results []runResult
	for i := range o.runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		log.Info("run", "n", i+1, "of", o.runs, "load", loadAvg())
		r, err := oneRun(ctx, o, i, ww, farmBin, postmaster, log)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		results = append(results, r)
	}
	report(os.Stdout, o, results)
	return nil
}

// repoRoot walks up from the working directory to wirewatch's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/wirewatch/wirewatch\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the bench from inside the wirewatch repository")
		}
		dir = parent
	}
}

func goBuild(ctx context.Context, dir, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s in %s: %w", pkg, dir, err)
	}
	return nil
}

// serverOf connects to pgURL and returns the process id of the server
// behind it (see postmasterOf).
func serverOf(ctx context.Context, pgURL string) (int, error) {
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return 0, fmt.Errorf("connect to %s: %w", pgURL, err)
	}
	defer conn.Close(context.Background())
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return 0, fmt.Errorf("pg_backend_pid: %w", err)
	}
	return postmasterOf(backend)
}
