package classify

import (
	"math"
	"testing"
)

// Evaluate counts each item in its set's slices: all, its language, its
// language and source group, and (for a language that has non-state items)
// the state media with the Foreign Ministry together.
func TestEvaluateSlices(t *testing.T) {
	item := func(lang, group string, label int) EvalItem {
		return EvalItem{In: Input{Lang: lang}, Set: "test", Group: group, Label: label}
	}
	items := []EvalItem{
		item("en", "state", 2), item("en", "state", 0), item("en", "mfa", 2),
		item("en", "nonstate", 2), item("en", "nonstate", 0), item("en", "nonstate", 1),
		item("zh", "state", 2), item("zh", "mfa", 0),
	}
	pred := []Prediction{
		{Relevant: true}, {Relevant: true}, {Relevant: false},
		{Relevant: true}, {Relevant: true}, {Relevant: true},
		{Relevant: true}, {Relevant: false},
	}
	rows := map[string]EvalRow{}
	for _, r := range Evaluate(items, pred).Rows {
		rows[r.Slice] = r
	}
	want := map[string]Confusion{
		"all":          {TP: 3, FP: 2, FN: 1, TN: 1, Borderline: 1, BorderlineFlagged: 1},
		"en":           {TP: 2, FP: 2, FN: 1, Borderline: 1, BorderlineFlagged: 1},
		"en/state+mfa": {TP: 1, FP: 1, FN: 1},
		"en/nonstate":  {TP: 1, FP: 1, Borderline: 1, BorderlineFlagged: 1},
		"zh":           {TP: 1, TN: 1},
	}
	for slice, c := range want {
		if got, ok := rows[slice]; !ok || got.Confusion != c {
			t.Errorf("slice %s: %+v, want %+v", slice, got.Confusion, c)
		}
	}
	if _, ok := rows["zh/state+mfa"]; ok {
		t.Error("zh has no non-state items: its state+mfa slice repeats the language's and should be left out")
	}
	if n := rows["en/state+mfa"].N; n != 3 {
		t.Errorf("en/state+mfa holds %d items, want 3", n)
	}
}

// Cohen's kappa: 1 for identical labels, 0 for agreement no better than
// chance, and a hand-computed value between.
func TestKappa(t *testing.T) {
	if k := Kappa([]int{0, 1, 2, 2}, []int{0, 1, 2, 2}); k != 1 {
		t.Errorf("identical: %v", k)
	}
	// Each labels half the items 1; they agree on half: p_o = p_e = 0.5.
	if k := Kappa([]int{1, 1, 0, 0}, []int{1, 0, 1, 0}); math.Abs(k) > 1e-12 {
		t.Errorf("chance: %v", k)
	}
	// p_o = 0.7; a says 1 for 6 of 10, b for 5 of 10: p_e = 0.6·0.5 +
	// 0.4·0.5 = 0.5, κ = 0.2/0.5.
	a := []int{1, 1, 1, 0, 0, 1, 1, 0, 0, 1}
	b := []int{1, 1, 0, 0, 0, 1, 1, 0, 1, 0}
	if k, want := Kappa(a, b), 0.4; math.Abs(k-want) > 1e-9 {
		t.Errorf("kappa %v, want %v", k, want)
	}
}
