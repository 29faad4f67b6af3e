package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// TestDigestSendLeavesOtherSubscribers: `digest --send` with a
// configuration that lists only the subscriber it sends to must not disable
// the subscribers the daemon serves from its own configuration, nor cancel
// their deliveries.
func TestDigestSendLeavesOtherSubscribers(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	daemonSubs := []config.Subscriber{
		{Name: "ana", Email: "ana@example.org", Cadence: "daily at 08:00 Europe/London"},
		{Name: "bo", Email: "bo@example.org"},
	}
	if err := db.Store.SyncSubscribers(ctx, daemonSubs); err != nil { // the daemon at start-up
		t.Fatal(err)
	}
	if _, err := db.Store.Pool.Exec(ctx, `
WITH a AS (
    INSERT INTO articles (canonical_url, outlet, title, language, summary, body_text, fetch_state, relevant, score, topics, classifier_version)
    VALUES ('https://xh.example/1', 'Xinhua', 'Data security rules', 'en', '', 'Text.', 'fetched', true, 0.9, '{data-security}', 'v')
    RETURNING id)
INSERT INTO deliveries (subscriber_id, article_id, channel, mode)
SELECT s.id, a.id, 'email', 'immediate' FROM subscribers s, a WHERE s.name = 'bo'`); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "cli.yaml")
	// Email on (a closed port: ana has nothing waiting, so nothing is sent);
	// only ana is configured here.
	os.WriteFile(cfgPath, []byte(`alert:
  smtp:
    url: smtp://127.0.0.1:1
    from: "wirewatch <alerts@wirewatch.test>"
  subscribers:
    - name: ana
      email: ana@example.org
      cadence: daily at 08:00 Europe/London
    - name: hook
      webhook: https://hooks.example.org/x
      webhook_secret: k
`), 0o600)
	env := []string{"WIREWATCH_DATABASE_URL=" + db.URL}
	out, errOut, code := runCmd(t, "", env, "digest", "--config", cfgPath, "--subscriber", "ana", "--send")
	if code != 0 || !strings.Contains(out, "sent a digest of 0 article(s) to ana") {
		t.Fatalf("digest --send: exit %d\n%s\n%s", code, out, errOut)
	}
	var enabled bool
	var pending int
	if err := db.Store.Pool.QueryRow(ctx, `SELECT s.enabled, count(d.id) FILTER (WHERE d.status = 'pending')
FROM subscribers s LEFT JOIN deliveries d ON d.subscriber_id = s.id WHERE s.name = 'bo' GROUP BY s.enabled`).Scan(&enabled, &pending); err != nil {
		t.Fatal(err)
	}
	if !enabled || pending != 1 {
		t.Fatalf("after digest --send for ana, bo is enabled=%v with %d pending deliveries; want enabled with 1", enabled, pending)
	}
	// A subscriber this configuration does not have is an error, not a sync.
	_, errOut, code = runCmd(t, "", env, "digest", "--config", cfgPath, "--subscriber", "bo", "--send")
	if code != 1 || !strings.Contains(errOut, `"bo"`) || !strings.Contains(errOut, "not in alert.subscribers") {
		t.Fatalf("digest --send for an unconfigured subscriber: exit %d\n%s", code, errOut)
	}
	// A webhook-only subscriber has no digest: say so instead of previewing.
	out, errOut, code = runCmd(t, "", env, "digest", "--config", cfgPath, "--subscriber", "hook")
	if code != 1 || !strings.Contains(errOut, "hook has no email address") || strings.Contains(out, "Subject:") {
		t.Fatalf("digest for a webhook-only subscriber: exit %d\n%s\n%s", code, out, errOut)
	}
}
