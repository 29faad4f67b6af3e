package classify

import (
	"os"
	"strings"
	"testing"
)

// The shipped model must be the one `make train` makes from the label files
// and probe sets in the repository with the default parameters.
func TestModelFresh(t *testing.T) {
	labels, err := os.ReadFile("testdata/labels/train.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var probes [][]byte
	for _, p := range []string{"eval.txt", "probe2022.txt", "probe2022b.txt", "probe2022c.txt", "probe2022d.txt", "probe2022e.txt", "probe2022f.txt"} {
		data, err := os.ReadFile("testdata/" + p)
		if err != nil {
			t.Fatal(err)
		}
		probes = append(probes, data)
	}
	for _, p := range []string{"labels/web.tsv", "web/items.jsonl"} {
		data, err := os.ReadFile("testdata/" + p)
		if err != nil {
			t.Fatal(err)
		}
		probes = append(probes, data)
	}
	want := "# training: " + TrainingFingerprint(labels, probes, DefaultTrainParams(), defaultBorderline, defaultTitleCopies) + "\n"
	if !strings.HasPrefix(modelTSV, want) {
		t.Errorf("model.tsv is stale (want header %q): run make train", strings.TrimSpace(want))
	}
	if _, err := loadDefaultModel(); err != nil {
		t.Fatal(err)
	}
}

// Every training label refers to a distinct item and none is in a frozen
// test set (test.tsv; test2.tsv and test3.tsv, the second and third
// Chinese ones): the test sets are never trained on. test3.tsv is a
// uniform draw over every Chinese item outside test.tsv, so it holds some
// of test2.tsv's items, with their labels unchanged.
func TestTrainingDisjointFromTest(t *testing.T) {
	read := func(p string) map[string]Label {
		m := map[string]Label{}
		for _, l := range readTestFile(t, p, ReadLabels).Labels {
			m[l.ID] = l
		}
		return m
	}
	train, test, test2, test3 := read("testdata/labels/train.tsv"), read("testdata/labels/test.tsv"), read("testdata/labels/test2.tsv"), read("testdata/labels/test3.tsv")
	for id := range train {
		_, in1 := test[id]
		_, in2 := test2[id]
		_, in3 := test3[id]
		if in1 || in2 || in3 {
			t.Errorf("item %s is in both the training and a test set", id)
		}
	}
	for id, l := range test2 {
		if _, ok := test[id]; ok {
			t.Errorf("item %s is in both test.tsv and test2.tsv", id)
		}
		if l3, ok := test3[id]; ok && (l3.Label != l.Label || l3.Annotator != l.Annotator) {
			t.Errorf("item %s: test3.tsv has %d by %s, test2.tsv %d by %s", id, l3.Label, l3.Annotator, l.Label, l.Annotator)
		}
	}
	for id := range test3 {
		if _, ok := test[id]; ok {
			t.Errorf("item %s is in both test.tsv and test3.tsv", id)
		}
	}
	if len(test3) < 5000 {
		t.Errorf("test3 %d items", len(test3))
	}
	if len(test) < 2000 || len(train) < 4000 || len(test2) < 2000 {
		t.Errorf("test %d items, training %d", len(test), len(train))
	}
}

// The third Chinese test set is what docs/relevance.md says it is: its
// labels are well formed, relevant items carry topics, it holds at least
// 100 relevant items (the floor for a test set) at a base rate
// under one in ten, and its blind second pass covers its items only.
func TestThirdTestSet(t *testing.T) {
	test3 := readTestFile(t, "testdata/labels/test3.tsv", ReadLabels)
	ids := map[string]bool{}
	rel := 0
	for _, l := range test3.Labels {
		if ids[l.ID] {
			t.Errorf("item %s listed twice", l.ID)
		}
		ids[l.ID] = true
		if l.Pool != "random" {
			t.Errorf("item %s: pool %q, want random (a uniform draw)", l.ID, l.Pool)
		}
		if l.Label == 2 {
			rel++
		}
		if (l.Label > 0) != (len(l.Topics) > 0) {
			t.Errorf("item %s: label %d with topics %v", l.ID, l.Label, l.Topics)
		}
	}
	if rel < 100 || rel*10 >= len(test3.Labels) {
		t.Errorf("%d relevant of %d: want at least 100, under one in ten", rel, len(test3.Labels))
	}
	second := readTestFile(t, "testdata/labels/test3-second-pass.tsv", ReadLabels)
	if len(second.Labels) < 300 {
		t.Errorf("second pass: %d items, want at least 300", len(second.Labels))
	}
	for _, l := range second.Labels {
		if !ids[l.ID] {
			t.Errorf("second pass item %s is not in test3.tsv", l.ID)
		}
	}
}
