package main

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// reachConfig gives each command the arguments that get it as far as
// reading its configuration; nil marks a command that reads none. A new
// command must be added here.
var reachConfig = map[string][]string{
	"alert replay":   {"--since", "72h"},
	"classify":       {},
	"deliveries":     {},
	"digest":         {"--subscriber", "x", "--dry-run"},
	"export":         {"--since", "all", "--format", "csv"},
	"eval":           {"-sets", "nosuchset"},
	"extract":        {},
	"links":          {"--url", "https://example.org/"},
	"healthcheck":    {},
	"migrate":        {},
	"poll":           {"--once"},
	"reclassify":     {},
	"reextract":      {},
	"run":            {},
	"search":         {"cyber"},
	"sources check":  {},
	"sources import": {"testdata/opml/feedly.opml"},
	"sources export": {},
	"version":        nil,
	"web":            {},
	"completion":     nil,
}

// readmeExitCodes reads the README's exit-status table.
func readmeExitCodes(t *testing.T) map[int]string {
	t.Helper()
	table := docAfter(t, "README.md", "| status | meaning |", "exit-status table")
	row := regexp.MustCompile(`^\| (\d+) \| (.+) \|$`)
	codes := map[int]string{}
	for _, line := range strings.Split(table, "\n")[2:] {
		m := row.FindStringSubmatch(line)
		if m == nil {
			break
		}
		n, _ := strconv.Atoi(m[1])
		codes[n] = m[2]
	}
	return codes
}

func TestExitCodesMatchREADME(t *testing.T) {
	codes := readmeExitCodes(t)
	want := map[int]string{exitOK: "done", exitFailure: "failed", exitUsage: "usage", exitConfig: "configuration"}
	if len(codes) != len(want) {
		t.Fatalf("README lists %v, the code has %v", codes, want)
	}
	for n, word := range want {
		if !strings.Contains(codes[n], word) {
			t.Errorf("README: status %d is %q, the code means %s", n, codes[n], word)
		}
	}

	for _, en := range completionEntries(t.Context()) {
		name := strings.Join(en.words, " ")
		if len(subcommands[en.words[0]]) > 0 && len(en.words) == 1 {
			continue
		}
		reach, listed := reachConfig[name]
		if !listed {
			t.Errorf("wirewatch %s: not in reachConfig; add how it reaches its configuration", name)
			continue
		}
		if _, errOut, code := runIn(t, nil, append(en.words, "-h")...); code != exitOK {
			t.Errorf("wirewatch %s -h: exit %d, want %d (%s)", name, code, exitOK, errOut)
		}
		if _, errOut, code := runIn(t, nil, append(en.words, "--no-such-flag")...); code != exitUsage {
			t.Errorf("wirewatch %s --no-such-flag: exit %d, want %d (%s)", name, code, exitUsage, errOut)
		}
		if reach == nil {
			continue
		}
		args := append(append(en.words[:len(en.words):len(en.words)], "--config", "/nonexistent/wirewatch.yaml"), reach...)
		if _, errOut, code := runIn(t, nil, args...); code != exitConfig || !strings.Contains(errOut, "/nonexistent/wirewatch.yaml") {
			t.Errorf("wirewatch %s with a missing configuration file: exit %d, want %d (%s)", name, code, exitConfig, errOut)
		}
		args = append(en.words[:len(en.words):len(en.words)], reach...)
		if _, errOut, code := runIn(t, []string{"WIREWATCH_DAEMON_POLL_WORKRS=3"}, args...); code != exitConfig || !strings.Contains(errOut, "WIREWATCH_DAEMON_POLL_WORKRS") {
			t.Errorf("wirewatch %s with a misspelt variable: exit %d, want %d (%s)", name, code, exitConfig, errOut)
		}
	}

	// Usage errors that are not about flags.
	for _, args := range [][]string{{}, {"frobnicate"}, {"help", "frobnicate"}, {"poll"}, {"search"}, {"run", "extra"}} {
		if _, errOut, code := runIn(t, nil, args...); code != exitUsage {
			t.Errorf("wirewatch %v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
	// Failures: the database or the daemon cannot be reached.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	deadDB := []string{"WIREWATCH_DATABASE_URL=postgres://postgres@" + dead + "/x?sslmode=disable", "WIREWATCH_DATABASE_CONNECT_TIMEOUT=2s"}
	for _, args := range [][]string{{"migrate"}, {"deliveries"}, {"search", "cyber"}, {"healthcheck", "http://" + dead + "/readyz"}} {
		if _, errOut, code := runIn(t, deadDB, args...); code != exitFailure {
			t.Errorf("wirewatch %v against a dead address: exit %d, want %d (%s)", args, code, exitFailure, errOut)
		}
	}
}

// help CMD prints what CMD -h prints, and differs from the general help.
func TestHelpCommand(t *testing.T) {
	general, _, code := runIn(t, nil, "--help")
	if code != 0 || !strings.Contains(general, "Commands:") {
		t.Fatalf("--help: %d %q", code, general)
	}
	for name := range commands {
		out1, err1, c1 := runIn(t, nil, "help", name)
		out2, err2, c2 := runIn(t, nil, name, "-h")
		if c1 != 0 || c1 != c2 || out1 != out2 || err1 != err2 {
			t.Errorf("help %s (exit %d) differs from %s -h (exit %d)", name, c1, name, c2)
		}
		if out1+err1 == general || !strings.Contains(out1+err1, "config") && name != "sources" {
			t.Errorf("help %s: %q", name, out1+err1)
		}
	}
	if out, _, code := runIn(t, nil, "help"); code != 0 || out != general {
		t.Errorf("help alone: exit %d", code)
	}
	v1, _, c1 := runIn(t, nil, "--version")
	v2, _, c2 := runIn(t, nil, "version")
	if c1 != 0 || c2 != 0 || v1 != v2 || !strings.HasPrefix(v1, "wirewatch ") {
		t.Errorf("--version %q (%d), version %q (%d)", v1, c1, v2, c2)
	}
}
