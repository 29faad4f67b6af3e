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
// test set (test.tsv, or test2.tsv, the second Chinese one): the test sets
// are never trained on.
func TestTrainingDisjointFromTest(t *testing.T) {
	read := func(p string) map[string]bool {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		lf, err := ReadLabels(f)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, l := range lf.Labels {
			m[l.ID] = true
		}
		return m
	}
	train, test, test2 := read("testdata/labels/train.tsv"), read("testdata/labels/test.tsv"), read("testdata/labels/test2.tsv")
	for id := range train {
		if test[id] || test2[id] {
			t.Errorf("item %s is in both the training and a test set", id)
		}
	}
	for id := range test2 {
		if test[id] {
			t.Errorf("item %s is in both test sets", id)
		}
	}
	if len(test) < 2000 || len(train) < 4000 || len(test2) < 2000 {
		t.Errorf("test %d items, training %d", len(test), len(train))
	}
}
