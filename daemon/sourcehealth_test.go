package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// outlet is a loopback site whose feed's item age, challenge and cookie
// gate a test can change.
type outlet struct {
	srv *httptest.Server
	mu  sync.Mutex
	age time.Duration // age of the feed's newest item
	// ruleMarkup serves the rule feed's articles with the markup their
	// site rule expects.
	ruleMarkup bool
}

func newOutlet(t *testing.T) *outlet {
	o := &outlet{}
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *outlet) setAge(d time.Duration) {
	o.mu.Lock()
	o.age = d
	o.mu.Unlock()
}

const challengeBody = `<html><body><script>document.cookie="__jsl_clearance=1a2b;path=/";location.reload();</script></body></html>`

func (o *outlet) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	age := o.age
	o.mu.Unlock()
	switch r.URL.Path {
	case "/robots.txt":
		http.NotFound(w, r)
	case "/feed.xml":
		w.Header().Set("Content-Type", "application/rss+xml")
		newest := time.Now().Add(-age)
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet</title>`)
		for i := range 3 {
			fmt.Fprintf(w, `<item><title>Story %d</title><link>%s/article/%d-%d.html</link><pubDate>%s</pubDate></item>`,
				i, o.srv.URL, newest.Unix(), i, newest.Add(-time.Duration(i)*24*time.Hour).Format(time.RFC1123Z))
		}
		fmt.Fprint(w, `</channel></rss>`)
	case "/rule-feed.xml":
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Ruled</title>`)
		for i := range 5 {
			fmt.Fprintf(w, `<item><title>Ruled %d</title><link>%s/ruled/%d.html</link><pubDate>%s</pubDate></item>`,
				i, o.srv.URL, i, time.Now().Add(-time.Duration(i)*time.Hour).Format(time.RFC1123Z))
		}
		fmt.Fprint(w, `</channel></rss>`)
	case "/ruled/0.html", "/ruled/1.html", "/ruled/2.html", "/ruled/3.html", "/ruled/4.html":
		o.mu.Lock()
		marked := o.ruleMarkup
		o.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		text := strings.Repeat("The regulator published new data security rules for platforms. ", 12)
		if marked {
			fmt.Fprintf(w, `<html lang="en"><head><title>Ruled</title></head><body><div id="story-body"><p>%s</p></div></body></html>`, text)
		} else {
			fmt.Fprintf(w, `<html lang="en"><head><title>Ruled</title></head><body><article><h1>Ruled</h1><p>%s</p></article></body></html>`, text)
		}
	case "/challenge.html":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusPreconditionFailed)
		io.WriteString(w, challengeBody)
	case "/gated.html":
		if c, err := r.Cookie("gate"); err != nil || c.Value != "ok" {
			http.SetCookie(w, &http.Cookie{Name: "gate", Value: "ok", Path: "/"})
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><body><ul class="news"><li><a href="/article/gated-1.html">Gated story</a> <span>%s</span></li></ul></body></html>`, time.Now().UTC().Format("2006-01-02"))
	default:
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html lang="en"><head><title>Story</title></head><body><article><h1>Story</h1><p>`+strings.Repeat("The regulator published new data security rules. ", 20)+`</p></article></body></html>`)
	}
}

// hookLog is an operators' webhook receiver that checks signatures.
type hookLog struct {
	mu   sync.Mutex
	msgs []alert.SourceStateMessage
	bad  int
}

func newHook(t *testing.T, secret string) (*hookLog, string) {
	h := &hookLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := alert.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			h.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m alert.SourceStateMessage
		if err := json.Unmarshal(body, &m); err != nil {
			h.bad++
			return
		}
		h.msgs = append(h.msgs, m)
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hookLog) got() []alert.SourceStateMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]alert.SourceStateMessage(nil), h.msgs...)
}

// (Alike by design: a four-line temp-file writer; config's tests have their own, in another package.)
func writeCatalogue(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pollAgain(t *testing.T, db *storetest.Database) {
	t.Helper()
	if _, err := db.Store.Pool.Exec(context.Background(), `UPDATE sources SET next_poll_at = now()`); err != nil {
		t.Fatal(err)
	}
}

// A feed whose newest item is 300 days old is reported stale: once to the
// operators' email and webhook when it turns stale, once when it recovers,
// and not again while nothing changes. A 412 JavaScript cookie challenge
// is reported as a challenge and stores nothing; a Set-Cookie-then-redirect
// listing is read with cookies: true.
func TestSourceStatesReachOperators(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	site := newOutlet(t)
	site.setAge(300 * 24 * time.Hour)
	box := alerttest.NewSMTPServer(t)
	hook, hookURL := newHook(t, "operators-secret")

	cfg := testConfig(db)
	cfg.SourcesFile = writeCatalogue(t, fmt.Sprintf(`version: 1
sources:
  - {name: old-feed, outlet: Outlet, kind: feed, url: %[1]q, language: en, interval: 1h}
  - {name: js-wall, outlet: Outlet, kind: listing, url: %[2]q, language: en, interval: 1h, listing: {item: "li"}}
  - name: cookie-gate
    outlet: Outlet
    kind: listing
    url: %[3]q
    language: en
    interval: 1h
    cookies: true
    listing: {item: "ul.news li", date: "span"}
`, site.srv.URL+"/feed.xml", site.srv.URL+"/challenge.html", site.srv.URL+"/gated.html"))
	cfg.Alert.SMTP.URL = "smtp://" + box.Addr
	cfg.Alert.SMTP.Timeout = 5 * time.Second
	cfg.Alert.Operators = config.Operators{Email: "ops@example.org", Webhook: hookURL, WebhookSecret: "operators-secret"}
	d := newDaemon(t, ctx, cfg, db, "replica-health")

	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	state := func(name string) string {
		var s string
		if err := db.Store.Pool.QueryRow(ctx, `SELECT health_state FROM sources WHERE name = $1`, name).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := state("old-feed"); s != "stale" {
		t.Fatalf("old-feed is %q, want stale", s)
	}
	if s := state("js-wall"); s != "challenge" {
		t.Fatalf("js-wall is %q, want challenge", s)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles a JOIN sources s ON s.id = a.source_id WHERE s.name = 'js-wall'`); n != 0 {
		t.Fatalf("the challenge page gave %d articles", n)
	}
	if s := state("cookie-gate"); s != "ok" {
		t.Fatalf("cookie-gate is %q, want ok", s)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM articles WHERE canonical_url LIKE '%/article/gated-1.html'`); n != 1 {
		t.Fatalf("the cookie-gated listing gave %d articles, want 1", n)
	}

	byTo := func(msgs []alert.SourceStateMessage, source string) []string {
		var out []string
		for _, m := range msgs {
			if m.Source == source {
				out = append(out, m.From+"→"+m.To)
			}
		}
		return out
	}
	mailsFor := func(source string) []string {
		var out []string
		for _, r := range box.Messages() {
			if m := string(r.Data); strings.Contains(m, "source "+source+" ") {
				out = append(out, m)
			}
		}
		return out
	}
	if got := byTo(hook.got(), "old-feed"); len(got) != 1 || got[0] != "ok→stale" {
		t.Fatalf("webhook messages for old-feed: %v", got)
	}
	if got := byTo(hook.got(), "js-wall"); len(got) != 1 || got[0] != "ok→challenge" {
		t.Fatalf("webhook messages for js-wall: %v", got)
	}
	if m := mailsFor("old-feed"); len(m) != 1 || !strings.Contains(m[0], "Subject: wirewatch: source old-feed is stale") || !strings.Contains(m[0], "300 days old") {
		t.Fatalf("stale mail: %d messages\n%s", len(m), strings.Join(m, "\n---\n"))
	}

	// Still stale: nothing more is sent.
	pollAgain(t, db)
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := byTo(hook.got(), "old-feed"); len(got) != 1 {
		t.Fatalf("webhook messages for old-feed after a second stale poll: %v", got)
	}

	// A fresh item: the source recovers, and the operators hear it once.
	site.setAge(time.Hour)
	pollAgain(t, db)
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := state("old-feed"); s != "ok" {
		t.Fatalf("old-feed is %q after a fresh item, want ok", s)
	}
	if got := byTo(hook.got(), "old-feed"); len(got) != 2 || got[1] != "stale→ok" {
		t.Fatalf("webhook messages for old-feed: %v", got)
	}
	if m := mailsFor("old-feed"); len(m) != 2 || !strings.Contains(m[1], "recovered (was stale)") {
		t.Fatalf("recovery mail: %d messages", len(m))
	}
	if hook.bad != 0 {
		t.Fatalf("%d webhook posts failed verification", hook.bad)
	}
}

// A site rule whose body selector finds nothing on fetch.rule_miss_limit
// articles in a row makes its source broken; an article the rule reads
// again mends it. Each change reaches the operators' webhook once.
func TestSiteRuleMissesBreakTheSource(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	site := newOutlet(t)
	hook, hookURL := newHook(t, "s3cret")
	cfg := testConfig(db)
	cfg.SourcesFile = writeCatalogue(t, fmt.Sprintf(`version: 1
sources:
  - {name: ruled, outlet: Ruled, kind: feed, url: %q, language: en, interval: 1h}
site_rules:
  - outlet: Ruled
    hosts: [127.0.0.1]
    body: "#story-body"
`, site.srv.URL+"/rule-feed.xml"))
	cfg.Fetch.RuleMissLimit = 5
	cfg.Alert.Operators = config.Operators{Webhook: hookURL, WebhookSecret: "s3cret"}
	d := newDaemon(t, ctx, cfg, db, "replica-rules")
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var state, reason string
	var misses int
	read := func() {
		if err := db.Store.Pool.QueryRow(ctx, `SELECT health_state, health_reason, rule_misses FROM sources WHERE name = 'ruled'`).Scan(&state, &reason, &misses); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if state != "broken" || misses != 5 || !strings.Contains(reason, "site rule") {
		t.Fatalf("after 5 misses: state %q (%s), misses %d", state, reason, misses)
	}
	if got := hook.got(); len(got) != 1 || got[0].To != "broken" {
		t.Fatalf("webhook: %+v", got)
	}

	// The outlet's markup matches the rule again: the next article read by
	// the rule mends the source.
	site.mu.Lock()
	site.ruleMarkup = true
	site.mu.Unlock()
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE articles SET next_check_at = now()`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	read()
	if state != "ok" || misses != 0 {
		t.Fatalf("after a hit: state %q (%s), misses %d", state, reason, misses)
	}
	if got := hook.got(); len(got) != 2 || got[1].From != "broken" || got[1].To != "ok" {
		t.Fatalf("webhook: %+v", got)
	}
}
