package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/wirewatch/wirewatch/internal/corpus"
)

// withoutScripts parses page and renders it with every script's content
// removed: two pages that differ only in what their scripts hold render the
// same.
func withoutScripts(t *testing.T, page []byte) string {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var clear func(*html.Node)
	clear = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "script" {
			for c := n.FirstChild; c != nil; c = n.FirstChild {
				n.RemoveChild(c)
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			clear(c)
		}
	}
	clear(root)
	var b strings.Builder
	if err := html.Render(&b, root); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkEmptyScripts checks that cutting the scripts of page leaves its
// parsed tree as it was but for script contents, and reports whether
// anything was cut.
func checkEmptyScripts(t *testing.T, name string, page []byte) bool {
	t.Helper()
	orig := bytes.Clone(page)
	cut := emptyScripts(page)
	if !bytes.Equal(page, orig) {
		t.Fatalf("%s: emptyScripts changed its input", name)
	}
	if want, got := withoutScripts(t, page), withoutScripts(t, cut); got != want {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: the tree changed beyond the scripts, at %d:\n got … %.200s\nwant … %.200s", name, i, got[i:], want[i:])
	}
	return len(cut) < len(page)
}

// On every real page of the corpora the parsed tree is the same but for
// script contents, and most pages with inline code are cut.
func TestEmptyScriptsOnCorpora(t *testing.T) {
	root := corpus.Dir(t, ".")
	var files []string
	for _, p := range []string{"extraction-dev/html/*.html", "newspaper4k/html/*.html", "readability/test/test-pages/*/source.html", "miniflux/*/*/*/testdata/*.html"} {
		m, _ := filepath.Glob(filepath.Join(root, p))
		files = append(files, m...)
	}
	if len(files) < 100 {
		t.Fatalf("%d corpus pages, want the corpora's 250", len(files))
	}
	withCode, cut := 0, 0
	var before, after int
	for _, f := range files {
		page, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(bytes.ToLower(page), []byte("<script>")) || bytes.Contains(bytes.ToLower(page), []byte("<script type=\"text/javascript\">")) {
			withCode++
		}
		if checkEmptyScripts(t, filepath.Base(f), page) {
			cut++
		}
		before += len(page)
		after += len(emptyScripts(page))
	}
	t.Logf("%d pages, %d with inline code, %d cut; %d bytes → %d", len(files), withCode, cut, before, after)
	if cut < withCode*3/4 {
		t.Errorf("only %d of the %d pages with inline code were cut", cut, withCode)
	}
}

// Markup that holds "<script" where the tokenizer reads no script tag, and
// scripts the scan leaves alone.
func TestEmptyScriptsCases(t *testing.T) {
	for _, c := range []struct {
		name, page, want string
	}{
		{"plain", `<p>a</p><script>var x = "<p>no</p>";</script><p>b</p>`, `<p>a</p><script></script><p>b</p>`},
		{"upper case, attributes", `<SCRIPT src="x.js" async>f()</SCRIPT ><p>b</p>`, `<SCRIPT src="x.js" async></SCRIPT ><p>b</p>`},
		{"several", `<script>1</script>t<script type="module">2</script>`, `<script></script>t<script type="module"></script>`},
		{"json-ld kept", `<script type="application/ld+json">{"headline":"H"}</script><script>x</script>`, `<script type="application/ld+json">{"headline":"H"}</script><script></script>`},
		{"in a comment", `<!-- <script>x</script> --><p>keep <script>y</script></p>`, `<!-- <script>x</script> --><p>keep <script></script></p>`},
		{"in an attribute", `<a title="<script>" href='<script>'>t</a><p>x</p><script>y</script>`, `<a title="<script>" href='<script>'>t</a><p>x</p><script></script>`},
		{"in raw text", `<textarea><script>x</script></textarea><title><script>t</script></title><style>s{}</style><script>z</script>`,
			`<textarea><script>x</script></textarea><title><script>t</script></title><style>s{}</style><script></script>`},
		{"bogus comment", `</ <script>x</script><p>y</p>`, `</ <script>x</script><p>y</p>`},
		{"end tag name is not script", `<script>a</scripts>b</script><p>c</p>`, `<script></script><p>c</p>`},
		{"escaped script: rest left", `<script><!-- document.write("<script></script>") --></script><p>c</p><script>d</script>`,
			`<script><!-- document.write("<script></script>") --></script><p>c</p><script>d</script>`},
		{"unterminated", `<p>a</p><script>never closed <p>b</p>`, `<p>a</p><script>never closed <p>b</p>`},
		{"svg script kept", `<svg><script>x</script></svg><script>y</script>`, `<svg><script>x</script></svg><script></script>`},
		{"plaintext stops", `<plaintext><script>x</script>`, `<plaintext><script>x</script>`},
		{"not ASCII", `<ſcript>x</ſcript><p>y</p>`, `<ſcript>x</ſcript><p>y</p>`},
		{"no tags", `just text < and > signs`, `just text < and > signs`},
		{"cut at the end", `<script>`, `<script>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(emptyScripts([]byte(c.page))); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			checkEmptyScripts(t, c.name, []byte(c.page))
		})
	}
}

// Nothing to cut: the page itself comes back, not a copy.
func TestEmptyScriptsNoCopy(t *testing.T) {
	page := []byte(`<html><body><p>No code here.</p></body></html>`)
	if got := emptyScripts(page); &got[0] != &page[0] {
		t.Error("a page without scripts was copied")
	}
}

// FuzzEmptyScripts: the scan never panics, only removes bytes, and
// finds nothing more to cut in its own output.
func FuzzEmptyScripts(f *testing.F) {
	for _, s := range []string{
		`<p>a</p><script>var x = "<p>";</script><p>b</p>`,
		`<!-- <script>x</script> --><a title="<script>">t</a><script type="application/ld+json">{}</script>`,
		`<textarea><script>x</script></textarea><svg><script>y</script></svg><script><!-- z --></script>`,
		`</ <script>x</script><SCRIPT >y</SCRIPT/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		cut := emptyScripts(page)
		if len(cut) > len(page) {
			t.Fatalf("%d bytes became %d", len(page), len(cut))
		}
		if again := emptyScripts(cut); !bytes.Equal(again, cut) {
			t.Fatalf("cut again:\n%q\n%q", cut, again)
		}
	})
}
