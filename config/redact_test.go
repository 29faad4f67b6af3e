package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The secrets planted below must never appear in any error the
// configuration can produce from them.
const (
	pwSecret    = "Hunter2pw"
	tokenSecret = "XoXbTokenValue"
	querySecret = "QueryKey99"
)

func TestRedactURLKeepsSchemeAndHostOnly(t *testing.T) {
	cases := map[string]string{
		"https://hooks.slack.com/services/T0/B0/" + tokenSecret:     "https://hooks.slack.com/…",
		"postgres://ww:" + pwSecret + "@db:5432/ww?sslmode=disable": "postgres://…@db:5432/…?…",
		"https://h.example/hook?key=" + querySecret:                 "https://h.example/…?…",
		"smtp://mail.example:25":                                    "smtp://mail.example:25",
		"host=db user=ww password=" + pwSecret + " dbname=ww":       "host=db user=ww password=[redacted] dbname=ww",
		"host=db password='" + pwSecret + " x' dbname=ww":           "host=db password=[redacted] dbname=ww",
		"hooks.slack.com/services/T0/B0/" + tokenSecret:             "[redacted]",
		"direct": "direct",
	}
	for in, want := range cases {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	text := `Post "https://hooks.example/T/` + tokenSecret + `": dial tcp: refused; dsn password=` + pwSecret
	got := RedactText(text)
	for _, s := range []string{tokenSecret, pwSecret} {
		if strings.Contains(got, s) {
			t.Errorf("RedactText(%q) = %q, still holds %q", text, got, s)
		}
	}
}

func TestNoSecretInConfigErrors(t *testing.T) {
	webhook := "https://hooks.example/services/" + tokenSecret
	basic := "https://ops:" + pwSecret + "@hooks.example/x?token=" + querySecret
	cases := map[string]string{
		// YAML errors quote the lines around the fault.
		"block scalar password":  "database:\n  url: postgres://ww@db/ww\n  password: >-\n    " + pwSecret + "\n  bogus: 1\n",
		"block scalar far above": "database:\n  password: |\n    " + pwSecret + "\n  url: postgres://ww@db/ww\n\n\n\n  bogus: 1\n",
		"inline password":        "alert:\n  smtp:\n    url: smtp://mail:25\n    password: " + pwSecret + "\n    bogus: 1\n",
		"webhook path token":     "alert:\n  operators:\n    webhook: " + webhook + "\n    bogus: 1\n",
		"webhook basic auth":     "alert:\n  operators:\n    webhook: " + basic + "\n    bogus: 1\n",
		"key=value dsn":          "database:\n  url: host=db password=" + pwSecret + " dbname=ww\n  bogus: 1\n",
		"query password":         "database:\n  url: postgres://db/ww?password=" + pwSecret + "\n  bogus: 1\n",
		"webhook secret":         "alert:\n  operators:\n    webhook_secret: " + tokenSecret + "\n    bogus: 1\n",
		// Validation errors print the bad value.
		"bad dsn":            "database:\n  url: host=db password=" + pwSecret + "\n",
		"bad webhook scheme": "database:\n  url: postgres://db/ww\nalert:\n  operators:\n    webhook: ftp://ops:" + pwSecret + "@h/" + tokenSecret + "\n    webhook_secret: s\n",
		"schemeless webhook": "database:\n  url: postgres://db/ww\nalert:\n  subscribers:\n    - name: a\n      webhook: hooks.example/services/" + tokenSecret + "\n      webhook_secret: s\n",
		"bad smtp url":       "database:\n  url: postgres://db/ww\nalert:\n  smtp:\n    url: http://u:" + pwSecret + "@mail/" + tokenSecret + "\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "w.yaml")
			if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p, nil)
			if err == nil {
				t.Fatalf("Load accepted %q", doc)
			}
			for _, s := range []string{pwSecret, tokenSecret, querySecret} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error holds secret %q:\n%v", s, err)
				}
			}
		})
	}
	// The environment path: a key=value DSN that is no postgres:// URL.
	p := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, []string{EnvKey("database.url") + "=host=db password=" + pwSecret})
	if err == nil {
		t.Fatal("Load accepted a key=value database.url")
	}
	if strings.Contains(err.Error(), pwSecret) {
		t.Errorf("environment error holds the secret: %v", err)
	}
}
