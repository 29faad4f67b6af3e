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
	cmdline        string
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

// pgCPU is PostgreSQL's CPU use so far: the postmaster's own and its reaped
// children's (backends that exited), plus every live child (backends,
// checkpointer, background writer, WAL writer…). exclude lists backends
// whose CPU is not the measured program's (the harness's own connection).
type pgCPU struct{ postmaster int }

func findPostmaster() (pgCPU, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return pgCPU{}, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.HasPrefix(cmd, []byte("postgres: ")) {
			continue
		}
		st, err := readStat(pid)
		if err != nil {
			continue
		}
		return pgCPU{postmaster: st.ppid}, nil
	}
	return pgCPU{}, fmt.Errorf("no PostgreSQL server process found in /proc (is the server local?)")
}

func (p pgCPU) total(exclude ...int) time.Duration {
	pm, err := readStat(p.postmaster)
	if err != nil {
		return 0
	}
	sum := pm.utime + pm.stime + pm.cutime + pm.cstime
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == p.postmaster {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.ppid != p.postmaster {
			continue
		}
		excluded := false
		for _, x := range exclude {
			excluded = excluded || x == pid
		}
		if !excluded {
			sum += st.utime + st.stime
		}
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
