package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// (Alike by design: a four-line temp-file writer; daemon's tests have their own, in another package.)
func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wirewatch.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsValidateAndBuiltInFileLoads(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	// The default path does not exist in the test's working directory, so
	// Load falls back to the embedded file.
	cfg, err := Load(DefaultPath, nil)
	if err != nil {
		t.Fatalf("Load(default): %v", err)
	}
	if cfg.Daemon.ShutdownGrace != 20*time.Second || cfg.Daemon.Listen != "127.0.0.1:9090" {
		t.Fatalf("unexpected defaults: %+v", cfg.Daemon)
	}
}

func TestFileThenEnvironment(t *testing.T) {
	p := writeFile(t, "daemon:\n  poll_workers: 3\n  lease: 90s\nfetch:\n  allow_cidrs: [10.0.0.0/8]\n")
	cfg, err := Load(p, []string{"WIREWATCH_DAEMON_POLL_WORKERS=5", "WIREWATCH_FETCH_RECHECK=2h,4h", "WIREWATCH_LOG_FORMAT=json", "PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Daemon.PollWorkers != 5 {
		t.Errorf("env did not override the file: poll_workers=%d", cfg.Daemon.PollWorkers)
	}
	if cfg.Daemon.Lease != 90*time.Second {
		t.Errorf("file value lost: lease=%s", cfg.Daemon.Lease)
	}
	if got := cfg.Fetch.Recheck; len(got) != 2 || got[1] != 4*time.Hour {
		t.Errorf("recheck from env = %v", got)
	}
	if cfg.Log.Format != "json" || cfg.Fetch.AllowCIDRs[0] != "10.0.0.0/8" {
		t.Errorf("got %+v %+v", cfg.Log, cfg.Fetch.AllowCIDRs)
	}
}

func TestErrorsNameFileKeyAndExpectation(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        []string
		want       []string
	}{
		{"unknown key", "daemon:\n  pol_workers: 3\n", nil, []string{"wirewatch.yaml", "pol_workers", "2:"}},
		{"wrong type", "daemon:\n  poll_workers: many\n", nil, []string{"wirewatch.yaml", "poll_workers"}},
		{"bad value", "daemon:\n  poll_workers: 0\n", nil, []string{"wirewatch.yaml", "daemon.poll_workers", "want 1 to 1024, got 0"}},
		{"bad duration", "daemon:\n  lease: soon\n", nil, []string{"wirewatch.yaml", "lease"}},
		{"duration with a word unit", "daemon:\n  tick: 1s\n  lease: 2 minutes\n", nil, []string{"line 3", "key lease"}},
		{"duration with a bad unit", "fetch:\n  timeout: 2x\n", nil, []string{"line 2", "key timeout"}},
		{"bad cidr", "fetch:\n  allow_cidrs: [localhost]\n", nil, []string{"fetch.allow_cidrs[0]", "CIDR"}},
		{"bad cadence", "alert:\n  subscribers:\n    - name: a\n      email: a@example.org\n      cadence: hourly\n", nil, []string{"alert.subscribers[0].cadence", "daily at HH:MM"}},
		{"bad zone", "alert:\n  subscribers:\n    - name: a\n      email: a@example.org\n      cadence: daily at 08:00 Mars/Olympus\n", nil, []string{"Mars/Olympus", "IANA"}},
		{"env type", "", []string{"WIREWATCH_DAEMON_POLL_WORKERS=lots"}, []string{"environment", "WIREWATCH_DAEMON_POLL_WORKERS", "whole number"}},
		{"env unknown", "", []string{"WIREWATCH_DAEMON_POOL_WORKERS=2"}, []string{"WIREWATCH_DAEMON_POOL_WORKERS", "unknown setting"}},
		{"threshold", "classify:\n  threshold: 2\n", nil, []string{"classify.threshold", "(0, 1]"}},
		{"email under channels", "alert:\n  subscribers:\n    - name: a\n      channels: {email: {address: a@example.org}}\n", nil, []string{"alert.subscribers[0].channels.email", "alert.subscribers[0].email"}},
		{"channel name", "alert:\n  subscribers:\n    - name: a\n      channels: {Slack: {address: https://x.example}}\n", nil, []string{"alert.subscribers[0].channels", `"Slack"`}},
		{"channel without address", "alert:\n  subscribers:\n    - name: a\n      channels: {slack: {}}\n", nil, []string{"alert.subscribers[0].channels.slack.address", "want an address"}},
		{"no address at all", "alert:\n  subscribers:\n    - name: a\n", nil, []string{"alert.subscribers[0]", "a channels entry"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tc.yaml), tc.env)
			if err == nil {
				t.Fatal("want an error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *config.Error, got %T: %v", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestSecretsNeverShow(t *testing.T) {
	const pw = "hunter2-very-secret"
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, fmt.Sprintf(`database:
  url: postgres://app:%[1]s@db.example.org/wirewatch
alert:
  smtp:
    url: smtp://mailer@mail.example.org:587
    password_file: %[2]s
  subscribers:
    - name: desk
      webhook: https://hooks.example.org/x
      webhook_secret: %[1]s
`, pw, pwFile))
	cfg, err := Load(p, []string{"WIREWATCH_DATABASE_PASSWORD=" + pw})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Alert.SMTP.Password.Reveal() != pw || cfg.Database.Password.Reveal() != pw {
		t.Fatal("secret values were not loaded")
	}
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("config", "config", cfg, "password", cfg.Alert.SMTP.Password, "db", RedactURL(cfg.Database.URL))
	out := buf.String() + fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.Alert.Subscribers[0].WebhookSecret)
	if strings.Contains(out, pw) {
		t.Fatalf("secret leaked into output: %s", out)
	}
	if !strings.Contains(out, "[redacted]") {
		t.Fatalf("expected a redaction marker in %s", out)
	}

	// Errors about a secret-bearing value do not repeat it either.
	bad := writeFile(t, "database:\n  url: mysql://app:"+pw+"@db/x\n")
	_, err = Load(bad, nil)
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Fatalf("want an error without the password, got %v", err)
	}
	bad = writeFile(t, "database:\n  url: postgres://app:"+pw+"@db/x\n  max_conns: nope\n")
	_, err = Load(bad, nil)
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Fatalf("want a YAML error without the password, got %v", err)
	}
	_, err = Load(writeFile(t, ""), []string{"WIREWATCH_DATABASE_URL=" + "mysql://u:" + pw + "@h/d"})
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Fatalf("want an env error without the password, got %v", err)
	}
}

// A subscriber's channels entry reads its address from address_file (a
// chat webhook URL is a secret: it never prints), and Addresses merges it
// with the email and webhook keys.
func TestChannelAddresses(t *testing.T) {
	const url = "https://hooks.slack.com/services/T0/B0/sEcReTtOkEn"
	f := filepath.Join(t.TempDir(), "slack-url")
	if err := os.WriteFile(f, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(writeFile(t, fmt.Sprintf(`alert:
  subscribers:
    - name: chat
      email: chat@example.org
      channels:
        slack: {address_file: %s}
`, f)), nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := cfg.Alert.Subscribers[0]
	want := map[string]string{"email": "chat@example.org", "slack": url}
	if got := sub.Addresses(); !maps.Equal(got, want) {
		t.Errorf("Addresses() = %v, want %v", got, want)
	}
	if out := fmt.Sprintf("%v %+v", cfg, sub); strings.Contains(out, "sEcReTtOkEn") {
		t.Errorf("the slack URL shows in %s", out)
	}
}

func TestParseCadence(t *testing.T) {
	c, err := ParseCadence("weekly on Monday at 07:00 Asia/Singapore")
	if err != nil || c.Mode != "weekly" || c.Weekday != time.Monday || c.Hour != 7 || c.Location.String() != "Asia/Singapore" {
		t.Fatalf("got %+v %v", c, err)
	}
	c, err = ParseCadence("daily at 08:30 Europe/London")
	if err != nil || c.Mode != "daily" || c.Minute != 30 {
		t.Fatalf("got %+v %v", c, err)
	}
	if c, _ := ParseCadence(""); c.Mode != "immediate" {
		t.Fatalf("empty cadence = %q", c.Mode)
	}
	for _, bad := range []string{"daily", "daily at 25:00", "weekly at 08:00", "weekly on Someday at 08:00", "monthly at 08:00"} {
		if _, err := ParseCadence(bad); err == nil {
			t.Errorf("ParseCadence(%q) accepted", bad)
		}
	}
}

func TestKeysCoverEnvironment(t *testing.T) {
	keys := strings.Join(Keys(), " ")
	for _, k := range []string{"database.url", "database.password_file", "alert.smtp.password", "fetch.allow_cidrs", "daemon.shutdown_grace"} {
		if !strings.Contains(keys, k) {
			t.Errorf("Keys() lacks %s", k)
		}
	}
}

func TestWebSection(t *testing.T) {
	hash := "$2a$10$abcdefghijklmnopqrstuu1234567890123456789012345678901"
	p := writeFile(t, "web:\n  password_hash: \""+hash+"\"\n  proxy_header: X-Forwarded-User\n  trusted_proxies: [10.0.0.5/32]\n")
	cfg, err := Load(p, []string{"WIREWATCH_WEB_PAGE_SIZE=50"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Web.PasswordHash.Reveal() != hash || cfg.Web.PageSize != 50 || !cfg.Web.HasLogin() {
		t.Errorf("web section: %+v", cfg.Web)
	}
	if s := fmt.Sprintf("%v", cfg.Web); strings.Contains(s, hash) {
		t.Errorf("the password hash is printed: %s", s)
	}
	for env, key := range map[string]string{
		"WIREWATCH_WEB_PASSWORD_HASH=plaintext":     "web.password_hash",
		"WIREWATCH_WEB_PROXY_HEADER=X-User":         "web.trusted_proxies",
		"WIREWATCH_WEB_TRUSTED_PROXIES=10.0.0.0/33": "web.trusted_proxies",
		"WIREWATCH_WEB_PAGE_SIZE=0":                 "web.page_size",
		"WIREWATCH_WEB_USER=a:b":                    "web.user",
	} {
		_, err := Load(writeFile(t, ""), []string{env})
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("%s: %v, want an error on %s", env, err, key)
		}
	}
}

func TestCheckListener(t *testing.T) {
	w := DefaultWeb()
	for addr, ok := range map[string]bool{
		"127.0.0.1:9091": true, "[::1]:80": true, "localhost:1": true, "[::ffff:127.0.0.1]:1": true,
		"0.0.0.0:9091": false, ":9091": false, "[::]:1": false, "10.1.2.3:80": false, "example.org:80": false, "nonsense": false,
	} {
		err := w.CheckListener(addr)
		if (err == nil) != ok || (err != nil && !errors.Is(err, ErrWebNeedsLogin)) {
			t.Errorf("CheckListener(%q) = %v", addr, err)
		}
	}
	w.ProxyHeader, w.TrustedProxies = "X-Forwarded-User", []string{"10.0.0.5/32"}
	if err := w.CheckListener("0.0.0.0:9091"); err != nil {
		t.Errorf("with a proxy login: %v", err)
	}
}
