package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/wirewatch/wirewatch/store"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/web"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("run", "run the daemon: poll, fetch, classify, store and alert until stopped", runDaemon)
	register("poll", "run one full cycle over due sources and articles, then exit (--once)", runPoll)
}

// built is a daemon with what it was built from.
type built struct {
	daemon *daemon.Daemon
	setup  *daemon.Setup
	st     *store.Store
}

func (b built) close() {
	b.setup.Client.Close()
	b.st.Close()
}

// newDaemon opens the database as how says and builds the daemon on it.
// reg may be nil (no metrics).
func newDaemon(ctx context.Context, cfg config.Config, logger *slog.Logger, reg prometheus.Registerer, how storeOpen) (built, error) {
	st, err := openStore(ctx, cfg, logger, how)
	if err != nil {
		return built{}, err
	}
	setup, err := daemon.NewSetup(ctx, cfg, st, logger, reg)
	if err != nil {
		st.Close()
		return built{}, err
	}
	return built{daemon: daemon.New(cfg, setup.Deps, logger, reg), setup: setup, st: st}, nil
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	v, c := buildInfo()
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wirewatch_build_info", Help: "Always 1; the labels say which wirewatch runs.",
	}, []string{"version", "commit", "goversion"})
	info.WithLabelValues(v, c, runtime.Version()).Set(1)
	reg.MustRegister(info)
	return reg
}

func runDaemon(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("run")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the whole run to this file (for performance work)")
	memProfile := fs.String("memprofile", "", "write a Go heap profile to this file at shutdown (for performance work)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	cfg, logger, err := g.load(e)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop(logger)
	}
	if *memProfile != "" {
		defer writeHeapProfile(*memProfile, logger)
	}
	v, c := buildInfo()
	logger.Info("starting wirewatch", "version", v, "commit", c, "database", config.RedactURL(cfg.Database.URL), "listen", cfg.Daemon.Listen)
	reg := newRegistry()
	// Health and metrics are served from the start, so an orchestrator sees
	// a live process (and an unready one) while the database is still down.
	health := daemon.NewHealth(reg)
	// The analysts' UI shares the listener; web.New refuses a non-loopback
	// address without a login before anything listens.
	var ui *web.Server
	handler := health.Handler()
	if cfg.Daemon.Listen != "" && cfg.Web.Enabled {
		if ui, err = web.New(cfg.Web, cfg.Daemon.Listen, logger); err != nil {
			return err
		}
		handler = ui.Mount(handler)
	}
	if cfg.Daemon.Listen != "" {
		addr, errc, err := daemon.Serve(ctx, cfg.Daemon.Listen, handler)
		if err != nil {
			return err
		}
		logger.Info("serving /healthz, /readyz and /metrics", "addr", addr.String())
		go func() {
			if err := <-errc; err != nil {
				logger.Error("health listener stopped", "error", err)
			}
		}()
	}

	// A daemon started before its database waits for it.
	r, err := newDaemon(ctx, cfg, logger, reg, storeOpen{retry: true, migrate: cfg.Database.Migrate})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	defer r.close()
	setup, d := r.setup, r.daemon
	health.SetStore(r.st)
	if ui != nil {
		rst, err := store.OpenReader(ctx, cfg.Database, cfg.Web.MaxConns, logger)
		if err != nil {
			return err
		}
		defer rst.Close()
		ui.SetStore(rst)
	}
	logger.Info("daemon running", "sources", len(setup.Catalogue.Sources), "classifier", setup.Classifier.Version(),
		"poll_workers", cfg.Daemon.PollWorkers, "fetch_workers", cfg.Daemon.FetchWorkers)
	reportCtx, stopReport := context.WithCancel(ctx)
	defer stopReport()
	go reportFirstPoll(reportCtx, r.st, reg, logger, time.Now())
	return d.Run(ctx)
}

func runPoll(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("poll")
	once := fs.Bool("once", false, "run one cycle and exit (required; the continuous loop is 'wirewatch run')")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*once {
		return fmt.Errorf("%w: poll needs --once (for the continuous loop use `wirewatch run`)", errUsage)
	}
	cfg, logger, err := g.load(e)
	if err != nil {
		return err
	}
	r, err := newDaemon(ctx, cfg, logger, nil, storeOpen{migrate: cfg.Database.Migrate})
	if err != nil {
		return err
	}
	defer r.close()
	stats, err := r.daemon.PollOnce(ctx)
	fmt.Fprintf(e.stdout, "polled %d source(s), processed %d article(s), sent %d alert(s)\n", stats.Sources, stats.Articles, stats.Alerts)
	return err
}

// startCPUProfile profiles the process until the returned function runs
// (at shutdown, after SIGTERM).
func startCPUProfile(path string) (func(*slog.Logger), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func(logger *slog.Logger) {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			logger.Error("cpu profile not written", "path", path, "error", err)
		}
	}, nil
}

// writeHeapProfile records live and allocated memory at shutdown.
func writeHeapProfile(path string, logger *slog.Logger) {
	f, err := os.Create(path)
	if err == nil {
		runtime.GC()
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		logger.Error("heap profile not written", "path", path, "error", err)
	}
}
