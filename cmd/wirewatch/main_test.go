package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/store/storetest"
)

// TestMain lets a test run this binary as the wirewatch command: with
// WIREWATCH_TEST_MAIN=1 the test binary is wirewatch.
func TestMain(m *testing.M) {
	if os.Getenv("WIREWATCH_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// wirewatch starts this test binary as the wirewatch command.
func wirewatch(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "WIREWATCH_TEST_MAIN=1"), env...)
	cmd.Dir = t.TempDir() // no configs/ here: the built-in configuration is used
	return cmd
}

// docAfter reads a file of the repository (path from its root) and returns
// what follows marker in it; the test stops when the file cannot be read or
// has no marker (what names the marker in the message).
func docAfter(t *testing.T, path, marker, what string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("%s has no %s", path, what)
	}
	return after
}

func runCmd(t *testing.T, stdin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := wirewatch(t, env, args...)
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestVersionAndUsage(t *testing.T) {
	out, _, code := runCmd(t, "", nil, "version")
	if code != 0 || !strings.HasPrefix(out, "wirewatch ") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: %d %q", code, out)
	}
	_, errOut, code := runCmd(t, "", nil, "frobnicate")
	if code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
}

func TestConfigErrorsAreClear(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("daemon:\n  poll_workers: 0\n"), 0o600)
	_, errOut, code := runCmd(t, "", nil, "run", "--config", p)
	if code != exitConfig || !strings.Contains(errOut, "bad.yaml") || !strings.Contains(errOut, "daemon.poll_workers") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = runCmd(t, "", []string{"WIREWATCH_DATABASE_URL=postgres://u:s3cr3t-pw@127.0.0.1:1/x", "WIREWATCH_DATABASE_MAX_CONNS=1"}, "migrate")
	if code != exitConfig || strings.Contains(errOut, "s3cr3t-pw") || !strings.Contains(errOut, "max_conns") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestClassifyCommand(t *testing.T) {
	in := `{"id":"a","title":"China firmly opposes US adding Chinese chip firms to entity list"}
{"id":"b","title":"国家网信办启动清朗专项行动整治网络谣言"}
{"id":"c","title":"Panda cubs celebrate their first birthday in Chengdu"}
`
	out, errOut, code := runCmd(t, in, nil, "classify")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d output lines for 3 inputs: %s", len(lines), out)
	}
	want := map[string]bool{"a": true, "b": true, "c": false}
	for _, l := range lines {
		var r struct {
			ID       string  `json:"id"`
			Relevant bool    `json:"relevant"`
			Score    float64 `json:"score"`
			Topics   []struct {
				ID       string            `json:"id"`
				Evidence []json.RawMessage `json:"evidence"`
			} `json:"topics"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		if r.Relevant != want[r.ID] {
			t.Errorf("%s: relevant=%v score=%.2f, want %v", r.ID, r.Relevant, r.Score, want[r.ID])
		}
		if r.Relevant && (len(r.Topics) == 0 || len(r.Topics[0].Evidence) == 0) {
			t.Errorf("%s: relevant without evidence: %s", r.ID, l)
		}
	}
}

func TestExtractCommand(t *testing.T) {
	page := `<html lang="zh-CN"><head><meta charset="gbk"><title>x</title></head><body><div class="nav">首页</div><article><h1>网信办发布数据出境安全评估办法</h1>` +
		strings.Repeat("<p>国家互联网信息办公室今天公布了数据出境安全评估办法，明确了评估的范围、条件和程序。</p>", 8) + `</article></body></html>`
	gbk := toGBK(t, page)
	out, errOut, code := runCmd(t, string(gbk), nil, "extract", "--url", "https://www.example.cn/a/1.html")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct{ Title, Lang, Text, Method string }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Lang != "zh" || !strings.Contains(r.Text, "数据出境安全评估办法") || r.Method == "" {
		t.Errorf("got %+v", r)
	}
}

// SIGTERM to a running daemon mid-cycle: it stops claiming, lets in-flight
// polls end within the grace period, releases its leases and exits 0.
func TestSIGTERMReleasesLeasesAndExitsZero(t *testing.T) {
	db := storetest.New(t)
	var entered atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		entered.Add(1)
		<-r.Context().Done()
	}))
	defer srv.Close()
	var cat strings.Builder
	cat.WriteString("version: 1\nsources:\n")
	for i := range 6 {
		fmt.Fprintf(&cat, "  - {name: s%d, outlet: Test, kind: feed, url: %q, language: en, interval: 1h}\n", i, fmt.Sprintf("%s/feed/%d.xml", srv.URL, i))
	}
	catPath := filepath.Join(t.TempDir(), "sources.yaml")
	os.WriteFile(catPath, []byte(cat.String()), 0o600)
	cmd := wirewatch(t, []string{
		"WIREWATCH_DATABASE_URL=" + db.URL,
		"WIREWATCH_SOURCES_FILE=" + catPath,
		"WIREWATCH_FETCH_ALLOW_CIDRS=127.0.0.1/32",
		"WIREWATCH_DAEMON_LISTEN=127.0.0.1:0",
		"WIREWATCH_DAEMON_POLL_WORKERS=3",
		"WIREWATCH_DAEMON_SHUTDOWN_GRACE=500ms",
		"WIREWATCH_DAEMON_REPLICA_ID=sigterm-test",
		"WIREWATCH_DAEMON_TICK=50ms",
	}, "run", "--log-format", "json")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for entered.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if entered.Load() < 3 {
		cmd.Process.Kill()
		t.Fatalf("polls never started; stderr:\n%s", errb.String())
	}
	var leased int
	db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sources WHERE lease_owner = 'sigterm-test'`).Scan(&leased)
	if leased != 3 {
		t.Errorf("%d sources leased mid-cycle, want 3", leased)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; stderr:\n%s", err, errb.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("daemon did not exit after SIGTERM; stderr:\n%s", errb.String())
	}
	var left int
	db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sources WHERE lease_owner IS NOT NULL`).Scan(&left)
	if left != 0 {
		t.Errorf("%d leases left after SIGTERM", left)
	}
	if !strings.Contains(errb.String(), `"leases_released":3`) {
		t.Errorf("shutdown log does not report the released leases:\n%s", errb.String())
	}
}

// Started while its database is down, the daemon does not exit: it serves
// /healthz (alive) and /readyz (not ready), retries, and stops cleanly.
func TestRunWaitsForDatabase(t *testing.T) {
	cmd, addr, errb := startDaemonCmd(t, []string{
		"WIREWATCH_DATABASE_URL=postgres://postgres@127.0.0.1:1/wirewatch?sslmode=disable",
		"WIREWATCH_DATABASE_RETRY_MAX=200ms",
	})
	deadline := time.Now().Add(15 * time.Second)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s = %d while the database is down, want %d", path, resp.StatusCode, want)
		}
	}
	for !strings.Contains(errb.String(), "will retry") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(errb.String(), "database unreachable, will retry") {
		t.Errorf("no retry logged:\n%s", errb.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM while waiting: %v\n%s", err, errb.String())
	}
}
