package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// globalFlags are shared by every command that reads the configuration.
type globalFlags struct {
	configPath string
	logFormat  string
	logLevel   string
}

func (g *globalFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&g.configPath, "config", "", "configuration file (default $WIREWATCH_CONFIG or "+config.DefaultPath+", else the built-in one)")
	fs.StringVar(&g.logFormat, "log-format", "", "log format: auto, text or json (overrides log.format)")
	fs.StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn or error (overrides log.level)")
}

// load reads the configuration and builds the logger.
func (g *globalFlags) load(e *env) (config.Config, *slog.Logger, error) {
	path := g.configPath
	if path == "" {
		for _, kv := range e.environ {
			if v, ok := cutPrefix(kv, "WIREWATCH_CONFIG="); ok {
				path = v
			}
		}
	}
	if path == "" {
		path = config.DefaultPath
	}
	cfg, err := config.Load(path, e.environ)
	if err != nil {
		return cfg, nil, configError{err}
	}
	if g.logFormat != "" {
		cfg.Log.Format = g.logFormat
	}
	if g.logLevel != "" {
		cfg.Log.Level = g.logLevel
	}
	if err := cfg.Log.Validate(); err != nil {
		return cfg, nil, configError{err}
	}
	logger := newLogger(e, cfg.Log)
	if links := config.ServiceLinks(e.environ); len(links) > 0 {
		logger.Debug("ignoring Kubernetes service-link variables; they are not settings", "variables", links)
	}
	return cfg, logger, nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// durationsInSeconds writes every duration in the logs as a number of
// seconds (retry_in=30, took=0.25), in both formats: JSON would otherwise
// give nanoseconds and text "30s".
func durationsInSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}

func newLogger(e *env, l config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(l.Level))
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationsInSeconds}
	format := l.Format
	if format == "auto" {
		format = "json"
		if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}

// loadStore reads the configuration and opens the archive for a command
// that reads or writes it (no migrations: that is `wirewatch migrate`'s job).
// The caller closes the store.
func (g *globalFlags) loadStore(ctx context.Context, e *env) (config.Config, *slog.Logger, *store.Store, error) {
	cfg, logger, err := g.load(e)
	if err != nil {
		return cfg, nil, nil, err
	}
	st, err := openStore(ctx, cfg, logger, storeOpen{})
	return cfg, logger, st, err
}

// storeOpen says how a command opens the database.
type storeOpen struct {
	// retry waits for an unreachable database (store.OpenRetry) instead of
	// failing at once.
	retry bool
	// migrate applies pending migrations first.
	migrate bool
}

// openStore connects (creating the database if allowed), migrates when
// asked, and checks the schema version.
func openStore(ctx context.Context, cfg config.Config, logger *slog.Logger, how storeOpen) (*store.Store, error) {
	open := store.Open
	if how.retry {
		open = store.OpenRetry
	}
	start := time.Now()
	s, err := open(ctx, cfg.Database, logger)
	if err != nil {
		return nil, err
	}
	// Each phase logs a line with its duration.
	logger.Info("database ready", "took", time.Since(start), "database", config.RedactURL(cfg.Database.URL))
	if how.migrate {
		start = time.Now()
		n, err := s.Migrate(ctx)
		if err != nil {
			s.Close()
			return nil, err
		}
		logger.Info("migrations done", "applied", n, "took", time.Since(start))
	}
	if err := s.CheckSchema(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("migrate", "apply database migrations", runMigrate)
	register("version", "print version, commit and Go version", runVersion)
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("migrate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, logger, err := g.load(e)
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, cfg.Database, logger)
	if err != nil {
		return err
	}
	defer s.Close()
	// (Alike by design: two calls, each with its error returned; an idiom, not shared logic.)
	n, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "applied %d migration(s); schema at version %d\n", n, v)
	return nil
}

// parseDay reads a --NAME flag given as YYYY-MM-DD; empty is the zero time
// (no bound).
func parseDay(name, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: --%s wants YYYY-MM-DD, got %q", errUsage, name, value)
	}
	return t, nil
}
