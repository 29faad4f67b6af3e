// Package config loads wirewatch's configuration: built-in defaults, then one
// YAML file, then WIREWATCH_… environment variables. Every section states its
// defaults in its doc comments and checks itself in Validate.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/wirewatch/wirewatch/configs"
)

// DefaultPath is where --config points when it is not given.
const DefaultPath = "configs/wirewatch.yaml"

// Config is the whole configuration of a wirewatch process.
type Config struct {
	// Database says where the archive lives.
	Database Database `yaml:"database"`
	// Daemon sets the scheduler, workers, leases and the HTTP listener.
	Daemon Daemon `yaml:"daemon"`
	// Log sets the log format and level.
	Log Log `yaml:"log"`
	// Fetch sets the HTTP client, politeness and re-check schedule.
	Fetch Fetch `yaml:"fetch"`
	// Classify sets the taxonomy and the relevance threshold.
	Classify Classify `yaml:"classify"`
	// Alert sets SMTP, webhooks and the subscribers.
	Alert Alert `yaml:"alert"`
	// Web sets the analysts' web UI and its login.
	Web Web `yaml:"web"`
	// SourcesFile is the source catalogue. Default "" (the catalogue built
	// into the binary, configs/sources.yaml).
	SourcesFile string `yaml:"sources_file"`
}

// Database is the PostgreSQL connection.
type Database struct {
	// URL is a libpq-style connection URL. Default
	// "postgres://postgres@127.0.0.1:5432/wirewatch?sslmode=disable".
	// Prefer putting the password in Password or PasswordFile.
	URL string `yaml:"url"`
	// Password overrides the URL's password. Default "" (none).
	Password Secret `yaml:"password"`
	// PasswordFile names a file holding the password (Docker and Kubernetes
	// secrets). Default "".
	PasswordFile string `yaml:"password_file"`
	// MaxConns caps the connection pool. Default 10.
	MaxConns int `yaml:"max_conns"`
	// Migrate applies pending migrations when the daemon starts. Default true.
	Migrate bool `yaml:"migrate"`
	// CreateDatabase creates the database named in URL when it does not exist
	// yet (needs CREATEDB). Default true.
	CreateDatabase bool `yaml:"create_database"`
	// ConnectTimeout bounds one connection attempt. Default 10s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// RetryMax is the longest wait between attempts while the database is
	// unreachable. Default 30s.
	RetryMax time.Duration `yaml:"retry_max"`
}

// Daemon is the long-running process.
// (Alike by design: documented yaml fields, the shape of every configuration struct.)
type Daemon struct {
	// PollWorkers is how many sources are polled at once. Default 8.
	PollWorkers int `yaml:"poll_workers"`
	// FetchWorkers is the size of the extract stage's pool and of the
	// classify stage's (classify and store): how many articles are
	// extracted at once, and how many classified and stored; eight times
	// as many page downloads may wait on the network meanwhile (within
	// fetch.host_concurrency per host). Default 8.
	FetchWorkers int `yaml:"fetch_workers"`
	// DeliveryWorkers is how many alerts are sent at once. Default 4.
	DeliveryWorkers int `yaml:"delivery_workers"`
	// Lease is how long a claimed source or article stays with this replica
	// before another may take it over (deliveries: alert.lease). Default 2m.
	Lease time.Duration `yaml:"lease"`
	// Tick is how often the scheduler looks for due work when idle. Default 2s.
	Tick time.Duration `yaml:"tick"`
	// ShutdownGrace is how long in-flight work may run after SIGTERM. Default 20s.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// Listen is the address of /healthz, /readyz and /metrics; "" turns the
	// listener off. Default "127.0.0.1:9090".
	Listen string `yaml:"listen"`
	// ReplicaID names this process in lease columns and logs. Default
	// hostname-pid.
	ReplicaID string `yaml:"replica_id"`
}

// Log sets logging.
type Log struct {
	// Format is "auto" (text on a terminal, JSON otherwise), "text" or "json".
	// Default "auto".
	Format string `yaml:"format"`
	// Level is "debug", "info", "warn" or "error". Default "info".
	Level string `yaml:"level"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Database: Database{
			URL:            "postgres://postgres@127.0.0.1:5432/wirewatch?sslmode=disable",
			MaxConns:       10,
			Migrate:        true,
			CreateDatabase: true,
			ConnectTimeout: 10 * time.Second,
			RetryMax:       30 * time.Second,
		},
		Daemon: Daemon{
			PollWorkers:     DefaultPollWorkers,
			FetchWorkers:    DefaultFetchWorkers,
			DeliveryWorkers: DefaultDeliveryWorkers,
			Lease:           DefaultLease,
			Tick:            DefaultTick,
			ShutdownGrace:   DefaultShutdownGrace,
			Listen:          "127.0.0.1:9090",
		},
		Log:      Log{Format: "auto", Level: "info"},
		Fetch:    DefaultFetch(),
		Classify: Classify{Threshold: 0.5},
		Alert:    DefaultAlert(),
		Web:      DefaultWeb(),
	}
}

// Error is a configuration problem, naming the file and the key.
type Error struct {
	File string // the YAML file, or "environment"
	Key  string // dotted key, e.g. "daemon.poll_workers"
	Msg  string // what was expected
}

func (e *Error) Error() string {
	where := e.File
	if where == "" {
		where = "config"
	}
	if e.Key == "" {
		return fmt.Sprintf("config: %s: %s", where, e.Msg)
	}
	return fmt.Sprintf("config: %s: %s: %s", where, e.Key, e.Msg)
}

// Load reads the configuration: defaults, then path (if path is DefaultPath
// and no such file exists, the built-in default file), then the environment
// (environ as from os.Environ), then *_file secrets; and validates it.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	var data []byte
	var err error
	name := path
	if path == "" {
		path = DefaultPath
		name = path
	}
	data, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && path == DefaultPath {
		data, err = fs.ReadFile(configs.FS, "wirewatch.yaml")
		name = "built-in wirewatch.yaml"
	}
	if err != nil {
		return cfg, fmt.Errorf("config: read %s: %w", path, err)
	}
	if err := decodeYAML(name, data, &cfg); err != nil {
		return cfg, err
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	if err := resolveSecretFiles(&cfg, name); err != nil {
		return cfg, err
	}
	cfg.Database.moveURLPassword()
	if err := cfg.Validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) && ce.File == "" {
			ce.File = name
		}
		return cfg, err
	}
	return cfg, nil
}

func decodeYAML(name string, data []byte, cfg *Config) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict())
	if err := dec.Decode(cfg); err != nil {
		msg := yaml.FormatError(err, false, true)
		if !strings.Contains(msg, "\n") {
			msg += locateValue(msg, data)
		}
		return &Error{File: name, Msg: "invalid YAML: " + redactSecretsIn(msg, data)}
	}
	return nil
}

// locateValue finds the line of a value quoted in a decoder message that
// carries no position (goccy/go-yaml reports bad durations that way, e.g.
// `time: unknown unit " minutes" in duration "2 minutes"`).
func locateValue(msg string, data []byte) string {
	val := ""
	if i := strings.LastIndex(msg, `in duration "`); i >= 0 {
		val = strings.TrimSuffix(msg[i+len(`in duration "`):], `"`)
	} else if i, j := strings.IndexByte(msg, '"'), strings.LastIndexByte(msg, '"'); i >= 0 && j > i+1 {
		val = msg[i+1 : j]
	}
	if val == "" {
		return ""
	}
	for n, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.Trim(strings.TrimSpace(v), `"'`) == val {
			return fmt.Sprintf(" (line %d, key %s)", n+1, strings.TrimSpace(k))
		}
	}
	return ""
}

// moveURLPassword takes a password out of the URL into Password, so the
// URL can be logged and shown in errors as it is.
func (d *Database) moveURLPassword() {
	u, err := url.Parse(d.URL)
	if err != nil || u.User == nil {
		return
	}
	pw, ok := u.User.Password()
	if !ok {
		return
	}
	if d.Password == "" {
		d.Password = Secret(pw)
	}
	u.User = url.User(u.User.Username())
	d.URL = u.String()
}

// Validate checks every section and returns the first problem.
func (c Config) Validate() error {
	checks := []func() error{c.Database.Validate, c.Daemon.Validate, c.Log.Validate, c.Fetch.Validate, c.Classify.Validate, c.Alert.Validate, c.Web.Validate}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the database section.
func (d Database) Validate() error {
	u, err := url.Parse(d.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return &Error{Key: "database.url", Msg: fmt.Sprintf("want a postgres:// URL, got %q", RedactURL(d.URL))}
	}
	if d.MaxConns < 2 || d.MaxConns > 500 {
		return &Error{Key: "database.max_conns", Msg: fmt.Sprintf("want 2 to 500, got %d", d.MaxConns)}
	}
	if d.ConnectTimeout <= 0 {
		return &Error{Key: "database.connect_timeout", Msg: "want a positive duration such as 10s"}
	}
	if d.RetryMax <= 0 {
		return &Error{Key: "database.retry_max", Msg: "want a positive duration such as 30s"}
	}
	return nil
}

// Validate checks the daemon section.
func (d Daemon) Validate() error {
	for _, w := range []struct {
		key string
		n   int
	}{{"daemon.poll_workers", d.PollWorkers}, {"daemon.fetch_workers", d.FetchWorkers}, {"daemon.delivery_workers", d.DeliveryWorkers}} {
		if w.n < 1 || w.n > 1024 {
			return &Error{Key: w.key, Msg: fmt.Sprintf("want 1 to 1024, got %d", w.n)}
		}
	}
	if d.Lease < 5*time.Second {
		return &Error{Key: "daemon.lease", Msg: fmt.Sprintf("want at least 5s, got %s", d.Lease)}
	}
	if d.Tick < 10*time.Millisecond || d.Tick > time.Hour {
		return &Error{Key: "daemon.tick", Msg: fmt.Sprintf("want 10ms to 1h, got %s", d.Tick)}
	}
	if d.ShutdownGrace < 0 {
		return &Error{Key: "daemon.shutdown_grace", Msg: "want a duration of 0 or more"}
	}
	return nil
}

// Validate checks the log section.
func (l Log) Validate() error {
	switch l.Format {
	case "auto", "text", "json":
	default:
		return &Error{Key: "log.format", Msg: fmt.Sprintf("want auto, text or json, got %q", l.Format)}
	}
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		return &Error{Key: "log.level", Msg: fmt.Sprintf("want debug, info, warn or error, got %q", l.Level)}
	}
	return nil
}

// Classify sets the classifier.
type Classify struct {
	// Threshold is the overall score at or above which an article is
	// relevant. Default 0.5.
	Threshold float64 `yaml:"threshold"`
	// TopicsFile is the topic taxonomy. Default "" (the taxonomy built into
	// the binary, configs/topics.yaml).
	TopicsFile string `yaml:"topics_file"`
}

// Validate checks the classify section.
func (c Classify) Validate() error {
	if c.Threshold <= 0 || c.Threshold > 1 {
		return &Error{Key: "classify.threshold", Msg: fmt.Sprintf("want a number in (0, 1], got %v", c.Threshold)}
	}
	return nil
}
