package config

import (
	"bytes"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/wirewatch/wirewatch/configs"
)

// The built-in catalogue decodes to the same value with yaml/v3 (used) and
// goccy/go-yaml (used for the errors).
func TestCatalogueDecodersAgree(t *testing.T) {
	data, err := fs.ReadFile(configs.FS, "sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeCatalogue(data)
	if err != nil {
		t.Fatal(err)
	}
	var want Catalogue
	if err := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict()).Decode(&want); err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) == 0 || len(got.SiteRules) == 0 {
		t.Fatalf("decoded %d sources and %d site rules", len(got.Sources), len(got.SiteRules))
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("yaml/v3 and goccy/go-yaml decode the built-in catalogue differently")
	}
}

// A catalogue both decoders refuse gets goccy's message, with the line.
func TestCatalogueErrorsKeepTheirLine(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"version: 1\nsources:\n  - name: a\n    colour: red\n", "colour"},
		{"version: 1\nsources:\n  - name: a\n    interval: soon\n", `invalid duration "soon"`},
		{"version: 1\nsources: [\n", "[2:"},
	} {
		_, err := ParseCatalogue("cat.yaml", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "cat.yaml") {
			t.Errorf("%q: error %v, want one naming cat.yaml and containing %q", tc.doc, err, tc.want)
		}
	}
}
