package daemon_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// mailbox is an in-process SMTP server on loopback that keeps what it gets.
type mailbox struct {
	mu   sync.Mutex
	msgs []string
	addr string
}

type mailSession struct{ m *mailbox }

func (s mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s mailSession) Reset()                               {}
func (s mailSession) Logout() error                        { return nil }
func (s mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, string(b))
	s.m.mu.Unlock()
	return nil
}

func newMailbox(t *testing.T) *mailbox {
	m := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return mailSession{m}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Logf("smtp server: %v", err)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *mailbox) messages() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.msgs...)
}

// A relevant article found by a poll reaches an immediate subscriber by
// email within the same cycle, once; an irrelevant one does not.
func TestPipelineAlertsImmediateSubscriber(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	f := newFarm(t)
	f.items = func(n int) []int { return []int{n} }
	box := newMailbox(t)
	cfg := testConfig(db)
	cfg.SourcesFile = catalogue(t, f.specs(2))
	cfg.Alert.SMTP.URL = "smtp://" + box.addr
	cfg.Alert.SMTP.Timeout = 5 * time.Second
	cfg.Alert.Subscribers = []config.Subscriber{{Name: "desk", Email: "desk@example.org", Cadence: "immediate"}}
	d := newDaemon(t, ctx, cfg, db, "replica-alerts")
	st, err := d.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Articles != 2 || st.Alerts != 2 {
		t.Fatalf("cycle: %+v, want 2 articles and 2 alerts", st)
	}
	msgs := box.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages arrived, want 2", len(msgs))
	}
	if !strings.Contains(msgs[0], "/article/") || !strings.Contains(msgs[0], "Subject: ") {
		t.Errorf("alert does not name the article:\n%s", msgs[0][:min(len(msgs[0]), 800)])
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE status = 'sent' AND channel = 'email'`); n != 2 {
		t.Errorf("%d sent deliveries, want 2", n)
	}
	// A second cycle with everything due again sends nothing more.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE sources SET next_poll_at = now(); UPDATE articles SET next_check_at = now()`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(box.messages()); n != 2 {
		t.Errorf("%d messages after a second cycle, want still 2", n)
	}
}

func TestSubscriptionsThatCannotMatchAreRefused(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	f := newFarm(t)
	for _, tc := range []struct {
		sub  config.Subscriber
		want string
	}{
		{config.Subscriber{Name: "a", Email: "a@example.org", Topics: []string{"hackng"}}, `unknown topic "hackng"`},
		{config.Subscriber{Name: "b", Email: "b@example.org", Languages: []string{"fr"}}, "want en or zh"},
		{config.Subscriber{Name: "c", Email: "c@example.org", Outlets: []string{"Global Tims"}}, `outlet "Global Tims"`},
	} {
		cfg := testConfig(db)
		cfg.SourcesFile = catalogue(t, f.specs(1))
		cfg.Alert.Subscribers = []config.Subscriber{tc.sub}
		_, err := daemon.NewSetup(ctx, cfg, db.Store, testLogger(t), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "alert.subscribers[0]") {
			t.Errorf("%s: got %v, want an error naming the key and %q", tc.sub.Name, err, tc.want)
		}
	}
}
