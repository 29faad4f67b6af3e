package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/wirewatch/wirewatch/internal/syncbuf"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// A daemon or a UI on an address other machines can reach, with no login,
// refuses to start, saying why, before it listens.
func TestNonLoopbackWithoutLoginRefusesToStart(t *testing.T) {
	env := []string{
		"WIREWATCH_DATABASE_URL=postgres://postgres@127.0.0.1:1/wirewatch?sslmode=disable",
		"WIREWATCH_DAEMON_LISTEN=0.0.0.0:0",
	}
	for _, args := range [][]string{{"run"}, {"web", "--listen", "0.0.0.0:0"}} {
		_, errOut, code := runCmd(t, "", env, args...)
		if code != 1 || !strings.Contains(errOut, "without a login") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, errOut)
		}
	}
}

func TestHashPassword(t *testing.T) {
	out, errOut, code := runCmd(t, "correct horse battery\n", nil, "web", "--hash-password")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out)), []byte("correct horse battery")); err != nil {
		t.Errorf("printed hash does not match: %v", err)
	}
	if _, _, code := runCmd(t, "short\n", nil, "web", "--hash-password"); code != 2 {
		t.Errorf("short password: exit %d, want 2", code)
	}
}

// `wirewatch web` serves the UI alone, with a password, against the
// archive.
func TestWebCommandServes(t *testing.T) {
	db := storetest.New(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cmd := wirewatch(t, []string{
		"WIREWATCH_DATABASE_URL=" + db.URL,
		"WIREWATCH_WEB_PASSWORD_HASH=" + string(hash),
	}, "web", "--listen", "127.0.0.1:0", "--log-format", "json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb syncbuf.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case line := <-lines:
		base = strings.TrimSpace(strings.TrimPrefix(line, "wirewatch web UI on "))
	case <-time.After(20 * time.Second):
		t.Fatalf("no address printed; stderr:\n%s", errb.String())
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("printed %q; stderr:\n%s", base, errb.String())
	}
	get := func(path string, login bool) int {
		req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(base, "/")+path, nil)
		if login {
			req.SetBasicAuth("analyst", "correct horse battery")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if c := get("/sources", false); c != http.StatusUnauthorized {
		t.Errorf("without login: %d", c)
	}
	if c := get("/sources", true); c != http.StatusOK {
		t.Errorf("with login: %d", c)
	}
	if c := get("/healthz", false); c != http.StatusOK {
		t.Errorf("/healthz needs no login, got %d", c)
	}
	if !strings.Contains(errb.String(), `"role":"wirewatch_reader"`) {
		t.Errorf("the UI's queries should run as wirewatch_reader; stderr:\n%s", errb.String())
	}
}

// The daemon serves the UI on its own listener (daemon.listen), next to
// /healthz, once its database is connected.
func TestRunServesTheUI(t *testing.T) {
	db := storetest.New(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	catPath := filepath.Join(t.TempDir(), "sources.yaml")
	cat := fmt.Sprintf("version: 1\nsources:\n  - {name: web-test, outlet: Test, kind: feed, url: %q, language: en, interval: 1h}\n", srv.URL+"/feed.xml")
	if err := os.WriteFile(catPath, []byte(cat), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, addr, errb := startDaemonCmd(t, []string{
		"WIREWATCH_DATABASE_URL=" + db.URL,
		"WIREWATCH_SOURCES_FILE=" + catPath,
		"WIREWATCH_FETCH_ALLOW_CIDRS=127.0.0.1/32",
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if !strings.Contains(errb.String(), "daemon running") {
			continue
		}
		res, err := http.Get("http://" + addr + "/sources")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			if !strings.Contains(string(body), "web-test") {
				t.Errorf("the sources page does not list the catalogue's source")
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
			return
		}
	}
	t.Fatalf("the UI never answered on the daemon's listener; stderr:\n%s", errb.String())
}
