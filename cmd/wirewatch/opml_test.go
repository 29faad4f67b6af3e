package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/internal/opml"
)

// runIn runs the command in-process with environ only.
func runIn(t *testing.T, environ []string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, environ)
	return out.String(), errb.String(), code
}

func parseOPML(t *testing.T, data []byte) []opml.Feed {
	t.Helper()
	feeds, err := opml.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return feeds
}

// Each reader's export goes through `sources import` into a catalogue and
// back out through `sources export --format opml`: every feed comes back
// with its address, title, site and folder.
func TestOPMLRoundTrip(t *testing.T) {
	for _, fixture := range []string{"miniflux.opml", "freshrss.opml", "feedly.opml"} {
		t.Run(fixture, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata/opml", fixture))
			if err != nil {
				t.Fatal(err)
			}
			want := parseOPML(t, src)
			if len(want) < 3 {
				t.Fatalf("fixture has %d feeds", len(want))
			}
			dir := t.TempDir()
			empty := filepath.Join(dir, "empty.yaml")
			os.WriteFile(empty, []byte("# my catalogue\nversion: 1\nsources: []\n"), 0o600)
			cat := filepath.Join(dir, "sources.yaml")
			_, errOut, code := runIn(t, []string{"WIREWATCH_SOURCES_FILE=" + empty}, "sources", "import", "--output", cat, filepath.Join("testdata/opml", fixture))
			if code != 0 || !strings.Contains(errOut, "imported "+strconv.Itoa(len(want))+" source(s)") {
				t.Fatalf("import: exit %d, stderr %q", code, errOut)
			}
			written, _ := os.ReadFile(cat)
			if !strings.HasPrefix(string(written), "# my catalogue") {
				t.Errorf("the catalogue's comment was lost:\n%s", written)
			}
			c, err := config.LoadCatalogueFile(cat)
			if err != nil || len(c.Sources) != len(want) {
				t.Fatalf("imported catalogue: %v, %d sources", err, len(c.Sources))
			}
			env := []string{"WIREWATCH_SOURCES_FILE=" + cat}
			out, errOut, code := runIn(t, env, "sources", "export", "--format", "opml")
			if code != 0 {
				t.Fatalf("export: exit %d, %s", code, errOut)
			}
			got := parseOPML(t, []byte(out))
			if len(got) != len(want) {
				t.Fatalf("exported %d feeds, want %d:\n%s", len(got), len(want), out)
			}
			for i := range want {
				w, g := want[i], got[i]
				if g.Title != w.Title || g.XMLURL != w.XMLURL || g.HTMLURL != w.HTMLURL || g.Category != w.Category {
					t.Errorf("feed %d: got %+v, want %+v", i, g, w)
				}
				if wl := w.Language; wl != "" && !strings.HasPrefix(strings.ToLower(wl), g.Language) {
					t.Errorf("feed %d: language %q, want %q", i, g.Language, wl)
				}
			}
			// Importing the export again adds nothing.
			exported := filepath.Join(dir, "exported.opml")
			os.WriteFile(exported, []byte(out), 0o600)
			again, errOut, code := runIn(t, env, "sources", "import", exported)
			if code != 0 || !strings.Contains(errOut, "imported 0 source(s)") || strings.Count(errOut, "already in the catalogue") != len(want) {
				t.Errorf("re-import: exit %d, stderr %q", code, errOut)
			}
			if c2, err := config.ParseCatalogue("re-import", []byte(again)); err != nil || len(c2.Sources) != len(want) {
				t.Errorf("re-import output: %v", err)
			}
			// --format yaml is the catalogue file itself.
			if y, _, code := runIn(t, env, "sources", "export", "--format", "yaml"); code != 0 || y != string(written) {
				t.Errorf("export --format yaml: exit %d, differs from the file", code)
			}
		})
	}
}

// Imported into the built-in catalogue, a feed it already polls is skipped
// and said so; the rest is added after the built-in sources, site rules kept.
func TestOPMLImportIntoBuiltIn(t *testing.T) {
	out, errOut, code := runIn(t, nil, "sources", "import", "testdata/opml/freshrss.opml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "section/china.xml is already in the catalogue as cgtn-china") || !strings.Contains(errOut, "imported 2 source(s)") {
		t.Errorf("stderr %q", errOut)
	}
	c, err := config.ParseCatalogue("out", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	builtIn, _ := config.LoadCatalogueFile("")
	if len(c.Sources) != len(builtIn.Sources)+2 || len(c.SiteRules) != len(builtIn.SiteRules) {
		t.Fatalf("%d sources, %d site rules; built-in has %d, %d", len(c.Sources), len(c.SiteRules), len(builtIn.Sources), len(builtIn.SiteRules))
	}
	last := c.Sources[len(c.Sources)-1]
	if last.Name != "the-record" || last.Category != "Cyber" || last.Language != "en" || last.Kind != "feed" {
		t.Errorf("last imported source: %+v", last)
	}
	cac := c.Sources[len(c.Sources)-2]
	if cac.Language != "zh" || cac.Name != "cac" || cac.Title != "CAC 网信办" {
		t.Errorf("CAC source: %+v", cac)
	}
}

func TestOPMLImportBadInput(t *testing.T) {
	dir := t.TempDir()
	notOPML := filepath.Join(dir, "feed.xml")
	os.WriteFile(notOPML, []byte(`<rss version="2.0"><channel></channel></rss>`), 0o600)
	if _, errOut, code := runIn(t, nil, "sources", "import", notOPML); code != 1 || !strings.Contains(errOut, "not an OPML document") {
		t.Errorf("an RSS file: exit %d, %q", code, errOut)
	}
	if _, errOut, code := runIn(t, nil, "sources", "import", filepath.Join(dir, "missing.opml")); code != 1 || !strings.Contains(errOut, "missing.opml") {
		t.Errorf("a missing file: exit %d, %q", code, errOut)
	}
	odd := filepath.Join(dir, "odd.opml")
	os.WriteFile(odd, []byte(`<opml version="2.0"><body>
		<outline text="x" xmlUrl="javascript:alert(1)"/>
		<outline text="Security Weekly" xmlurl="https://example.org/feed"/>
		<outline text="Security Weekly" xmlUrl="https://example.org/feed2"/>
	</body></opml>`), 0o600)
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, nil, 0o600)
	out, errOut, code := runIn(t, []string{"WIREWATCH_SOURCES_FILE=" + empty}, "sources", "import", odd)
	if code != 0 || !strings.Contains(errOut, `skipped "x"`) || !strings.Contains(errOut, "imported 2 source(s)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	c, err := config.ParseCatalogue("out", []byte(out))
	if err != nil || len(c.Sources) != 2 || c.Sources[0].Name != "security-weekly" || c.Sources[1].Name != "security-weekly-2" {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"sources", "import"},
		{"sources", "import", "--language", "fr", odd},
		{"sources", "export", "--format", "json"},
		{"sources", "frobnicate"},
	} {
		if _, errOut, code := runIn(t, nil, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (%q)", args, code, errOut)
		}
	}
}
