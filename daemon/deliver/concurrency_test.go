package deliver

import (
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

var articleURL = regexp.MustCompile(`https://english\.news\.cn/2026/\d{4}\.html`)

// TestTwoDaemons runs two Services (separate pools and replica ids) against
// one database and one SMTP server while 200 relevant articles arrive:
// every immediate subscriber gets each article exactly once, and the digest
// subscriber gets each in exactly one digest.
func TestTwoDaemons(t *testing.T) {
	t.Parallel()
	subs := []config.Subscriber{
		{Name: "imm1", Email: "imm1@example.org"},
		{Name: "imm2", Email: "imm2@example.org", Topics: []string{"data-security", "tech-restrictions"}},
		{Name: "dig", Email: "dig@example.org", Cadence: "daily at 08:00 Europe/London"},
	}
	e := newTestEnv(t, subs...)
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range 2 {
		pool, err := pgxpool.New(ctx, e.db.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		s, err := NewService(e.cfg, &store.Store{Pool: pool}, testLogger(t), nil, Options{
			ReplicaID: fmt.Sprintf("replica-%d", i), Workers: 4, Now: now,
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { // the daemon's delivery stage: passes until cancelled
			for ctx.Err() == nil {
				if n, _ := s.RunOnce(ctx); n == 0 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	const n = 200
	topics := []string{"data-security", "tech-restrictions"}
	for i := 1; i <= n; i++ {
		storeArticle(t, e.pool, simpleArticle(i, topics[i%2], 0.6), alert.Change{})
	}
	// Close the digest period once everything is in.
	offset.Store(int64(25 * time.Hour))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c := statusCounts(t, e.pool)
		if c[model.StatusSent] == 3*n {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if c := statusCounts(t, e.pool); c[model.StatusSent] != 3*n {
		t.Fatalf("statuses %v, want %d sent", c, 3*n)
	}
	got := map[string]map[string]int{}
	digests := 0
	for _, m := range e.smtp.Messages() {
		to := m.To[0]
		if got[to] == nil {
			got[to] = map[string]int{}
		}
		p := alerttest.ParseMessage(t, m.Data)
		if to == "dig@example.org" {
			digests++
		}
		seen := map[string]bool{}
		for _, u := range articleURL.FindAllString(p.Text, -1) {
			if !seen[u] { // each URL appears once per message
				got[to][u]++
				seen[u] = true
			}
		}
	}
	for _, s := range subs {
		if len(got[s.Email]) != n {
			t.Errorf("%s got %d distinct articles, want %d", s.Name, len(got[s.Email]), n)
		}
		for u, k := range got[s.Email] {
			if k != 1 {
				t.Errorf("%s got %s %d times", s.Name, u, k)
			}
		}
	}
	if digests < 1 {
		t.Errorf("no digest")
	}
	t.Logf("%d messages, %d digest(s)", len(e.smtp.Messages()), digests)
}

// TestCrashMidSend kills (SIGKILL) a child process that has claimed a
// delivery and is inside the SMTP DATA exchange (renewing its lease); a
// Service of another replica sends everything within 20 s of the kill,
// repeating at most the one message, and counts the lost lease.
func TestCrashMidSend(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org"})
	for i := 1; i <= 3; i++ {
		storeArticle(t, e.pool, simpleArticle(i, "data-security", 0.7), alert.Change{})
	}
	inData := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	e.smtp.Reply = func(n int) error {
		if n == 1 {
			once.Do(func() { close(inData) })
			<-release
			return errors.New("connection gone")
		}
		return nil
	}
	t.Cleanup(func() { close(release) })
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"WIREWATCH_ALERT_HELPER=1",
		"WIREWATCH_ALERT_HELPER_DB="+e.db.URL,
		"WIREWATCH_ALERT_HELPER_SMTP="+e.cfg.SMTP.URL,
	)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-inData:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child never reached DATA")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ctx := context.Background()
	var sending int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE status = 'sending' AND lease_owner LIKE 'doomed/%'`).Scan(&sending); err != nil || sending < 1 {
		t.Fatalf("after the kill %d rows are sending (%v), want the claimed one(s)", sending, err)
	}
	killed := time.Now()
	s := e.service(t, Options{ReplicaID: "survivor"})
	deadline := killed.Add(20 * time.Second)
	for statusCounts(t, e.pool)[model.StatusSent] < 3 && time.Now().Before(deadline) {
		if _, err := s.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if c := statusCounts(t, e.pool); c[model.StatusSent] != 3 {
		t.Fatalf("statuses %v 20 s after the kill, want 3 sent", c)
	}
	if got := testutil.ToFloat64(s.m.leaseLost); got < 1 {
		t.Errorf("lost-lease metric %v after taking over a dead sender's message, want ≥ 1", got)
	}
	counts := map[string]int{}
	for _, m := range e.smtp.Messages() {
		counts[alerttest.ParseMessage(t, m.Data).Header.Get("Message-Id")]++
	}
	if len(counts) != 3 {
		t.Fatalf("accepted messages %v, want 3 distinct", counts)
	}
	datas := e.smtp.DataCommands()
	if datas > 4 {
		t.Fatalf("%d DATA commands for 3 articles; more than one repeat", datas)
	}
}

// TestHelperProcess is the child of TestCrashMidSend: it claims and starts
// sending, and is killed in the middle.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("WIREWATCH_ALERT_HELPER") != "1" {
		t.Skip("child process of TestCrashMidSend")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("WIREWATCH_ALERT_HELPER_DB"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultAlert()
	cfg.SMTP.URL = os.Getenv("WIREWATCH_ALERT_HELPER_SMTP")
	cfg.SMTP.From = "wirewatch <alerts@wirewatch.test>"
	cfg.SMTP.Timeout = 30 * time.Second
	cfg.Lease = 5 * time.Second
	s, err := NewService(cfg, &store.Store{Pool: pool}, nil, nil, Options{ReplicaID: "doomed", Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.RunOnce(ctx)
	t.Fatal("the child was not killed")
}
