package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The agreement line needs both label files: a missing one prints nothing
// and is no error; a broken one is an error that names the file.
func TestWriteAgreement(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.tsv", "a\t2\tHACK\tr1\tweb.en\tx\nb\t0\t-\tr1\tweb.en\tx\nc\t1\tLAW\tr1\tweb.en\tx\n")
	second := write("second.tsv", "a\t2\tHACK\tr2\tweb.en\tx\nb\t0\t-\tr2\tweb.en\tx\nc\t0\t-\tr2\tweb.en\tx\n")
	var out strings.Builder
	e := &env{stdout: &out}
	for _, paths := range [][2]string{{first, filepath.Join(dir, "none.tsv")}, {filepath.Join(dir, "none.tsv"), second}} {
		if err := writeAgreement(e, "web", paths[0], paths[1]); err != nil || out.Len() != 0 {
			t.Fatalf("missing file %v: error %v, printed %q", paths, err, out.String())
		}
	}
	if err := writeAgreement(e, "web", first, second); err != nil {
		t.Fatal(err)
	}
	// 0/1/2: p_o 2/3, p_e (1·1 + 1·2 + 1·0)/9 = 1/3, κ 0.5; relevant vs not: identical, κ 1.
	if want := "second pass (web): 3 items re-labelled blind, 2 the same; Cohen's kappa 0.500 on 0/1/2, 1.000 on relevant (2) vs not"; !strings.Contains(out.String(), want) {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	// A pass that gave every item one label: kappa means nothing there.
	out.Reset()
	zeros := write("zeros.tsv", "a\t0\t-\tr1\tweb.en\tx\nb\t0\t-\tr1\tweb.en\tx\nc\t0\t-\tr1\tweb.en\tx\n")
	if err := writeAgreement(e, "full text", zeros, second); err != nil {
		t.Fatal(err)
	}
	if want := "second pass (full text): 3 items re-labelled blind, 2 the same; Cohen's kappa n/a (a pass gave one label only) on 0/1/2, n/a (a pass gave one label only) on relevant (2) vs not"; !strings.Contains(out.String(), want) {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	// An item settled after the second pass counts with its first label
	// (kept in the reason), not with the settled one that agrees with the
	// pass by construction.
	out.Reset()
	settled := write("settled.tsv", "a\t2\tHACK\tr1\trandom\tx\nb\t0\t-\tr1\trandom\tx\nc\t0\t-\tr1+s\trandom\tx (was 1; settled 0: y)\n")
	if err := writeAgreement(e, "test3", settled, second); err != nil {
		t.Fatal(err)
	}
	if want := "second pass (test3): 3 items re-labelled blind, 2 the same; Cohen's kappa 0.500 on 0/1/2"; !strings.Contains(out.String(), want) {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	broken := write("broken.tsv", "a\t7\t-\tr2\tweb.en\tx\n")
	if err := writeAgreement(e, "web", first, broken); err == nil || !strings.Contains(err.Error(), "broken.tsv") {
		t.Errorf("a broken label file: error %v, want one naming the file", err)
	}
}

// Each chosen set prints its own second passes only: "test2" is not
// "test" (a substring match once printed the test set's for it).
func TestSecondPasses(t *testing.T) {
	names := func(sets ...string) []string {
		var n []string
		for _, sp := range secondPasses(sets) {
			n = append(n, sp.name)
		}
		return n
	}
	if got := names("test2"); len(got) != 0 {
		t.Errorf("test2: %q, want none", got)
	}
	if got, want := names("test3"), []string{"third Chinese test set"}; !slices.Equal(got, want) {
		t.Errorf("test3: %q, want %q", got, want)
	}
	if got, want := names("test", "test2", "test3", "fulltext"), []string{"test set", "web-page training items", "third Chinese test set", "full-text set"}; !slices.Equal(got, want) {
		t.Errorf("all sets: %q, want %q", got, want)
	}
	if got, want := names("fulltext"), []string{"full-text set"}; !slices.Equal(got, want) {
		t.Errorf("fulltext: %q, want %q", got, want)
	}
}
