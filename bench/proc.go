package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of the CPU times in /proc/PID/stat; it is
// 100 on every Linux architecture Go supports.
const clockTick = 100

// procStat holds the CPU fields of /proc/PID/stat.
type procStat struct {
	pid, ppid      int
	utime, stime   int64 // own CPU, in ticks
	cutime, cstime int64 // CPU of waited-for children, in ticks
}

// readStat parses /proc/PID/stat (the command name may contain spaces and
// parentheses, so the fields are counted from the last ')').
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, so f[11].
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	return procStat{pid: pid, ppid: int(n(1)), utime: n(11), stime: n(12), cutime: n(13), cstime: n(14)}, nil
}

func ticks(t int64) time.Duration { return time.Duration(t) * time.Second / clockTick }

// cpuOf returns the CPU time (user+system) a live process has used.
func cpuOf(pid int) time.Duration {
	s, err := readStat(pid)
	if err != nil {
		return 0
	}
	return ticks(s.utime + s.stime)
}

// peakRSS returns VmHWM of a live process.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// pgTracker measures PostgreSQL's CPU on behalf of one database while the
// server is shared with other work: it counts the backends connected to that
// database (and its autovacuum workers) plus the server-wide auxiliary
// processes (checkpointer, background writer, WAL writer), and leaves out
// every other database's backends and the harness's own connections. A
// backend's CPU is sampled while it lives (call sample often), so one that
// exits keeps what was last seen of it.
type pgTracker struct {
	postmaster int
	db         string
	exclude    map[int]bool
	base, last map[int]int64
}

// auxiliary names the server processes that work for every database.
var auxiliary = []string{"checkpointer", "background writer", "walwriter", "autovacuum launcher"}

// postmasterOf returns the process id of the PostgreSQL server that
// backendPID (pg_backend_pid() of a connection to it) belongs to: the
// backend's parent. With several clusters on the machine this is the one
// the harness is connected to, whatever the others are doing.
func postmasterOf(backendPID int) (int, error) {
	st, err := readStat(backendPID)
	if err != nil {
		return 0, fmt.Errorf("backend %d of the benchmark's connection not found in /proc (is the server on this machine, outside a container?): %w", backendPID, err)
	}
	cmd, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(backendPID), "cmdline"))
	if err != nil || !bytes.HasPrefix(cmd, []byte("postgres: ")) {
		return 0, fmt.Errorf("process %d is not a PostgreSQL backend (its command line is %q)", backendPID, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
	}
	return st.ppid, nil
}

func newPGTracker(postmaster int, db string, exclude ...int) *pgTracker {
	t := &pgTracker{postmaster: postmaster, db: db, exclude: map[int]bool{}, base: map[int]int64{}, last: map[int]int64{}}
	for _, pid := range exclude {
		t.exclude[pid] = true
	}
	t.scan(func(pid int, cpu int64) { t.base[pid], t.last[pid] = cpu, cpu })
	return t
}

// scan calls fn for every process counted, with its CPU in ticks.
func (t *pgTracker) scan(fn func(pid int, cpu int64)) {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || t.exclude[pid] {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.HasPrefix(cmd, []byte("postgres: ")) {
			continue
		}
		title := string(bytes.TrimRight(cmd, "\x00 "))
		ours := strings.Contains(title, " "+t.db+" ") || strings.HasSuffix(title, " "+t.db)
		for _, a := range auxiliary {
			ours = ours || strings.HasSuffix(title, ": "+a)
		}
		if !ours {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.ppid != t.postmaster {
			continue
		}
		fn(pid, st.utime+st.stime)
	}
}

// sample records the CPU of every counted process.
func (t *pgTracker) sample() {
	t.scan(func(pid int, cpu int64) { t.last[pid] = cpu })
}

// total is the CPU used since the tracker was made.
func (t *pgTracker) total() time.Duration {
	t.sample()
	var sum int64
	for pid, cpu := range t.last {
		sum += cpu - t.base[pid]
	}
	return ticks(sum)
}

// loadAvg returns the 1-minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
