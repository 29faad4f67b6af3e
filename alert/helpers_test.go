package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// smtpServer is an in-process SMTP server on loopback that records what it
// accepts. Reply decides the answer to each DATA (nil accepts).
type smtpServer struct {
	Addr string
	mu   sync.Mutex
	msgs []received
	// Reply is called with the 1-based number of the DATA command.
	Reply func(n int) error
	datas int
	srv   *smtp.Server
}

type received struct {
	From string
	To   []string
	Data []byte
}

type smtpSession struct {
	s    *smtpServer
	from string
	to   []string
}

func (x *smtpSession) Reset()        { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error { return nil }
func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.datas++
	n := x.s.datas
	reply := x.s.Reply
	x.s.mu.Unlock()
	if reply != nil {
		if err := reply(n); err != nil {
			return err
		}
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, received{From: x.from, To: x.to, Data: b})
	x.s.mu.Unlock()
	return nil
}

func newSMTPServer(t testing.TB) *smtpServer {
	t.Helper()
	return newSMTPServerWrapped(t, nil)
}

// newSMTPServerWrapped is newSMTPServer with its listener wrapped (nil: as
// it is), to misbehave at the connection level.
func newSMTPServerWrapped(t testing.TB, wrap func(net.Listener) net.Listener) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 16 << 20
	srv.MaxRecipients = 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	if wrap != nil {
		ln = wrap(ln)
	}
	s.srv = srv
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

// parsed is a received message taken apart.
type parsed struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
	Type    string
}

func parseMessage(t testing.TB, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	dec := new(mime.WordDecoder)
	subj, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	p := parsed{Header: m.Header, Subject: subj}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content-type: %v", err)
	}
	p.Type = mt
	if mt != "multipart/alternative" {
		t.Fatalf("content-type %s, want multipart/alternative", mt)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); strings.EqualFold(cte, "base64") {
			t.Fatalf("unexpected base64 part")
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		default:
			t.Fatalf("unexpected part %s", ct)
		}
	}
	return p
}

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

// storeArticle inserts (or updates) an article with its classification and
// enqueues it in the same transaction, as the daemon does.
func storeArticle(t testing.TB, pool *pgxpool.Pool, a testArticle, prev Change) (int64, int) {
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
		n, err = Enqueue(ctx, tx, id, prev)
		return err
	})
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
	smtp *smtpServer
	cfg  config.Alert
}

func newTestEnv(t testing.TB, subs ...config.Subscriber) *testEnv {
	t.Helper()
	db := storetest.New(t)
	srv := newSMTPServer(t)
	cfg := config.DefaultAlert()
	cfg.SMTP.URL = "smtp://" + srv.Addr
	cfg.SMTP.From = "wirewatch <alerts@wirewatch.test>"
	cfg.SMTP.Timeout = 2 * time.Second
	cfg.RetryBase = 10 * time.Millisecond
	cfg.RetryMax = 50 * time.Millisecond
	cfg.MaxAttempts = 5
	cfg.Subscribers = subs
	if err := SyncSubscribers(context.Background(), db.Store.Pool, subs); err != nil {
		t.Fatal(err)
	}
	return &testEnv{db: db, pool: db.Store.Pool, smtp: srv, cfg: cfg}
}

func (e *testEnv) service(t testing.TB, opts Options) *Service {
	t.Helper()
	if opts.ReplicaID == "" {
		opts.ReplicaID = "test"
	}
	s, err := NewService(e.cfg, e.pool, testLogger(t), nil, opts)
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

func mailerConfigForTests() config.SMTP {
	c := config.DefaultAlert().SMTP
	c.URL = "smtp://127.0.0.1:1"
	c.From = "wirewatch <alerts@wirewatch.test>"
	return c
}
