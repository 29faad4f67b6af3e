package daemon_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/classify"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// The digest end to end: the daemon polls feeds of fresh
// cyber-policy news on a loopback site, fetches, extracts and classifies
// more than 2,000 relevant articles, and the daily digest that a
// subscriber receives over SMTP fits in a mail client (HTML part under
// 100 KB), has a section for every topic, lists each story once and says
// how many more there are. Relevant-looking items at unsafe addresses are
// refused and never reach it.
func TestDailyDigestOfTwoThousandArticles(t *testing.T) {
	if testing.Short() {
		t.Skip("polls, fetches and classifies 2,200 articles: not under -short")
	}
	ctx := context.Background()
	db := storetest.New(t)
	room := newNewsroom(t, 46, 50)
	box := alerttest.NewSMTPServer(t)
	cfg := testConfig(db)
	cfg.Alert.Backfill = config.DefaultBackfill
	cfg.SourcesFile = catalogue(t, room.specs())
	cfg.Alert.SMTP.URL = "smtp://" + box.Addr
	cfg.Alert.SMTP.Timeout = 30 * time.Second
	cfg.Alert.Subscribers = []config.Subscriber{{Name: "desk", Email: "desk@example.org", Cadence: "daily at 07:00 UTC"}}
	cfg.Daemon.FetchWorkers = 8
	d := newDaemon(t, ctx, cfg, db, "replica-digest")
	start := time.Now()
	st, err := d.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first cycle: %+v in %s", st, time.Since(start).Round(time.Millisecond))
	relevant := queryInt(t, db, `SELECT count(*) FROM articles WHERE relevant AND fetch_state = 'fetched' AND extract_method IN ('rule', 'generic')`)
	fetched := queryInt(t, db, `SELECT count(*) FROM articles WHERE fetch_state = 'fetched'`)
	if relevant < 2000 {
		rows, err := db.Store.Pool.Query(ctx, `SELECT title, coalesce(extract_method, ''), coalesce(score, 0) FROM articles WHERE NOT coalesce(relevant, false) ORDER BY id LIMIT 20`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var title, method string
			var score float64
			if err := rows.Scan(&title, &method, &score); err != nil {
				t.Fatal(err)
			}
			t.Logf("not relevant: %q (%s, %.2f)", title, method, score)
		}
		rows.Close()
		t.Fatalf("%d of %d articles extracted from their pages and judged relevant, want at least 2,000", relevant, fetched)
	}
	if n := len(box.Messages()); n != 0 {
		t.Fatalf("%d messages before the digest's period closed, want 0", n)
	}
	// The relevant-looking items at unsafe addresses are refused, never
	// fetched again and never queued.
	for _, link := range unsafeLinks {
		var state string
		var attempts int
		err := db.Store.Pool.QueryRow(ctx, `SELECT fetch_state, fetch_attempts FROM articles WHERE canonical_url = $1`, link).Scan(&state, &attempts)
		if err != nil || state != "refused" || attempts != 1 {
			t.Errorf("unsafe %s: state %q after %d attempts (%v), want refused at the first", link, state, attempts, err)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries d JOIN articles a ON a.id = d.article_id WHERE a.fetch_state <> 'fetched'`); n != 0 {
		t.Errorf("%d deliveries for articles that were not fetched", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE status = 'pending'`); n != relevant {
		t.Fatalf("%d deliveries waiting for the digest, want %d (one per relevant article)", n, relevant)
	}
	// A day passes: the subscriber has been there for days and the
	// articles were queued before the last 07:00.
	if _, err := db.Store.Pool.Exec(ctx, `UPDATE subscribers SET created_at = now() - interval '3 days';
        UPDATE deliveries SET created_at = created_at - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	st, err = d.PollOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msgs := box.Messages()
	if len(msgs) != 1 || st.Alerts != 1 {
		t.Fatalf("%d messages (%d counted), want the one daily digest", len(msgs), st.Alerts)
	}
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "desk@example.org" {
		t.Errorf("digest sent to %v", msgs[0].To)
	}
	p := alerttest.ParseMessage(t, msgs[0].Data)
	t.Logf("digest of %d relevant articles (%d fetched): message %d bytes, HTML part %d bytes, text part %d bytes; subject %q",
		relevant, fetched, len(msgs[0].Data), len(p.HTML), len(p.Text), p.Subject)
	for _, link := range unsafeLinks {
		if u, _ := url.Parse(link); strings.Contains(p.HTML, u.Host) || strings.Contains(p.Text, u.Host) {
			t.Errorf("the digest names the unsafe address %s", u.Host)
		}
	}
	if len(p.HTML) >= 100_000 {
		t.Errorf("HTML part is %d bytes, want < 100,000", len(p.HTML))
	}
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	labels := daemon.TopicLabels(tax)
	if len(labels) != len(newsTopics) {
		t.Fatalf("the taxonomy has %d topics, the newsroom writes about %d: update newsTopics", len(labels), len(newsTopics))
	}
	for id, label := range labels {
		if !strings.Contains(p.HTML, ">"+html.EscapeString(label)+" <") || !strings.Contains(p.Text, label+" (") {
			t.Errorf("no section for topic %s (%q) in the digest", id, label)
		}
	}
	// Each story once: every item the digest holds is shown (in full or
	// as a title line) or counted in "and N more", and the digest holds
	// one item per story.
	more := regexp.MustCompile(`and (\d+) more — see the archive`)
	hm, tm := more.FindStringSubmatch(p.HTML), more.FindStringSubmatch(p.Text)
	if hm == nil || tm == nil || hm[1] != tm[1] {
		t.Fatalf("no matching \"and N more\" line in the HTML (%v) and the text (%v)", hm, tm)
	}
	left, _ := strconv.Atoi(hm[1])
	links := regexp.MustCompile(regexp.QuoteMeta(room.srv.URL)+`/news/\d+/\d+\.html`).FindAllString(p.HTML, -1)
	shown := map[string]bool{}
	for _, l := range links {
		shown[l] = true
	}
	stories := queryInt(t, db, `SELECT count(DISTINCT coalesce(story_id, -id)) FROM articles WHERE relevant`)
	copies := queryInt(t, db, `SELECT count(*) - count(DISTINCT story_id) FROM articles WHERE relevant AND story_id IS NOT NULL`)
	t.Logf("%d stories (%d articles were copies of another); digest shows %d, leaves out %d", stories, copies, len(shown), left)
	if copies == 0 {
		t.Errorf("no relevant article joined another's story: the newsroom republishes every 10th item")
	}
	if len(shown)+left != stories {
		t.Errorf("%d items shown + %d left out = %d, want one per story (%d)", len(shown), left, len(shown)+left, stories)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM deliveries WHERE status = 'sent'`); n != relevant {
		t.Errorf("%d deliveries marked sent, want %d", n, relevant)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM digests WHERE status = 'sent' AND item_count = $1`, stories); n != 1 {
		t.Errorf("no sent digest recorded with %d items", stories)
	}
}
