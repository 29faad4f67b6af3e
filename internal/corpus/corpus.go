// Package corpus finds the shared real-world corpora (../shared/corpora
// beside the repository) for conformance tests, which skip when they are
// absent.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the corpora directory, found from the working directory by
// walking up to the module root (the directory holding go.mod); "" when the
// corpora are not there.
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(dir, "..", "shared", "corpora")
			if _, err := os.Stat(c); err == nil {
				return c
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Dir returns the corpus sub-directory sub, or skips t with a message
// saying how to get the corpora.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	root := Root()
	if root == "" {
		t.Skipf("shared corpora not present (clone shared/ beside the repository to run this test)")
	}
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus %s not present: %v", dir, err)
	}
	return dir
}
