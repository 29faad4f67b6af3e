package classify

import (
	"math"
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

// A feature's training scale is how strongly it tells relevant items from
// the others among the items in use: a word only relevant items hold
// scales up, a word both hold evenly gets the floor, and held-out items
// (use false) do not count.
func TestRatioScales(t *testing.T) {
	d := &trainData{
		names: []string{"w:hacker", "w:china", "w:held"},
		feats: [][]int32{
			{0, 1}, {0, 1}, {0, 1, 2}, // relevant
			{1}, {1}, {1}, {1, 2}, {1, 2}, {1, 2}, // not
		},
		weight: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1},
	}
	for i := range d.feats {
		tg := []float64{0, 1}
		if i >= 3 {
			tg = []float64{1, 0}
		}
		d.target = append(d.target, tg)
	}
	plain := d.ratioScales(nil, 0, 0)
	if !slices.Equal(plain, []float64{1, 1, 1}) {
		t.Errorf("floor 0: scales %v, want all 1", plain)
	}
	sc := d.ratioScales(nil, 0.1, 0)
	// w:hacker: rates (3+1)/(3+2) among relevant, (0+1)/(6+2) among the rest.
	if want := math.Log((4.0 / 5) / (1.0 / 8)); math.Abs(sc[0]-want) > 1e-12 {
		t.Errorf("w:hacker scale %v, want %v", sc[0], want)
	}
	if sc[1] != 0.1 { // |log((4/5)/(7/8))| = 0.09, below the floor
		t.Errorf("w:china, in every item, scale %v, want the floor 0.1", sc[1])
	}
	if sc[0] <= sc[1] {
		t.Errorf("w:hacker scale %v not above w:china's %v", sc[0], sc[1])
	}
	// Leave out the relevant item holding w:held: it is then only in
	// items that are not relevant, and its scale changes.
	use := []bool{true, true, false, true, true, true, true, true, true}
	if a, b := d.ratioScales(nil, 0.1, 0)[2], d.ratioScales(use, 0.1, 0)[2]; a == b {
		t.Errorf("w:held scale %v the same with and without the held-out item", a)
	}
	// A limit bounds the scale of the most telling word only.
	capped := d.ratioScales(nil, 0.1, 1)
	if capped[0] != 1 || capped[1] != sc[1] {
		t.Errorf("limit 1: scales %v, want w:hacker 1 and w:china %v", capped, sc[1])
	}
}
