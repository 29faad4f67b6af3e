package classify

import (
	"slices"
	"testing"
)

// A feature must occur in minDF distinct items: an item's headline copy
// (TitleOnly) is not a second item, so a phrase of one item alone does not
// enter the vocabulary, while a word two items share does.
func TestPrepareCountsDistinctItems(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	c := New(tax, DefaultConfig())
	a := TrainItem{In: Input{ID: "a", Title: "Zanzibar ferry timetable", Summary: "Boats leave hourly.", Lang: "en"}, Weight: 1}
	aTitle := a
	aTitle.In.Summary, aTitle.TitleOnly = "", true
	b := TrainItem{In: Input{ID: "b", Title: "Ferry strike ends", Lang: "en"}, Weight: 1}
	d, err := c.prepare([]TrainItem{a, aTitle, b}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.names, "w:ferry") {
		t.Errorf("vocabulary %q lacks w:ferry, which two items share", d.names)
	}
	for _, f := range []string{"w:zanzibar", "w:timetabl", "b:zanzibar ferry"} {
		if slices.Contains(d.names, f) {
			t.Errorf("vocabulary has %s, which only item a (and its headline copy) holds", f)
		}
	}
	if len(d.feats) != 3 {
		t.Fatalf("%d items in index form, want 3 (the copy trains too)", len(d.feats))
	}
}
