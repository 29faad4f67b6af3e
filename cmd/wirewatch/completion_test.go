package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every command, and every sub-command of sources, accepts --config
// (commands added later included: the list comes from the command table).
func TestEveryCommandAcceptsConfig(t *testing.T) {
	entries := completionEntries(context.Background())
	if len(entries) < len(commands) {
		t.Fatalf("%d entries for %d commands", len(entries), len(commands))
	}
	for _, en := range entries {
		if len(subcommands[en.words[0]]) > 0 && len(en.words) == 1 {
			continue // "sources" alone takes a sub-command first
		}
		if !slices.Contains(en.flags, "config") {
			t.Errorf("wirewatch %s does not accept --config (flags %v)", strings.Join(en.words, " "), en.flags)
		}
	}
}

// completionScript writes wirewatch's script for shell into a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	out, errOut, code := runIn(t, nil, "completion", shell)
	if code != 0 {
		t.Fatalf("completion %s: exit %d %s", shell, code, errOut)
	}
	p := filepath.Join(t.TempDir(), "wirewatch."+shell)
	if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// shellOutput runs a shell script and returns its output.
func shellOutput(t *testing.T, shell, script string) string {
	t.Helper()
	path, err := exec.LookPath(shell)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install %s)", shell, shell)
	}
	out, err := exec.Command(path, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", shell, err, out)
	}
	return string(out)
}

func TestCompletionBash(t *testing.T) {
	p := completionScript(t, "bash")
	for line, want := range map[string]string{
		"wirewatch sea":                  "search",
		"wirewatch sources im":           "import",
		"wirewatch sources import --lan": "--language",
		"wirewatch search --relev":       "--relevant-only",
		"wirewatch help heal":            "healthcheck",
	} {
		words := strings.Fields(line)
		script := ". " + p + "; COMP_WORDS=(" + strings.Join(words, " ") + "); COMP_CWORD=" + itoa(len(words)-1) + "; _wirewatch; echo \"${COMPREPLY[*]}\""
		if got := strings.TrimSpace(shellOutput(t, "bash", script)); got != want {
			t.Errorf("%q completes to %q, want %q", line, got, want)
		}
	}
	// A file name after --config.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "prod.yaml"), nil, 0o600)
	script := "cd " + dir + "; . " + p + "; COMP_WORDS=(wirewatch run --config pr); COMP_CWORD=3; _wirewatch; echo \"${COMPREPLY[*]}\""
	if got := strings.TrimSpace(shellOutput(t, "bash", script)); got != "prod.yaml" {
		t.Errorf("--config pr completes to %q", got)
	}
}

func TestCompletionZsh(t *testing.T) {
	p := completionScript(t, "zsh")
	// compadd, _describe and _files are the completion system's; here they
	// print what they were given.
	stubs := `compadd() { print -r -- "$@" }; _describe() { print -r -- "${(@P)2}" }; _files() { print -r -- FILES }; compdef() { print -r -- compdef "$@" }; `
	if got := shellOutput(t, "zsh", stubs+"source "+p); !strings.Contains(got, "compdef _wirewatch wirewatch") {
		t.Errorf("sourcing does not register the function: %q", got)
	}
	got := shellOutput(t, "zsh", stubs+"source "+p+"; words=(wirewatch sources); CURRENT=3; _wirewatch")
	if !strings.Contains(got, "check import export") {
		t.Errorf("sources sub-commands: %q", got)
	}
	got = shellOutput(t, "zsh", stubs+"source "+p+"; words=(wirewatch search --); CURRENT=3; _wirewatch")
	if !strings.Contains(got, "--relevant-only") || !strings.Contains(got, "--config") {
		t.Errorf("search flags: %q", got)
	}
	got = shellOutput(t, "zsh", stubs+"source "+p+"; words=(wirewatch he); CURRENT=2; _wirewatch")
	if !strings.Contains(got, "healthcheck:probe") {
		t.Errorf("commands: %q", got)
	}
}

func TestCompletionFish(t *testing.T) {
	p := completionScript(t, "fish")
	got := shellOutput(t, "fish", "source "+p+"; complete -C 'wirewatch sources im'; complete -C 'wirewatch sources import --la'; complete -C 'wirewatch heal'")
	for _, want := range []string{"import\n", "--language\n", "healthcheck\tprobe"} {
		if !strings.Contains(got, want) {
			t.Errorf("fish completions lack %q:\n%s", want, got)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
