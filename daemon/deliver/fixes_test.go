package deliver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/internal/syncbuf"
	"github.com/wirewatch/wirewatch/model"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
)

// debugLogger logs everything, as text, to b.
func debugLogger(b *syncbuf.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// quitDropListener hands out connections that close, without a reply, when
// the client sends QUIT: the message was accepted (250 after DATA) but the
// session does not end cleanly.
type quitDropListener struct{ net.Listener }

func (l quitDropListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return quitDropConn{c}, nil
}

type quitDropConn struct{ net.Conn }

func (c quitDropConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && bytes.HasPrefix(bytes.ToUpper(p[:n]), []byte("QUIT")) {
		c.Conn.Close()
		return 0, io.EOF
	}
	return n, err
}

// TestSMTPAcceptedThenQuitFails: the server accepts the message and then
// drops the connection at QUIT. go-mail reports an error, but the message
// left: it is recorded as sent and never sent again.
func TestSMTPAcceptedThenQuitFails(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org"})
	e.smtp = alerttest.NewSMTPServerWrapped(t, func(l net.Listener) net.Listener { return quitDropListener{l} })
	e.cfg.SMTP.URL = "smtp://" + e.smtp.Addr
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	var logs syncbuf.Buffer
	s, err := NewService(e.cfg, e.db.Store, debugLogger(&logs), nil, Options{ReplicaID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 4 {
		if _, err := s.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Millisecond) // past any retry delay
	}
	if got := len(e.smtp.Messages()); got != 1 {
		t.Fatalf("server accepted %d messages, want exactly 1", got)
	}
	var status string
	var attempts int
	if err := e.pool.QueryRow(ctx, `SELECT status, attempts FROM deliveries`).Scan(&status, &attempts); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusSent || attempts != 1 {
		t.Fatalf("delivery %s after %d attempt(s), want sent after 1", status, attempts)
	}
	if !strings.Contains(logs.String(), "closing the connection failed") {
		t.Errorf("the QUIT failure was not logged:\n%s", logs.String())
	}
}

// scriptedSMTP is a raw SMTP server on loopback that answers the greeting
// with greeting and rejects AUTH (CRAM-MD5) with authReply.
func scriptedSMTP(t *testing.T, greeting, authReply string) string {
	t.Helper()
	// (Alike by design: a loopback accept loop, as fetch's SOCKS5 test server has; each serves
	// its own protocol and lives in its own package's tests.)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				say := func(s string) { _, _ = io.WriteString(c, s+"\r\n") }
				say(greeting)
				if !strings.HasPrefix(greeting, "220") {
					_, _ = r.ReadString('\n') // QUIT, if any
					return
				}
				inAuth := false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case inAuth:
						inAuth = false
						say(authReply)
					case strings.HasPrefix(cmd, "EHLO"):
						say("250-localhost\r\n250-8BITMIME\r\n250 AUTH CRAM-MD5")
					case strings.HasPrefix(cmd, "HELO"), cmd == "NOOP", cmd == "RSET":
						say("250 OK")
					case strings.HasPrefix(cmd, "AUTH"):
						inAuth = true
						say("334 " + base64.StdEncoding.EncodeToString([]byte("<1.2@localhost>")))
					case cmd == "*":
						say("501 5.0.0 AUTH aborted")
					case cmd == "QUIT":
						say("221 bye")
						return
					default:
						say("502 5.5.2 not implemented")
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestSMTPRejectedBeforeMessage: a 5xx reply before the message (at the
// greeting, to AUTH) fails the delivery with the server's reason; a 4xx
// reply there is retried.
func TestSMTPRejectedBeforeMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, greeting, auth string
		status, reason            string
	}{
		{"554 greeting", "smtp://%s", "554 5.3.2 no service for you", "", model.StatusFailed, "no service for you"},
		{"535 auth", "smtp://u:wrong@%s", "220 localhost ESMTP", "535 5.7.8 authentication credentials invalid", model.StatusFailed, "authentication credentials invalid"},
		{"421 greeting", "smtp://%s", "421 4.3.2 too busy, come back later", "", model.StatusPending, "too busy"},
		{"454 auth", "smtp://u:pw@%s", "220 localhost ESMTP", "454 4.7.0 temporary authentication failure", model.StatusPending, "temporary authentication failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org"})
			e.cfg.SMTP.URL = strings.Replace(tt.url, "%s", scriptedSMTP(t, tt.greeting, tt.auth), 1)
			storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
			s := e.service(t, Options{})
			ctx := context.Background()
			if _, err := s.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			var status, errText string
			var attempts int
			if err := e.pool.QueryRow(ctx, `SELECT status, attempts, coalesce(error, '') FROM deliveries`).Scan(&status, &attempts, &errText); err != nil {
				t.Fatal(err)
			}
			code := tt.greeting[:3]
			if tt.auth != "" {
				code = tt.auth[:3]
			}
			if status != tt.status || attempts != 1 || !strings.Contains(errText, code) || !strings.Contains(errText, tt.reason) {
				t.Fatalf("status %s after %d attempt(s), error %q; want %s with %s %q", status, attempts, errText, tt.status, code, tt.reason)
			}
		})
	}
}

// TestLeaseRenewedWhileSending: a send that outlasts the lease keeps its
// lease (the sender renews it), so no other replica takes it over, and it
// leaves once; the lease is counted on the database's clock.
func TestLeaseRenewedWhileSending(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org", Cadence: "immediate"})
	e.cfg.Lease = 3 * time.Second
	e.cfg.SMTP.Timeout = 30 * time.Second
	inData, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.smtp.Reply = func(n int) error {
		once.Do(func() { close(inData) })
		<-release
		return nil
	}
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	ctx := context.Background()
	ahead := func() time.Time { return time.Now().Add(time.Hour) } // a replica with a bad clock
	s := e.service(t, Options{ReplicaID: "slow", Now: ahead})
	if s.opts.Lease != 3*time.Second {
		t.Fatalf("lease %v, want alert.lease 3s", s.opts.Lease)
	}
	done := make(chan int)
	go func() {
		n, _ := s.RunOnce(ctx)
		done <- n
	}()
	<-inData
	var first time.Time
	if err := e.pool.QueryRow(ctx, `SELECT lease_until FROM deliveries`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	// Wait (event, not time) until the lease was renewed past its first end.
	for renewed := false; !renewed; {
		var until time.Time
		if err := e.pool.QueryRow(ctx, `SELECT lease_until FROM deliveries`).Scan(&until); err != nil {
			t.Fatal(err)
		}
		renewed = until.After(first)
		time.Sleep(50 * time.Millisecond)
	}
	// Another replica housekeeping now finds a live lease: nothing to take.
	other := e.service(t, Options{ReplicaID: "other"})
	if err := other.Housekeep(ctx); err != nil {
		t.Fatal(err)
	}
	var owner string
	if err := e.pool.QueryRow(ctx, `SELECT lease_owner FROM deliveries WHERE status = 'sending'`).Scan(&owner); err != nil || !strings.HasPrefix(owner, "slow/") {
		t.Fatalf("the renewed send was taken over (owner %q, %v)", owner, err)
	}
	close(release)
	if n := <-done; n != 1 {
		t.Fatalf("RunOnce sent %d, want 1", n)
	}
	if c := statusCounts(t, e.pool); c[model.StatusSent] != 1 || len(e.smtp.Messages()) != 1 {
		t.Fatalf("statuses %v, %d messages; want 1 sent once", c, len(e.smtp.Messages()))
	}
}

// TestRestartReclaimsOwnLeases: a replica restarted after kill -9 takes
// back at once what its earlier run was sending (its lease has not expired
// yet), sends it, and counts the lost leases; another replica's live
// leases are left alone.
func TestRestartReclaimsOwnLeases(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org", Cadence: "immediate"})
	for i := 1; i <= 3; i++ {
		storeArticle(t, e.pool, simpleArticle(i, "data-security", 0.8), alert.Change{})
	}
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `UPDATE deliveries SET status = 'sending', attempts = 1, lease_until = now() + interval '1 hour',
            lease_owner = CASE WHEN id = (SELECT max(id) FROM deliveries) THEN 'other/1' ELSE 'web-0/dead01' END`); err != nil {
		t.Fatal(err)
	}
	s := e.service(t, Options{ReplicaID: "web-0"})
	if n, err := s.RunOnce(ctx); err != nil || n != 2 {
		t.Fatalf("RunOnce = %d, %v; want the 2 messages of the earlier run sent", n, err)
	}
	if c := statusCounts(t, e.pool); c[model.StatusSent] != 2 || c["sending"] != 1 {
		t.Fatalf("statuses %v; want 2 sent, the other replica's 1 still sending", c)
	}
	if got := testutil.ToFloat64(s.m.leaseLost); got != 2 {
		t.Errorf("lost-lease metric %v, want 2", got)
	}
}

// TestReapUsesDatabaseClock: a replica whose clock runs an hour ahead does
// not take back a send whose lease is still running.
func TestReapUsesDatabaseClock(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, config.Subscriber{Name: "ana", Email: "ana@example.org"})
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `UPDATE deliveries SET status = 'sending', attempts = 1, lease_owner = 'other/1', lease_until = now() + interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	s := e.service(t, Options{Now: func() time.Time { return time.Now().Add(time.Hour) }})
	if _, err := s.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var status, owner string
	if err := e.pool.QueryRow(ctx, `SELECT status, coalesce(lease_owner, '') FROM deliveries`).Scan(&status, &owner); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusSending || owner != "other/1" || len(e.smtp.Messages()) != 0 {
		t.Fatalf("live lease reaped: status %s owner %q, %d messages", status, owner, len(e.smtp.Messages()))
	}
	// Once it has expired by the database's clock, it is reaped.
	if _, err := e.pool.Exec(ctx, `UPDATE deliveries SET lease_until = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT status FROM deliveries`).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status == model.StatusSending {
		t.Fatalf("expired lease not reaped")
	}
}

// TestLostLeaseDetected: when the row was taken back while the message was
// on its way (another replica's reaper), recording the outcome matches no
// row; that is logged, and the row is left to its new holder.
func TestLostLeaseDetected(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t,
		config.Subscriber{Name: "ana", Email: "ana@example.org"},
		config.Subscriber{Name: "bo", Email: "bo@example.org", Cadence: "daily at 08:00 Europe/London"},
	)
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	ctx := context.Background()
	var logs syncbuf.Buffer
	reap := func(kind string, id int64) { // what another replica's reaper does
		table := map[string]string{"delivery": "deliveries", "digest": "digests"}[kind]
		if _, err := e.pool.Exec(ctx, `UPDATE `+table+` SET status = 'pending', lease_owner = NULL, lease_until = NULL WHERE id = $1`, id); err != nil {
			t.Error(err)
		}
	}
	s, err := NewService(e.cfg, e.db.Store, debugLogger(&logs), nil, Options{ReplicaID: "slow", BeforeSend: reap})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	var status string
	if err := e.pool.QueryRow(ctx, `SELECT d.status FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.name = 'ana'`).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusPending {
		t.Fatalf("delivery %s, want pending (taken back; not ours to record)", status)
	}
	if !strings.Contains(logs.String(), "lease lost, a duplicate is possible") || !strings.Contains(logs.String(), "delivery_id=") {
		t.Fatalf("lost lease of a delivery not logged:\n%s", logs.String())
	}
	// The same for a digest.
	if _, err := s.SendDigestNow(ctx, "bo"); err != nil {
		t.Fatal(err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT status FROM digests`).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusPending || strings.Count(logs.String(), "lease lost, a duplicate is possible") != 2 || !strings.Contains(logs.String(), "digest_id=") {
		t.Fatalf("digest %s; lost lease of a digest not logged:\n%s", status, logs.String())
	}
}

// TestEnqueueRevivesCancelled: a 'new' row cancelled because the article
// stopped being relevant is queued again when it becomes relevant before
// anything was sent.
func TestEnqueueRevivesCancelled(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t,
		config.Subscriber{Name: "ana", Email: "ana@example.org"},
		config.Subscriber{Name: "bo", Email: "bo@example.org", Cadence: "daily at 08:00 Europe/London"},
	)
	ctx := context.Background()
	a := simpleArticle(1, "data-security", 0.8)
	if _, n := storeArticle(t, e.pool, a, alert.Change{}); n != 2 {
		t.Fatalf("new article: %d rows, want 2", n)
	}
	off := a
	off.Score, off.Topics = 0, nil
	storeArticle(t, e.pool, off, alert.Change{WasRelevant: true, Edited: true})
	if c := statusCounts(t, e.pool); c[model.StatusCancelled] != 2 {
		t.Fatalf("after losing relevance: %v, want 2 cancelled", c)
	}
	// Simulate an attempt made before the cancel.
	if _, err := e.pool.Exec(ctx, `UPDATE deliveries SET attempts = 2, next_attempt_at = now() + interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	if _, n := storeArticle(t, e.pool, a, alert.Change{WasRelevant: false}); n != 2 {
		t.Fatalf("relevant again: %d rows queued, want 2", n)
	}
	var pending, clean int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'pending'),
       count(*) FILTER (WHERE attempts = 0 AND error IS NULL AND next_attempt_at <= now()) FROM deliveries`).Scan(&pending, &clean); err != nil {
		t.Fatal(err)
	}
	if pending != 2 || clean != 2 {
		t.Fatalf("%d pending, %d reset; want 2 and 2", pending, clean)
	}
	s := e.service(t, Options{})
	if n, err := s.RunOnce(ctx); err != nil || n != 1 || len(e.smtp.Messages()) != 1 {
		t.Fatalf("RunOnce = %d, %v; %d messages, want ana's alert", n, err, len(e.smtp.Messages()))
	}
}

// TestUpsertSubscriberDoesNotPrune: upserting one subscriber leaves the
// others enabled with their pending deliveries.
func TestUpsertSubscriberDoesNotPrune(t *testing.T) {
	t.Parallel()
	ana := config.Subscriber{Name: "ana", Email: "ana@example.org", Cadence: "daily at 08:00"}
	bo := config.Subscriber{Name: "bo", Email: "bo@example.org", Webhook: "https://hooks.example.org/x", WebhookSecret: "k"}
	e := newTestEnv(t, ana, bo)
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	ctx := context.Background()
	ana.Email = "ana@example.net"
	if err := e.db.Store.UpsertSubscriber(ctx, ana); err != nil {
		t.Fatal(err)
	}
	var enabled bool
	var pending int
	if err := e.pool.QueryRow(ctx, `SELECT s.enabled, count(d.id) FILTER (WHERE d.status = 'pending')
FROM subscribers s LEFT JOIN deliveries d ON d.subscriber_id = s.id WHERE s.name = 'bo' GROUP BY s.enabled`).Scan(&enabled, &pending); err != nil {
		t.Fatal(err)
	}
	if !enabled || pending != 2 {
		t.Fatalf("bo enabled=%v with %d pending rows, want enabled with 2", enabled, pending)
	}
	var email string
	if err := e.pool.QueryRow(ctx, `SELECT c.address FROM subscriber_channels c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.name = 'ana' AND c.channel = 'email'`).Scan(&email); err != nil || email != "ana@example.net" {
		t.Fatalf("ana's email %q (%v), want updated", email, err)
	}
	if _, err := ConfiguredSubscriber(e.cfg, "nobody"); err == nil || !strings.Contains(err.Error(), "not in alert.subscribers") {
		t.Fatalf("ConfiguredSubscriber(nobody) = %v", err)
	}
}
