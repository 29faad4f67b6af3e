package daemon_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// farm is a loopback site with RSS feeds, a listing page and article pages.
// It counts the requests for every path.
type farm struct {
	srv *httptest.Server

	mu       sync.Mutex
	hits     map[string]int
	agents   map[string]int    // requests by User-Agent product (one per replica)
	notMod   int               // article requests answered 304
	status   map[string]int    // forced status per article path
	body     map[string]string // replaced article text per path
	feedWait func(r *http.Request)
	items    func(feed int) []int // article numbers listed by a feed
	extra    []string             // more links every feed lists (e.g. unsafe ones)
	pubDate  string               // the items' pubDate (default a fixed day in Nov 2026)
	headline string               // every page's headline (default "Article <path>", one per page)
}

func newFarm(t *testing.T) *farm {
	f := &farm{hits: map[string]int{}, status: map[string]int{}, body: map[string]string{}, agents: map[string]int{}}
	f.items = func(feed int) []int { return []int{feed * 3, feed*3 + 1, feed*3 + 2} }
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// farmTest starts most daemon tests: a context, a fresh migrated database
// and a loopback farm of feeds and article pages.
func farmTest(t *testing.T) (context.Context, *storetest.Database, *farm) {
	return context.Background(), storetest.New(t), newFarm(t)
}

func (f *farm) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *farm) set(path string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if status != 0 {
		f.status[path] = status
	}
	if body != "" {
		f.body[path] = body
	}
}

const etagValue = `"v1"`

func (f *farm) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	f.agents[strings.Fields(r.UserAgent() + " ?")[0]]++
	forced := f.status[r.URL.Path]
	text := f.body[r.URL.Path]
	wait := f.feedWait
	f.mu.Unlock()
	switch {
	case r.URL.Path == "/robots.txt":
		http.NotFound(w, r)
	case strings.HasPrefix(r.URL.Path, "/feed/"):
		if wait != nil {
			wait(r)
		}
		var n int
		fmt.Sscanf(r.URL.Path, "/feed/%d.xml", &n)
		if r.Header.Get("If-None-Match") == etagValue {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("ETag", etagValue)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed %d</title><link>%s</link>`, n, f.srv.URL)
		f.mu.Lock()
		pub, extra := cmp.Or(f.pubDate, "Mon, 23 Nov 2026 08:00:00 +0800"), f.extra
		f.mu.Unlock()
		for _, k := range f.items(n) {
			fmt.Fprintf(w, `<item><title>Story %d about the Cybersecurity Law</title><link>%s/article/%d.html?utm_source=rss</link><description>Summary of story %d.</description><pubDate>%s</pubDate></item>`, k, f.srv.URL, k, k, pub)
		}
		for i, link := range extra {
			fmt.Fprintf(w, `<item><title>Extra story %d about the Cybersecurity Law and data security rules</title><link>%s</link><description>The Cyberspace Administration of China issued rules on data security and cross-border data transfers; companies must pass a security review.</description><pubDate>%s</pubDate></item>`, i, link, pub)
		}
		io.WriteString(w, `</channel></rss>`)
	case r.URL.Path == "/list.html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<html><body><ul class="news">`)
		for k := 900; k < 903; k++ {
			fmt.Fprintf(w, `<li><a href="/article/%d.html">Listed story %d</a> <span>2026-11-23</span></li>`, k, k)
		}
		io.WriteString(w, `</ul></body></html>`)
	case strings.HasPrefix(r.URL.Path, "/article/"):
		if forced != 0 {
			w.WriteHeader(forced)
			return
		}
		if r.Header.Get("If-None-Match") == etagValue && text == "" {
			f.mu.Lock()
			f.notMod++
			f.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if text == "" {
			text = "The Cyberspace Administration of China issued new rules on data security and cross-border data transfers today."
			w.Header().Set("ETag", etagValue)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		headline := "Article " + r.URL.Path
		f.mu.Lock()
		if f.headline != "" {
			headline = f.headline
		}
		f.mu.Unlock()
		fmt.Fprintf(w, `<html lang="en"><head><title>%s</title></head><body><nav>Home | World | China</nav><article><h1>%s</h1>`, headline, headline)
		for i := range 6 {
			fmt.Fprintf(w, "<p>%s Paragraph %d explains what the regulator said and how companies must comply with the security review.</p>", text, i)
		}
		io.WriteString(w, `</article><footer>Copyright</footer></body></html>`)
	default:
		http.NotFound(w, r)
	}
}

// specs lists n feed sources on the farm.
func (f *farm) specs(n int) []config.SourceSpec {
	out := make([]config.SourceSpec, n)
	for i := range out {
		out[i] = config.SourceSpec{Name: fmt.Sprintf("feed-%03d", i), Outlet: fmt.Sprintf("Outlet %d", i%5), Kind: "feed",
			URL: fmt.Sprintf("%s/feed/%d.xml", f.srv.URL, i), Language: "en", Interval: time.Hour}
	}
	return out
}

func testConfig(db *storetest.Database) config.Config {
	cfg := config.Default()
	cfg.Database = db.Config()
	cfg.Fetch.AllowCIDRs = []string{"127.0.0.1/32"}
	cfg.Fetch.HostRate = 10000
	cfg.Fetch.HostBurst = 10000
	cfg.Fetch.HostConcurrency = 64
	cfg.Fetch.Timeout = 10 * time.Second
	cfg.Daemon.Tick = 50 * time.Millisecond
	cfg.Daemon.Lease = 30 * time.Second
	cfg.Daemon.Listen = ""
	cfg.Daemon.PollWorkers = 4
	cfg.Daemon.FetchWorkers = 4
	// The farm's items are dated 23 Nov 2026: alert them whatever today is
	// (the tests of alert.backfill set it).
	cfg.Alert.Backfill = 0
	return cfg
}

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("WIREWATCH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// catalogue writes specs as a source catalogue file and returns its path.
func catalogue(t *testing.T, specs []config.SourceSpec) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\nsources:\n")
	for _, s := range specs {
		fmt.Fprintf(&b, "  - {name: %s, outlet: %q, kind: %s, url: %q, language: %s, interval: %s}\n", s.Name, s.Outlet, s.Kind, s.URL, s.Language, s.Interval)
	}
	p := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newDaemon builds a daemon with the production stages on cfg, whose
// catalogue (cfg.SourcesFile) it syncs into the database.
func newDaemon(t *testing.T, ctx context.Context, cfg config.Config, db *storetest.Database, replica string) *daemon.Daemon {
	t.Helper()
	cfg.Daemon.ReplicaID = replica
	cfg.Fetch.UserAgent = "wirewatch-" + replica + "/1.0"
	setup, err := daemon.NewSetup(ctx, cfg, db.Store, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(setup.Client.Close)
	return daemon.New(cfg, setup.Deps, testLogger(t), nil)
}

// alertingConfig is testConfig on specs with alert.backfill at its default
// and the subscribers' email sent through box with the given SMTP timeout.
func alertingConfig(t *testing.T, db *storetest.Database, specs []config.SourceSpec, box *alerttest.SMTPServer, timeout time.Duration, subs ...config.Subscriber) config.Config {
	t.Helper()
	cfg := testConfig(db)
	cfg.Alert.Backfill = config.DefaultBackfill
	cfg.SourcesFile = catalogue(t, specs)
	cfg.Alert.SMTP.URL = "smtp://" + box.Addr
	cfg.Alert.SMTP.Timeout = timeout
	cfg.Alert.Subscribers = subs
	return cfg
}

// closeBurst ends the burst window of the immediate email deliveries
// queued so far, runs a cycle and checks that the burst of n left as 1 to
// 10 messages with every delivery sent; it returns how many messages.
func closeBurst(t *testing.T, ctx context.Context, db *storetest.Database, d *daemon.Daemon, box *alerttest.SMTPServer, n int) int {
	t.Helper()
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE digests SET next_attempt_at = now() - interval '1 second' WHERE burst`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := box.Messages()
	if len(msgs) == 0 || len(msgs) > 10 {
		t.Fatalf("%d messages for a burst of %d, want 1 to 10", len(msgs), n)
	}
	if sent := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE status = 'sent'`); sent != n {
		t.Errorf("%d deliveries sent, want %d", sent, n)
	}
	return len(msgs)
}

// reextractStages are the production extractor and a classifier at
// threshold 0.5, as daemon.Reextract takes them.
func reextractStages(t *testing.T) (daemon.Extractor, daemon.Classifier) {
	t.Helper()
	rules, err := extract.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	c, err := daemon.LoadClassifier(config.Classify{Threshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	return daemon.NewExtractor(rules), daemon.NewClassifier(c)
}

// runDaemon runs d until stop is called; its Run's result arrives on done.
func runDaemon(ctx context.Context, d *daemon.Daemon) (stop context.CancelFunc, done <-chan error) {
	runCtx, stop := context.WithCancel(ctx)
	ch := make(chan error, 1)
	go func() { ch <- d.Run(runCtx) }()
	return stop, ch
}

// polledFarm is a daemon on the farm's first feeds after one cycle.
func polledFarm(t *testing.T, ctx context.Context, db *storetest.Database, f *farm, feeds int, replica string) *daemon.Daemon {
	t.Helper()
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(feeds))
	d := newDaemon(t, ctx, cfg, db, replica)
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

func queryInt(t *testing.T, db *storetest.Database, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Store.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func replaceInFile(path, old, new string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), old) {
		return fmt.Errorf("%q not in %s", old, path)
	}
	return os.WriteFile(path, []byte(strings.ReplaceAll(string(b), old, new)), 0o600)
}

var _ = model.KindFeed
