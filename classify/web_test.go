package classify

import (
	"crypto/sha1"
	"encoding/hex"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// readWebItems reads the web-page items and their labels
// (testdata/web/items.jsonl, testdata/labels/web.tsv).
func readWebItems(t *testing.T) (map[string]CorpusItem, *LabelFile) {
	t.Helper()
	return readTestFile(t, "testdata/web/items.jsonl", ReadCorpus), readTestFile(t, "testdata/labels/web.tsv", ReadLabels)
}

// readTestFile parses the file at path with read, failing the test on an
// error.
func readTestFile[T any](t *testing.T, path string, read func(io.Reader) (T, error)) T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// titleKey is a headline reduced to its letters and digits, lower-cased:
// two items with the same key are the same headline.
func titleKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Every web-page item is labelled once, has its source page, a headline
// and a lead no longer than the corpus's (300 characters of English, 150
// of Chinese, plus the ellipsis), and an id made from its URL; no headline
// is there twice.
func TestWebItems(t *testing.T) {
	items, lf := readWebItems(t)
	raw, err := os.ReadFile("testdata/web/items.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(strings.TrimSpace(string(raw)), "\n") + 1; lines != len(items) || len(lf.Labels) != len(items) {
		t.Errorf("%d labels for %d items in %d lines (an id twice?)", len(lf.Labels), len(items), lines)
	}
	date := regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})?$`)
	seen := map[string]string{}
	for _, l := range lf.Labels {
		it, ok := items[l.ID]
		if !ok {
			t.Errorf("label %s: no such web item", l.ID)
			continue
		}
		sum := sha1.Sum([]byte(it.URL))
		if want := "web-" + hex.EncodeToString(sum[:])[:12]; it.ID != want {
			t.Errorf("item %s: id should be %s (from its url %s)", it.ID, want, it.URL)
		}
		if !date.MatchString(it.Date) {
			t.Errorf("item %s: date %q, want YYYY-MM-DD or none", it.ID, it.Date)
		}
		if it.Lang != "en" && it.Lang != "zh" || it.Title == "" || it.Outlet == "" || !strings.HasPrefix(it.URL, "http") {
			t.Errorf("item %s: incomplete: %+v", it.ID, it)
		}
		limit := 301
		if it.Lang == "zh" {
			limit = 151
		}
		if n := utf8.RuneCountInString(it.Lead); n > limit {
			t.Errorf("item %s: lead of %d characters, want at most %d", it.ID, n, limit)
		}
		k := titleKey(it.Title)
		if other, dup := seen[k]; dup {
			t.Errorf("items %s and %s have the same headline %q", other, it.ID, it.Title)
		}
		seen[k] = it.ID
		if !strings.HasPrefix(l.Pool, "web.") {
			t.Errorf("label %s: pool %q, want web.<lang>", l.ID, l.Pool)
		}
	}
}

// No web-page item is a frozen test item under another id: its headline
// is in no test set nor the full-text set.
func TestWebItemsNotInTestSets(t *testing.T) {
	items, _ := readWebItems(t)
	f, err := os.Open("../../shared/corpora/statemedia/headlines.jsonl.gz")
	if err != nil {
		t.Skipf("the state-media corpus is not there (%v): the test sets' headlines cannot be read", err)
	}
	defer f.Close()
	corpus, err := ReadCorpus(f)
	if err != nil {
		t.Fatal(err)
	}
	frozen := map[string]string{}
	for _, p := range []string{"testdata/labels/test.tsv", "testdata/labels/test2.tsv", "testdata/labels/test3.tsv"} {
		for _, l := range readTestFile(t, p, ReadLabels).Labels {
			frozen[titleKey(corpus[l.ID].Title)] = p + " " + l.ID
		}
	}
	for id, it := range readTestFile(t, "testdata/labels/fulltext.jsonl", ReadCorpus) {
		frozen[titleKey(it.Title)] = "fulltext " + id
	}
	for _, it := range items {
		if where, ok := frozen[titleKey(it.Title)]; ok {
			t.Errorf("web item %s (%q) is the frozen item %s", it.ID, it.Title, where)
		}
	}
}
