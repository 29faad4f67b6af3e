package deliver

import (
	"context"
	"encoding/json"
	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/model"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
)

func TestWebhookSignedRetriedSameID(t *testing.T) {
	t.Parallel()
	const secret = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM="
	var (
		mu    sync.Mutex
		ids   []string
		calls int
		body  alert.WebhookPayload
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := alert.Verify(secret, r.Header, b, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("receiver: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		calls++
		ids = append(ids, r.Header.Get(alert.HeaderWebhookID))
		switch calls {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			if err := json.Unmarshal(b, &body); err != nil {
				t.Errorf("receiver: %v", err)
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	e := newTestEnv(t, config.Subscriber{Name: "hook", Webhook: srv.URL + "/in", WebhookSecret: secret})
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	s := e.service(t, Options{HTTPClient: srv.Client()})
	ctx := context.Background()
	s.RunOnce(ctx) // 503
	time.Sleep(80 * time.Millisecond)
	s.RunOnce(ctx) // 429, Retry-After: 1
	var next time.Time
	if err := e.pool.QueryRow(ctx, `SELECT next_attempt_at FROM deliveries`).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(next); d < 700*time.Millisecond {
		t.Fatalf("Retry-After not honoured: next attempt in %v", d)
	}
	if n, _ := s.RunOnce(ctx); n != 0 {
		t.Fatal("sent before Retry-After passed")
	}
	time.Sleep(time.Until(next) + 20*time.Millisecond)
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("third attempt = %d, %v", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 3 || ids[0] != ids[1] || ids[1] != ids[2] || !strings.HasPrefix(ids[0], "wirewatch_delivery_") {
		t.Fatalf("ids %v, want the same id three times", ids)
	}
	if body.ID != ids[0] || body.Type != "article.new" || body.Article.URL != "https://english.news.cn/2026/0001.html" ||
		!strings.Contains(body.Text, "*<https://english.news.cn/2026/0001.html|") || body.Article.Excerpt == "" {
		t.Fatalf("payload %+v", body)
	}
	var attempts int
	if err := e.pool.QueryRow(ctx, `SELECT attempts FROM deliveries WHERE status = 'sent'`).Scan(&attempts); err != nil || attempts != 3 {
		t.Fatalf("attempts %d, %v", attempts, err)
	}
}

func TestWebhookGoneDisables(t *testing.T) {
	t.Parallel()
	var redirected atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/elsewhere":
			redirected.Store(true)
		default:
			w.WriteHeader(http.StatusGone)
		}
	}))
	t.Cleanup(srv.Close)
	e := newTestEnv(t,
		config.Subscriber{Name: "gone", Webhook: srv.URL + "/gone", WebhookSecret: "s"},
		config.Subscriber{Name: "moved", Webhook: srv.URL + "/moved", WebhookSecret: "s"},
	)
	storeArticle(t, e.pool, simpleArticle(1, "data-security", 0.8), alert.Change{})
	storeArticle(t, e.pool, simpleArticle(2, "data-security", 0.8), alert.Change{})
	s := e.service(t, Options{HTTPClient: srv.Client(), Workers: 1})
	ctx := context.Background()
	s.RunOnce(ctx)
	var disabled bool
	if err := e.pool.QueryRow(ctx, `SELECT c.disabled_at IS NOT NULL FROM subscriber_channels c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.name = 'gone' AND c.channel = 'webhook'`).Scan(&disabled); err != nil || !disabled {
		t.Fatalf("410 did not disable the endpoint (%v)", err)
	}
	var failed, cancelled int
	e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'cancelled')
FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.name = 'gone'`).Scan(&failed, &cancelled)
	if failed != 1 || cancelled != 1 {
		t.Fatalf("gone: %d failed, %d cancelled; want 1 and 1", failed, cancelled)
	}
	if redirected.Load() {
		t.Fatal("a redirect was followed")
	}
	var status, errText string
	e.pool.QueryRow(ctx, `SELECT d.status, coalesce(d.error, '') FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
WHERE s.name = 'moved' ORDER BY d.id LIMIT 1`).Scan(&status, &errText)
	if status != model.StatusPending || !strings.Contains(errText, "302") {
		t.Fatalf("redirect: status %s error %q; want pending with HTTP 302", status, errText)
	}
	// A new URL in the configuration gives the endpoint another chance.
	subs := []config.Subscriber{{Name: "gone", Webhook: srv.URL + "/new", WebhookSecret: "s"}}
	if err := e.db.Store.SyncSubscribers(ctx, subs); err != nil {
		t.Fatal(err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT c.disabled_at IS NOT NULL FROM subscriber_channels c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.name = 'gone' AND c.channel = 'webhook'`).Scan(&disabled); err != nil || disabled {
		t.Fatal("new URL still disabled")
	}
}
