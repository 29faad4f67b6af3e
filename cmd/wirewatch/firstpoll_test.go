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

	"github.com/wirewatch/wirewatch/internal/syncbuf"
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
	env := []string{
		"WIREWATCH_DATABASE_URL=" + db.URL,
		"WIREWATCH_SOURCES_FILE=" + catPath,
		"WIREWATCH_FETCH_ALLOW_CIDRS=127.0.0.1/32",
		"WIREWATCH_FETCH_RESPECT_ROBOTS=false",
		"WIREWATCH_DAEMON_TICK=50ms",
	}
	_, log := startDaemonLog(t, env)
	seen, groups, migrations := firstPollLog(t, log)
	for _, phase := range []string{"database ready", "migrations done", "first poll done"} {
		if l, ok := seen[phase]; !ok || l.Took == nil {
			t.Errorf("no %q line with its duration", phase)
		}
	}
	if migrations == 0 || seen["migrations done"].Applied != migrations {
		t.Errorf("%d migration lines, summary says %d", migrations, seen["migrations done"].Applied)
	}
	checkFirstPoll(t, seen["first poll done"], groups, 5)

	// Restarted, the daemon finds no source due (the failed ones wait for
	// their retry): the summary comes from what the last run left.
	_, log = startDaemonLog(t, env)
	seen, groups, _ = firstPollLog(t, log)
	checkFirstPoll(t, seen["first poll done"], groups, 0)
}

func checkFirstPoll(t *testing.T, s firstPollLine, groups map[string]firstPollLine, polled int) {
	t.Helper()
	if s.Reachable != 2 || s.Failing != 3 || s.Polled != polled {
		t.Errorf("first poll: %+v, want 2 reachable, 3 failing, %d polled", s, polled)
	}
	if g := groups["http_4xx"]; g.Count != 2 || g.Sources != "gone-1, gone-2" || !strings.Contains(g.Example, "404") {
		t.Errorf("http_4xx group: %+v (groups %+v)", g, groups)
	}
	if g := groups["other"]; g.Count != 1 || g.Sources != "refused" || !strings.Contains(g.Example, "refused") {
		t.Errorf("other group: %+v (groups %+v)", g, groups)
	}
	if len(groups) != 2 {
		t.Errorf("groups: %+v", groups)
	}
}

type firstPollLine struct {
	Msg       string
	Took      *float64
	Applied   int
	Polled    int
	Reachable int
	Failing   int
	Reason    string
	Count     int
	Sources   string
	Example   string
	Migration string
}

// firstPollLog waits for the first-poll summary (logged after the groups) in a daemon's log and
// returns the last line of each message, the failure groups by reason and
// the number of "applied migration" lines.
func firstPollLog(t *testing.T, log *syncbuf.Buffer) (map[string]firstPollLine, map[string]firstPollLine, int) {
	t.Helper()
	type line = firstPollLine
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
	return seen, groups, migrations
}
