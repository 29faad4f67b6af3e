package prf

import (
	"math"
	"testing"
)

func TestScores(t *testing.T) {
	for _, tc := range []struct {
		tp, fp, fn int
		p, r, f    float64
	}{
		{8, 2, 2, 0.8, 0.8, 0.8},
		{3, 1, 0, 0.75, 1, 6.0 / 7},
		{1, 0, 3, 1, 0.25, 0.4},
		{0, 0, 0, 0, 0, 0},
		{0, 5, 5, 0, 0, 0},
	} {
		p, r, f := Scores(tc.tp, tc.fp, tc.fn)
		if math.Abs(p-tc.p) > 1e-12 || math.Abs(r-tc.r) > 1e-12 || math.Abs(f-tc.f) > 1e-12 {
			t.Errorf("Scores(%d, %d, %d) = %v, %v, %v, want %v, %v, %v", tc.tp, tc.fp, tc.fn, p, r, f, tc.p, tc.r, tc.f)
		}
	}
}
