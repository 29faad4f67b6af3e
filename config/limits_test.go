package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// docs/operations.md lists every fixed timeout and limit of limits.go
// (the second const block: the first holds the daemon section's defaults,
// which the README documents as settings).
func TestOperationsDocumentsEveryLimit(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatalf("read docs/operations.md: %v", err)
	}
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
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/operations.md does not list %s", name)
		}
	}
}
