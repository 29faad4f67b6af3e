package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// stat is the median and spread of one figure over the runs.
type stat struct{ med, lo, hi float64 }

func summarize(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{med: med, lo: s[0], hi: s[len(s)-1]}
}

func (s stat) cell(unit string, prec int) string {
	return fmt.Sprintf("%.*f%s", prec, s.med, unit)
}

func (s stat) spread(unit string, prec int) string {
	return fmt.Sprintf("%.*f–%.*f%s", prec, s.lo, prec, s.hi, unit)
}

func statuses(m map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func report(w io.Writer, o options, rs []runResult) {
	pick := func(f func(runResult) float64) stat {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		return summarize(xs)
	}
	host, _ := os.Hostname()
	fmt.Fprintf(w, "\n### wirewatch on the feed farm%s\n\n", labelSuffix(o.label))
	fmt.Fprintf(w, "Farm: `-feeds %d -items %d`", o.feeds, o.items)
	if o.latency > 0 {
		fmt.Fprintf(w, " `-latency %s`", o.latency)
	}
	if o.newEvery > 0 {
		fmt.Fprintf(w, " `-new-every %s`", o.newEvery)
	}
	fmt.Fprintf(w, "; wirewatch: %d poll + %d fetch workers, host_concurrency %d, tick %s, poll interval %s, extraction by %s; %d run(s) on %s (%d CPUs), load average at start of each run: %s.\n\n",
		o.workers, o.workers, o.hostConcurrency, o.tick, o.interval, map[string]string{"rule": "site rule", "generic": "the generic extractor"}[o.extract], len(rs), host, runtime.NumCPU(), loads(rs))
	fmt.Fprintf(w, "Command: `go run ./bench %s`\n\n", strings.Join(os.Args[1:], " "))
	// Only figures measured in this run are printed: other systems'
	// figures belong in a table made from one run of each, on one machine.
	fmt.Fprintln(w, "| figure | median | spread (min–max) |")
	fmt.Fprintln(w, "| --- | ---: | ---: |")
	row := func(name string, s stat, unit string, prec int, _ string) {
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, s.cell(unit, prec), s.spread(unit, prec))
	}
	n := o.feeds * o.items
	row(fmt.Sprintf("cold ingest, process start → %d articles stored, extracted, classified", n), pick(func(r runResult) float64 { return r.Cold.Wall.Seconds() }), " s", 2, "cold")
	row("  of which first → last farm request", pick(func(r runResult) float64 { return r.Cold.Span }), " s", 2, "")
	row("wirewatch CPU during the cold ingest", pick(func(r runResult) float64 { return r.Cold.CPU.Seconds() }), " s", 2, "cpu")
	row("PostgreSQL CPU during the cold ingest", pick(func(r runResult) float64 { return r.Cold.PGCPU.Seconds() }), " s", 2, "pgcpu")
	row("total CPU (wirewatch + PostgreSQL)", pick(func(r runResult) float64 { return (r.Cold.CPU + r.Cold.PGCPU).Seconds() }), " s", 2, "total")
	row("articles/s (cold ingest)", pick(func(r runResult) float64 { return float64(r.Articles) / r.Cold.Wall.Seconds() }), "", 0, "articles/s")
	row("peak RSS of wirewatch (whole run)", pick(func(r runResult) float64 { return float64(r.PeakRSS) / (1 << 20) }), " MB", 1, "rss")
	var refr []usage
	for _, r := range rs {
		refr = append(refr, r.Refreshes...)
	}
	if len(refr) > 0 {
		pickR := func(f func(usage) float64) stat {
			xs := make([]float64, len(refr))
			for i, u := range refr {
				xs[i] = f(u)
			}
			return summarize(xs)
		}
		row(fmt.Sprintf("304 refresh of %d feeds: wall (%d cycles)", o.feeds, len(refr)), pickR(func(u usage) float64 { return u.Wall.Seconds() }), " s", 3, "rwall")
		row("  wirewatch CPU", pickR(func(u usage) float64 { return u.CPU.Seconds() }), " s", 3, "rcpu")
		row("  PostgreSQL CPU", pickR(func(u usage) float64 { return u.PGCPU.Seconds() }), " s", 3, "rpgcpu")
		row("  total CPU", pickR(func(u usage) float64 { return (u.CPU + u.PGCPU).Seconds() }), " s", 3, "rtotal")
	}
	fmt.Fprintln(w)
	for i, r := range rs {
		fmt.Fprintf(w, "- run %d: cold ingest requests by status {%s}; %d articles, %d classified relevant", i+1, statuses(r.Cold.Requests), r.Articles, r.Relevant)
		if len(r.Refreshes) > 0 {
			fmt.Fprintf(w, "; refresh requests by status {%s}", statuses(r.Refreshes[len(r.Refreshes)-1].Requests))
		}
		fmt.Fprintln(w)
	}
	if o.newEvery > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| alert latency, item appears in its feed → | p50 / p95 (per run) |")
		fmt.Fprintln(w, "| --- | --- |")
		lrow := func(name string, f func(latencies) []time.Duration) {
			var cells []string
			for _, r := range rs {
				cells = append(cells, fmtLatency(f(r.Latency)))
			}
			fmt.Fprintf(w, "| %s | %s |\n", name, strings.Join(cells, "; "))
		}
		lrow("article row (found by a poll)", func(l latencies) []time.Duration { return l.Discovered })
		lrow("stored, extracted and classified", func(l latencies) []time.Duration { return l.Stored })
		lrow("delivery row created (relevant items)", func(l latencies) []time.Duration { return l.Delivery })
		lrow("message accepted by the SMTP server", func(l latencies) []time.Duration { return l.SMTP })
		for i, r := range rs {
			l := r.Latency
			fmt.Fprintf(w, "\n- run %d: %d new items while watching, %d relevant; %d not stored in time, %d relevant without a delivery row, %d e-mails accepted",
				i+1, l.Items, l.Relevant, l.NotStored, l.Undelivered, len(l.SMTP))
		}
		fmt.Fprintln(w)
	}
}

func labelSuffix(l string) string {
	if l == "" {
		return ""
	}
	return " — " + l
}

func loads(rs []runResult) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Load)
	}
	return strings.Join(s, "; ")
}
