// Command testsummary reads `go test -json` on standard input and prints
// what a plain `go test` prints (a line per package, the output of failed
// tests, build errors), the skipped tests with their reasons, and a last
// line with the counts:
//
//	tests: 17 packages (15 ok, 0 failed, 2 without tests); 402 tests (subtests included): 395 passed, 7 skipped, 0 failed
//
// It exits 1 when a test or a package failed, or when the input ended
// without a result for a package that started. `make unit` runs it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Output     string
}

type key struct{ pkg, test string }

// summary is what has been seen so far.
type summary struct {
	pkgOK, pkgFailed, pkgNoTests int
	passed, skipped, failed      int
	started, finished            map[string]bool
	buf                          map[key][]string
	skips                        []string
}

func newSummary() *summary {
	return &summary{started: map[string]bool{}, finished: map[string]bool{}, buf: map[key][]string{}}
}

// add handles one event, writing what a plain go test would show to w.
func (s *summary) add(w io.Writer, e event) {
	switch e.Action {
	case "build-output":
		fmt.Fprint(w, e.Output)
		return
	case "start":
		s.started[e.Package] = true
		return
	}
	k := key{e.Package, e.Test}
	if e.Test == "" {
		switch e.Action {
		case "output":
			// Package-level lines: ok/FAIL/? summaries and output outside tests.
			if o := e.Output; o != "PASS\n" && o != "FAIL\n" && !strings.HasPrefix(o, "=== ") && !strings.HasPrefix(o, "testing: warning: no tests to run") {
				fmt.Fprint(w, o)
			}
		case "pass":
			s.finished[e.Package] = true
			s.pkgOK++
		case "skip":
			s.finished[e.Package] = true
			s.pkgNoTests++
		case "fail":
			s.finished[e.Package] = true
			s.pkgFailed++
		}
		return
	}
	switch e.Action {
	case "output":
		if !strings.HasPrefix(e.Output, "=== ") {
			s.buf[k] = append(s.buf[k], e.Output)
		}
	case "pass":
		s.passed++
		delete(s.buf, k)
	case "skip":
		s.skipped++
		reason := ""
		for _, l := range s.buf[k] {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "--- SKIP") {
				reason = l
			}
		}
		s.skips = append(s.skips, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason))
		delete(s.buf, k)
	case "fail":
		s.failed++
		for _, l := range s.buf[k] {
			fmt.Fprint(w, l)
		}
		delete(s.buf, k)
	}
}

// finish writes the skipped tests and the counts; it reports whether
// everything passed.
func (s *summary) finish(w io.Writer) bool {
	var unfinished []string
	for p := range s.started {
		if !s.finished[p] {
			unfinished = append(unfinished, p)
		}
	}
	sort.Strings(unfinished)
	for _, p := range unfinished {
		fmt.Fprintf(w, "FAIL\t%s\t(no result: the test binary died or the input was cut)\n", p)
		s.pkgFailed++
	}
	if len(s.skips) > 0 {
		fmt.Fprintf(w, "skipped:\n")
		for _, l := range s.skips {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	fmt.Fprintf(w, "tests: %d packages (%d ok, %d failed, %d without tests); %d tests (subtests included): %d passed, %d skipped, %d failed\n",
		s.pkgOK+s.pkgFailed+s.pkgNoTests, s.pkgOK, s.pkgFailed, s.pkgNoTests,
		s.passed+s.skipped+s.failed, s.passed, s.skipped, s.failed)
	return s.pkgFailed == 0 && s.failed == 0
}

func run(r io.Reader, w io.Writer) bool {
	s := newSummary()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text()) // not an event (go vet, build errors before -json applies)
			continue
		}
		s.add(w, e)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(w, "testsummary: reading the test output: %v\n", err)
		s.finish(w)
		return false
	}
	return s.finish(w)
}

func main() {
	if !run(os.Stdin, os.Stdout) {
		os.Exit(1)
	}
}
