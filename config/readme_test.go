package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

// The README's configuration reference names every setting.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	readme := readDoc(t, "../README.md")
	for _, k := range Keys() {
		if !strings.Contains(readme, "`"+k+"`") && !strings.Contains(readme, "`"+k+"` /") && !strings.Contains(readme, "/ `"+k+"`") {
			t.Errorf("README's configuration reference does not mention %s", k)
		}
	}
}

// docs/operations.md lists every fixed timeout and limit of limits.go
// (the second const block: the first holds the daemon section's defaults,
// which the README documents as settings).
func TestOperationsDocumentsEveryLimit(t *testing.T) {
	doc := readDoc(t, "../docs/operations.md")
	f, err := parser.ParseFile(token.NewFileSet(), "limits.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		var names []string
		for _, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				names = append(names, n.Name)
			}
		}
		blocks = append(blocks, names)
	}
	if len(blocks) != 2 || len(blocks[1]) < 10 {
		t.Fatalf("limits.go: %d const blocks, want the daemon defaults and the fixed limits", len(blocks))
	}
	for _, name := range blocks[1] {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/operations.md does not list %s", name)
		}
	}
}
