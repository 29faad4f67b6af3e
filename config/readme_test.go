package config

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration reference names every setting.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	readme := string(b)
	for _, k := range Keys() {
		if !strings.Contains(readme, "`"+k+"`") && !strings.Contains(readme, "`"+k+"` /") && !strings.Contains(readme, "/ `"+k+"`") {
			t.Errorf("README's configuration reference does not mention %s", k)
		}
	}
}
