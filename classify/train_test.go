package classify

import (
	"fmt"
	"math"
	"slices"
	"strings"
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
	d, err := c.prepare([]TrainItem{a, aTitle, b}, 2, [2]float64{})
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
		weight:    []float64{1, 1, 1, 1, 1, 1, 1, 1, 1},
		titleOnly: make([]bool, 9),
		minDF:     1,
	}
	d.target = twoClassTargets(len(d.feats), 3)
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

// toyItems are a few labelled headlines, each with a headline copy when it
// has a lead, as trainmodel makes them.
func toyItems() []TrainItem {
	rows := []struct {
		title, lead string
		topic       string
	}{
		{"Hackers breach ministry network", "State hackers stole files.", "hacking-espionage"},
		{"Hackers attack power grid", "", "hacking-espionage"},
		{"Cyber espionage campaign exposed", "Hackers linked to an agency.", "hacking-espionage"},
		{"New rules for online platforms", "Regulator issues rules on algorithms.", "content-regulation"},
		{"Regulator fines platform over algorithms", "", "content-regulation"},
		{"Ferry timetable changes in spring", "Boats leave hourly.", ""},
		{"Football club wins league", "Fans celebrate in the city.", ""},
		{"Rainstorm warning issued for the city", "", ""},
		{"Hackathon draws students to the city", "Teams build apps.", ""},
		{"Power grid expands in rural areas", "New lines reach villages.", ""},
	}
	var items []TrainItem
	for n, r := range rows {
		it := TrainItem{In: Input{ID: fmt.Sprint("toy", n), Title: r.title, Summary: r.lead, Lang: "en"}, Weight: 1, Fold: n % 3}
		if r.topic != "" {
			it.Relevant, it.Topics = true, []string{r.topic}
		}
		items = append(items, it)
		if r.lead != "" {
			c := it
			c.In.Summary, c.TitleOnly = "", true
			items = append(items, c)
		}
	}
	return items
}

// toyData prepares toyItems for training, with a classifier that has no
// model (as training's) and short training parameters.
func toyData(t *testing.T) (*Classifier, []TrainItem, TrainParams, *trainData) {
	t.Helper()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	c := New(tax, DefaultConfig())
	c.model = nil
	items := toyItems()
	tp := DefaultTrainParams()
	tp.Epochs, tp.Keep = 40, 0
	d, err := c.prepare(items, tp.MinDF, tp.LengthNorm)
	if err != nil {
		t.Fatal(err)
	}
	return c, items, tp, d
}

// A cross-validation fold's model is the model of its training items
// alone: fitting with use on every item's data gives the probabilities that
// preparing and fitting the fold's items by themselves gives. (The
// vocabulary is all items', so this holds only if a fold drops the
// features too few of its own items hold.)
func TestFitFoldIsItsItemsAlone(t *testing.T) {
	c, items, tp, d := toyData(t)
	use := make([]bool, len(items))
	var sub []TrainItem
	for i, it := range items {
		use[i] = it.Fold != 0
		if use[i] {
			sub = append(sub, it)
		}
	}
	ds, err := c.prepare(sub, tp.MinDF, tp.LengthNorm)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.names) >= len(d.names) {
		t.Fatalf("the fold's vocabulary (%d) is not smaller than all items' (%d): the toy data tests nothing", len(ds.names), len(d.names))
	}
	fold, alone := d.fit(use, tp), ds.fit(nil, tp)
	for i, it := range items {
		if a, b := fold.prob(d, i), alone.prob(d, i); math.Abs(a-b) > 1e-9 {
			t.Errorf("%s (fold %d): P %.12f fitted in the fold, %.12f fitted on the fold's items alone", it.In.ID, it.Fold, a, b)
		}
	}
}

// The exported model scores an item as training saw it: the features'
// scales are folded into the rows, and the model reads features as 0/1.
func TestExportFoldsScales(t *testing.T) {
	_, items, tp, d := toyData(t)
	w, bias, sc := d.fitWeights(nil, tp)
	if !slices.ContainsFunc(sc, func(v float64) bool { return v > 1 }) {
		t.Fatalf("scales %v: none above 1, the toy data tests nothing", sc)
	}
	m := d.export(w, bias, sc, tp.Keep)
	z, p := make([]float64, len(d.classes)), make([]float64, len(d.classes)+1)
	for i, it := range items {
		d.logits(i, w, bias, sc, z)
		softmaxInto(p, z)
		// float32 rows: agreement to about 1e-6.
		if got, want := m.prob(d, i), 1-p[0]; math.Abs(got-want) > 1e-5 {
			t.Errorf("%s: exported model P %.6f, training's %.6f", it.In.ID, got, want)
		}
	}
}

// The rates behind a scale are weighed by the items' training weights, and
// a feature that fewer than minDF distinct items of the fold hold (a
// headline copy not counted) is out of the fold's vocabulary: scale 0.
func TestRatioScalesWeightsAndVocabulary(t *testing.T) {
	d := &trainData{
		names: []string{"w:hacker", "w:rare"},
		feats: [][]int32{
			{0, 1}, {0, 1}, // relevant, and its headline copy
			{0},    // relevant, weight 3
			{}, {}, // not
			{0}, // not, weight 0: not in the rates
		},
		weight:    []float64{1, 1, 3, 1, 1, 0},
		titleOnly: []bool{false, true, false, false, false, false},
		minDF:     2,
	}
	d.target = twoClassTargets(len(d.feats), 3)
	sc := d.ratioScales(nil, 0.1, 0)
	// w:hacker: weight 5 of 5 among relevant, 0 of 2 among the rest.
	if want := math.Log((6.0 / 7) / (1.0 / 4)); math.Abs(sc[0]-want) > 1e-12 {
		t.Errorf("w:hacker scale %v, want %v (rates weighed by the items' weights)", sc[0], want)
	}
	if sc[1] != 0 {
		t.Errorf("w:rare, in one item and its headline copy, scale %v, want 0 (out of the vocabulary)", sc[1])
	}
	if plain := d.ratioScales(nil, 0, 0); plain[0] != 1 || plain[1] != 0 {
		t.Errorf("floor 0: scales %v, want [1 0]", plain)
	}
}

// Training refuses parameters it cannot use, with the parameter named.
func TestTrainParamsValidate(t *testing.T) {
	if err := DefaultTrainParams().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	plain := DefaultTrainParams()
	plain.RatioFloor, plain.RatioCap = 0, 0
	if err := plain.Validate(); err != nil {
		t.Errorf("plain features: %v", err)
	}
	for _, tc := range []struct {
		name string
		set  func(*TrainParams)
		want string
	}{
		{"no passes", func(tp *TrainParams) { tp.Epochs = 0 }, "passes"},
		{"negative L2", func(tp *TrainParams) { tp.L2 = -1 }, "L2"},
		{"NaN rate", func(tp *TrainParams) { tp.Rate = math.NaN() }, "rate"},
		{"MinDF 0", func(tp *TrainParams) { tp.MinDF = 0 }, "MinDF"},
		{"NaN floor", func(tp *TrainParams) { tp.RatioFloor = math.NaN() }, "ratio floor"},
		{"infinite floor", func(tp *TrainParams) { tp.RatioFloor = math.Inf(1) }, "ratio floor"},
		{"NaN cap", func(tp *TrainParams) { tp.RatioCap = math.NaN() }, "ratio cap"},
		{"cap without floor", func(tp *TrainParams) { tp.RatioFloor = 0 }, "without a ratio floor"},
		{"cap below floor", func(tp *TrainParams) { tp.RatioCap = 0.05 }, "below the ratio floor"},
		{"precision 0", func(tp *TrainParams) { tp.TargetPrecision = 0 }, "target precision"},
		{"negative length bound", func(tp *TrainParams) { tp.LengthNorm[1] = -1 }, "length bounds"},
		{"infinite length bound", func(tp *TrainParams) { tp.LengthNorm[0] = math.Inf(1) }, "length bounds"},
	} {
		tp := DefaultTrainParams()
		tc.set(&tp)
		err := tp.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
		if _, _, err := train(nil, nil, tp); err == nil {
			t.Errorf("%s: train accepted the parameters", tc.name)
		}
	}
}

// twoClassTargets are the targets of n items of one topic class, the
// first rel relevant and the rest not.
func twoClassTargets(n, rel int) [][]float64 {
	t := make([][]float64, n)
	for i := range t {
		t[i] = []float64{0, 1}
		if i >= rel {
			t[i] = []float64{1, 0}
		}
	}
	return t
}
