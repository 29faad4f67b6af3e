package storetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a private PostgreSQL server for tests that stop and start it
// (outage tests), so the shared server is never disturbed.
type Cluster struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	as   []string // command prefix to run as the postgres user
}

// NewCluster initialises a private cluster in a temporary directory and
// starts it. It skips the test when the PostgreSQL server binaries are not
// installed (they are on the project's machines and in CI).
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("storetest: PostgreSQL server binaries (initdb) not installed; skipping the private-cluster test")
	}
	sort.Strings(bins)
	c := &Cluster{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "wirewatch-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run the server as postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("storetest: running as root without a postgres user; skipping the private-cluster test")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.run(filepath.Join(c.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	c.Start()
	t.Cleanup(func() { c.stop(false) })
	return c
}

func (c *Cluster) run(args ...string) {
	c.t.Helper()
	cmd := exec.Command(append(append([]string{}, c.as...), args...)[0], append(append([]string{}, c.as...), args...)[1:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("storetest: %v: %v\n%s", args, err, out)
	}
}

// URL connects to the cluster's postgres database.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c full_page_writes=off", c.port, c.dir)
	c.run(filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "start")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("storetest: private cluster did not start on port %d", c.port)
}

// Stop stops the server at once (fast shutdown: sessions are cut).
func (c *Cluster) Stop() { c.t.Helper(); c.stop(true) }

func (c *Cluster) stop(must bool) {
	args := append(append([]string{}, c.as...), filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "stop")
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil && must {
		c.t.Fatalf("storetest: stop private cluster: %v\n%s", err, out)
	}
}
