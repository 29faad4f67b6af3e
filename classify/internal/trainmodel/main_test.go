package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/classify"
)

// labelled weighs items as the thresholds need: a pool with a share counts
// at the real base rate, except non-state items unless asked; borderline
// items train at the borderline weight and count in no estimate; an item
// with a lead gets a headline copy.
func TestLabelled(t *testing.T) {
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	lf, err := classify.ReadLabels(strings.NewReader("#! pool p 0.5\n" +
		"s\t2\tHACK\tr1\tp\tstate, with a lead\n" +
		"n\t0\t-\tr1\tp\tnon-state, headline only\n" +
		"b\t1\tLAW\tr1\tp\tborderline\n"))
	if err != nil {
		t.Fatal(err)
	}
	corpus := map[string]classify.CorpusItem{
		"s": {ID: "s", Outlet: "Global Times", Lang: "en", Title: "US hacking accusations", Lead: "The spokesperson said."},
		"n": {ID: "n", Outlet: "non-state: some blog", Lang: "en", Title: "A patch for a router"},
		"b": {ID: "b", Outlet: "CCTV (Xinwen Lianbo)", Lang: "zh", Title: "网信办发布通知"},
	}
	for _, nonState := range []bool{false, true} {
		items, err := labelled(tax, lf, corpus, 0.5, 1, nonState)
		if err != nil {
			t.Fatal(err)
		}
		// share 0.5 over the pool's share of the labels (3 of 3): 0.5.
		want := []struct {
			id         string
			titleOnly  bool
			relevant   bool
			weight, pw float64
		}{
			{"s", false, true, 1, 0.5},
			{"s", true, true, 1, 0.5},
			{"n", false, false, 1, map[bool]float64{false: 0, true: 0.5}[nonState]},
			{"b", false, true, 0.5, 0},
		}
		if len(items) != len(want) {
			t.Fatalf("nonState %v: %d items, want %d", nonState, len(items), len(want))
		}
		for i, w := range want {
			it := items[i]
			if it.In.ID != w.id || it.TitleOnly != w.titleOnly || it.Relevant != w.relevant || it.Weight != w.weight || it.PopWeight != w.pw {
				t.Errorf("nonState %v, item %d: %s title-only %v relevant %v weight %v pop %v; want %+v",
					nonState, i, it.In.ID, it.TitleOnly, it.Relevant, it.Weight, it.PopWeight, w)
			}
		}
		if items[1].In.Summary != "" {
			t.Errorf("the headline copy kept its lead %q", items[1].In.Summary)
		}
	}
	if _, err := labelled(tax, lf, map[string]classify.CorpusItem{}, 0.5, 1, false); err == nil || !strings.Contains(err.Error(), "not among the items' texts") {
		t.Errorf("a label without its text: error %v", err)
	}
}

// The web-page items train but count in no estimate, a population share in
// their label file is refused, and a label without an item names the files.
func TestLoadWeb(t *testing.T) {
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	itemsPath := write("items.jsonl", `{"id":"web-1","outlet":"China Daily","lang":"en","title":"Chip curbs backfire","lead":"An editorial.","url":"https://example.org/1"}`+"\n")
	items, data, err := loadWeb(tax, write("web.tsv", "web-1\t2\tTECH\tr1\tweb.en\tchips\n"), itemsPath, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || len(data) != 2 {
		t.Fatalf("%d items and %d files, want 2 (the item and its headline copy) and 2", len(items), len(data))
	}
	for _, it := range items {
		if it.PopWeight != 0 || it.Weight != 1 || !it.Relevant {
			t.Errorf("web item %+v: want weight 1, no population weight, relevant", it)
		}
	}
	if _, _, err := loadWeb(tax, write("shared.tsv", "#! pool web.en 0.1\nweb-1\t0\t-\tr1\tweb.en\tx\n"), itemsPath, 0.5, 1); err == nil {
		t.Error("a population share for web items was accepted")
	}
	if _, _, err := loadWeb(tax, write("orphan.tsv", "web-2\t0\t-\tr1\tweb.en\tx\n"), itemsPath, 0.5, 1); err == nil || !strings.Contains(err.Error(), "orphan.tsv") || !strings.Contains(err.Error(), "items.jsonl") {
		t.Errorf("a label without an item: error %v, want one naming both files", err)
	}
	if items, data, err := loadWeb(tax, "", itemsPath, 0.5, 1); err != nil || items != nil || data != nil {
		t.Errorf("no web labels: %v items, %v, %v", items, data, err)
	}
}
