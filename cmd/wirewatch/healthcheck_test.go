package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/internal/syncbuf"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// startDaemon runs `wirewatch run` with env and returns the address of its
// listener; the daemon is stopped when the test ends.
func startDaemon(t *testing.T, env []string) string {
	t.Helper()
	addr, _ := startDaemonLog(t, env)
	return addr
}

// startDaemonLog is startDaemon that also returns the daemon's log (JSON).
func startDaemonLog(t *testing.T, env []string) (string, *syncbuf.Buffer) {
	t.Helper()
	_, addr, log := startDaemonCmd(t, env)
	return addr, log
}

// startDaemonCmd starts `wirewatch run` on a free loopback port, stops it
// (SIGTERM) when the test ends, and returns the process, the address of
// its listener once it serves /healthz, and its log (JSON).
func startDaemonCmd(t *testing.T, env []string) (*exec.Cmd, string, *syncbuf.Buffer) {
	t.Helper()
	cmd := wirewatch(t, append(env, "WIREWATCH_DAEMON_LISTEN=127.0.0.1:0"), "run", "--log-format", "json")
	var errb syncbuf.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		for _, l := range strings.Split(errb.String(), "\n") {
			if strings.Contains(l, "serving /healthz") {
				var v struct{ Addr string }
				json.Unmarshal([]byte(l), &v)
				return cmd, v.Addr, &errb
			}
		}
	}
	t.Fatalf("no listener; stderr:\n%s", errb.String())
	return nil, "", nil
}

func TestHealthcheck(t *testing.T) {
	// A dead address: nothing listens on a port that was just closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	_, errOut, code := runCmd(t, "", nil, "healthcheck", "http://"+dead+"/readyz")
	if code != 1 || !strings.Contains(errOut, "unhealthy") {
		t.Errorf("dead address: exit %d, stderr %q", code, errOut)
	}
	// Usage errors.
	for _, args := range [][]string{
		{"healthcheck", "a", "b"},
		{"healthcheck", "ftp://example.org/"},
		{"healthcheck", "--timeout", "0s", "http://" + dead},
		{"healthcheck", "--no-such-flag"},
	} {
		if _, errOut, code := runCmd(t, "", nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, code, errOut)
		}
	}

	// A daemon whose database is down is alive but not ready.
	down := startDaemon(t, []string{
		"WIREWATCH_DATABASE_URL=postgres://postgres@127.0.0.1:1/wirewatch?sslmode=disable",
		"WIREWATCH_DATABASE_RETRY_MAX=200ms",
	})
	if _, errOut, code := runCmd(t, "", nil, "healthcheck", "http://"+down+"/readyz"); code != 1 || !strings.Contains(errOut, "503") {
		t.Errorf("unready daemon: exit %d, stderr %q", code, errOut)
	}
	if out, _, code := runCmd(t, "", nil, "healthcheck", "http://"+down+"/healthz"); code != 0 {
		t.Errorf("/healthz of a live daemon: exit %d, %q", code, out)
	}

	// A running daemon with its database: healthy, also when the URL comes
	// from daemon.listen (as in the image, where 0.0.0.0 is probed on loopback).
	db := storetest.New(t)
	cat := filepath.Join(t.TempDir(), "sources.yaml")
	os.WriteFile(cat, []byte("version: 1\nsources: []\n"), 0o600)
	up := startDaemon(t, []string{"WIREWATCH_DATABASE_URL=" + db.URL, "WIREWATCH_SOURCES_FILE=" + cat})
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, errOut, code := runCmd(t, "", nil, "healthcheck", "http://"+up+"/readyz")
		if code == 0 && strings.Contains(out, "healthy") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("running daemon: exit %d, stderr %q", code, errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, port, _ := net.SplitHostPort(up)
	if out, errOut, code := runCmd(t, "", []string{"WIREWATCH_DAEMON_LISTEN=0.0.0.0:" + port}, "healthcheck"); code != 0 || !strings.Contains(out, "127.0.0.1:"+port+"/readyz") {
		t.Errorf("healthcheck from daemon.listen: exit %d, %q %q", code, out, errOut)
	}
}
