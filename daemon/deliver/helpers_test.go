package deliver

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// testArticle describes an article to insert.
type testArticle struct {
	URL       string
	Title     string
	Outlet    string
	Language  string
	Published time.Time
	Score     float64
	Topics    []model.TopicScore
	Summary   string
	Revision  int
	Removed   bool
}

func (a testArticle) relevantTopics() []string {
	out := []string{}
	for _, t := range a.Topics {
		out = append(out, t.ID)
	}
	return out
}

const testVersion = "test-1"

// storeArticle inserts (or updates) an article with its classification,
// then queues its deliveries (Queue) as the daemon does after a save.
func storeArticle(t testing.TB, pool *pgxpool.Pool, a testArticle, prev alert.Change) (int64, int) {
	t.Helper()
	ctx := context.Background()
	var id int64
	var n int
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var removed *time.Time
		if a.Removed {
			now := time.Now()
			removed = &now
		}
		rev := max(a.Revision, 1)
		err := tx.QueryRow(ctx, `
INSERT INTO articles (canonical_url, outlet, title, language, published_at, summary, body_text, fetch_state,
                      classifier_version, relevant, score, topics, revision, removed_at)
VALUES ($1, $2, $3, $4, $5, $6, $6, 'fetched', $7, $8, $9, $10, $11, $12)
ON CONFLICT (canonical_url) DO UPDATE SET title = excluded.title, relevant = excluded.relevant, score = excluded.score,
    topics = excluded.topics, revision = excluded.revision, removed_at = excluded.removed_at, summary = excluded.summary
RETURNING id`, a.URL, a.Outlet, a.Title, a.Language, a.Published, a.Summary, testVersion, a.Score > 0 && len(a.Topics) > 0,
			a.Score, a.relevantTopics(), rev, removed).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM classifications WHERE article_id = $1`, id); err != nil {
			return err
		}
		for _, tp := range a.Topics {
			ev, _ := json.Marshal(tp.Evidence)
			if _, err := tx.Exec(ctx, `INSERT INTO classifications (article_id, classifier_version, topic, score, relevant, evidence)
VALUES ($1, $2, $3, $4, true, $5)`, id, testVersion, tp.ID, tp.Score, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = (&store.Store{Pool: pool}).InTx(ctx, func(tx *store.Tx) error {
			n, err = Queue(ctx, tx, id, prev)
			return err
		})
	}
	if err != nil {
		t.Fatalf("store article %s: %v", a.URL, err)
	}
	return id, n
}

func simpleArticle(i int, topic string, score float64) testArticle {
	return testArticle{
		URL:       fmt.Sprintf("https://english.news.cn/2026/%04d.html", i),
		Title:     fmt.Sprintf("Article %d on data security law", i),
		Outlet:    "Xinhua",
		Language:  "en",
		Published: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
		Score:     score,
		Summary:   "China's regulators published new rules on cross-border data transfers. The data security law applies.",
		Topics: []model.TopicScore{{ID: topic, Score: score, Evidence: []model.Evidence{
			{Term: "data security law", Field: "body", Snippet: "China's regulators published new rules. The data security law applies to all operators.", Weight: 2},
		}}},
	}
}

type testEnv struct {
	db   *storetest.Database
	pool *pgxpool.Pool
	smtp *alerttest.SMTPServer
	cfg  config.Alert
}

func newTestEnv(t testing.TB, subs ...config.Subscriber) *testEnv {
	t.Helper()
	db := storetest.New(t)
	srv := alerttest.NewSMTPServer(t)
	cfg := config.DefaultAlert()
	cfg.SMTP.URL = "smtp://" + srv.Addr
	cfg.SMTP.From = "wirewatch <alerts@wirewatch.test>"
	cfg.SMTP.Timeout = 2 * time.Second
	cfg.RetryBase = 10 * time.Millisecond
	cfg.RetryMax = 50 * time.Millisecond
	cfg.MaxAttempts = 5
	cfg.Subscribers = subs
	if err := db.Store.SyncSubscribers(context.Background(), subs); err != nil {
		t.Fatal(err)
	}
	return &testEnv{db: db, pool: db.Store.Pool, smtp: srv, cfg: cfg}
}

func (e *testEnv) service(t testing.TB, opts Options) *Service {
	t.Helper()
	if opts.ReplicaID == "" {
		opts.ReplicaID = "test"
	}
	s, err := NewService(e.cfg, e.db.Store, testLogger(t), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(&tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

type tWriter struct{ t testing.TB }

func (w *tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func statusCounts(t testing.TB, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT status, count(*) FROM deliveries GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}
