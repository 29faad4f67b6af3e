package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/store/storetest"
)

// `wirewatch run` logs each start-up phase with its duration and, once every
// source has been polled, what is reachable and why the rest is not.
func TestRunReportsPhasesAndFirstPoll(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ok") {
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>A</title><link>http://%s/a.html</link></item></channel></rss>`, r.Host)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	var cat strings.Builder
	cat.WriteString("version: 1\nsources:\n")
	for name, u := range map[string]string{
		"ok-1": srv.URL + "/ok/1.xml", "ok-2": srv.URL + "/ok/2.xml",
		"gone-1": srv.URL + "/gone/1.xml", "gone-2": srv.URL + "/gone/2.xml",
		"refused": "http://" + dead + "/feed.xml",
	} {
		fmt.Fprintf(&cat, "  - {name: %s, outlet: Test, kind: feed, url: %q, language: en}\n", name, u)
	}
	catPath := filepath.Join(t.TempDir(), "sources.yaml")
	os.WriteFile(catPath, []byte(cat.String()), 0o600)
	db := storetest.NewEmpty(t)
	_, log := startDaemonLog(t, []string{
		"WIREWATCH_DATABASE_URL=" + db.URL,
		"WIREWATCH_SOURCES_FILE=" + catPath,
		"WIREWATCH_FETCH_ALLOW_CIDRS=127.0.0.1/32",
		"WIREWATCH_FETCH_RESPECT_ROBOTS=false",
		"WIREWATCH_DAEMON_TICK=50ms",
	})
	type line struct {
		Msg       string
		Took      *float64
		Applied   int
		Reachable int
		Failing   int
		Reason    string
		Count     int
		Sources   string
		Example   string
		Migration string
	}
	var lines []line
	deadline := time.Now().Add(30 * time.Second)
	for {
		lines = lines[:0]
		done := false
		for _, l := range strings.Split(log.String(), "\n") {
			var v line
			if json.Unmarshal([]byte(l), &v) == nil {
				lines = append(lines, v)
				done = done || v.Msg == "first poll done"
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no first-poll summary after 30 s:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the group lines follow the summary
	lines = lines[:0]
	for _, l := range strings.Split(log.String(), "\n") {
		var v line
		if json.Unmarshal([]byte(l), &v) == nil {
			lines = append(lines, v)
		}
	}
	seen := map[string]line{}
	migrations := 0
	groups := map[string]line{}
	for _, l := range lines {
		switch l.Msg {
		case "applied migration":
			migrations++
			if l.Took == nil || l.Migration == "" {
				t.Errorf("migration line without name or duration: %+v", l)
			}
		case "sources unreachable":
			groups[l.Reason] = l
		}
		seen[l.Msg] = l
	}
	for _, phase := range []string{"database ready", "migrations done", "first poll done"} {
		if l, ok := seen[phase]; !ok || l.Took == nil {
			t.Errorf("no %q line with its duration", phase)
		}
	}
	if migrations == 0 || seen["migrations done"].Applied != migrations {
		t.Errorf("%d migration lines, summary says %d", migrations, seen["migrations done"].Applied)
	}
	if s := seen["first poll done"]; s.Reachable != 2 || s.Failing != 3 {
		t.Errorf("first poll: %+v, want 2 reachable and 3 failing", s)
	}
	if g := groups["http_4xx"]; g.Count != 2 || g.Sources != "gone-1, gone-2" || !strings.Contains(g.Example, "404") {
		t.Errorf("http_4xx group: %+v (groups %+v)", g, groups)
	}
	if len(groups) != 2 {
		t.Errorf("groups: %+v", groups)
	}
}
