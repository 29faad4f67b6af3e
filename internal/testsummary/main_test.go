package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A real `go test -json` run over a small module with a passing, a
// skipped and a failing test (one with a subtest), a package without tests
// and a package that does not compile.
func TestSummaryOfARealRun(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":      "module example.org/m\n\ngo 1.22\n",
		"a/a_test.go": "package a\nimport \"testing\"\nfunc TestPass(t *testing.T) { t.Run(\"sub\", func(t *testing.T) {}) }\nfunc TestSkip(t *testing.T) { t.Skip(\"no corpus here\") }\nfunc TestFail(t *testing.T) { t.Log(\"the reason\"); t.Fail() }\n",
		"b/b.go":      "package b\n",
		"c/c_test.go": "package c\nimport \"testing\"\nfunc TestBroken(t *testing.T) { undefined() }\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	cmd := exec.Command(goBin, "test", "-json", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOTOOLCHAIN=local")
	out, _ := cmd.Output() // fails: a test fails
	var w bytes.Buffer
	if run(bytes.NewReader(out), &w) {
		t.Errorf("run reported success for a failing suite")
	}
	got := w.String()
	lines := strings.Split(strings.TrimSpace(got), "\n")
	want := "tests: 3 packages (0 ok, 2 failed, 1 without tests); 4 tests (subtests included): 2 passed, 1 skipped, 1 failed"
	if last := lines[len(lines)-1]; last != want {
		t.Errorf("last line %q, want %q\n%s", last, want, got)
	}
	for _, s := range []string{"the reason", "--- FAIL: TestFail", "example.org/m/a TestSkip: ", "no corpus here", "undefined: undefined", "FAIL\texample.org/m/c"} {
		if !strings.Contains(got, s) {
			t.Errorf("output lacks %q:\n%s", s, got)
		}
	}
	if strings.Contains(got, "=== RUN") || strings.Contains(got, "--- PASS") {
		t.Errorf("output has verbose lines:\n%s", got)
	}
}

func TestCutInput(t *testing.T) {
	in := `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
`
	var w bytes.Buffer
	if run(strings.NewReader(in), &w) || !strings.Contains(w.String(), "no result") {
		t.Errorf("a package without a result passed:\n%s", w.String())
	}
}
