package classify

import (
	"fmt"
	"math"
	"os"
	"testing"
)

// modelProb is the model's relevance probability (1 - P(not relevant)) for
// an item's title and summary.
func modelProb(m *bowModel, in Input) [nModelClasses + 1]float64 {
	var rows []int32
	var buf []byte
	for _, s := range []string{in.Title, in.Summary} {
		if s == "" {
			continue
		}
		norm, _ := normalize(nil, nil, s)
		buf, rows = m.score(norm, buf, rows)
	}
	return m.probs(rows)
}

// TestModelCV is the experiment behind the model's design: leave one
// training set out, train on the others, and measure rules, model and
// combinations on the held-out set. Run with WIREWATCH_CV=1.
var cvParams = defaultTrain

func TestModelCV(t *testing.T) {
	if os.Getenv("WIREWATCH_CV") == "" {
		t.Skip("set WIREWATCH_CV=1")
	}
	if v := os.Getenv("WIREWATCH_CV_L2"); v != "" {
		fmt.Sscan(v, &cvParams.l2)
	}
	if v := os.Getenv("WIREWATCH_CV_EPOCHS"); v != "" {
		fmt.Sscan(v, &cvParams.epochs)
	}
	if v := os.Getenv("WIREWATCH_CV_MINDF"); v != "" {
		fmt.Sscan(v, &cvParams.minDF)
	}
	_, per := loadTraining(t)
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	rules := New(tax, DefaultConfig())
	type row struct {
		rel   bool
		rule  float64
		model float64
	}
	var folds [][]row
	for hold := range per {
		var train []evalItem
		for i, s := range per {
			if i != hold {
				train = append(train, s...)
			}
		}
		m := trainModel(train, cvParams)
		var rs []row
		for _, it := range per[hold] {
			res := rules.Classify(it.in)
			p := modelProb(m, it.in)
			rs = append(rs, row{it.relevant, res.Score, 1 - p[0]})
		}
		folds = append(folds, rs)
	}
	eval := func(rs []row, dec func(row) bool) prf {
		var c prf
		for _, r := range rs {
			d := dec(r)
			switch {
			case d && r.rel:
				c.tp++
			case d && !r.rel:
				c.fp++
			case !d && r.rel:
				c.fn++
			}
		}
		return c
	}
	report := func(name string, dec func(row) bool) {
		s := name
		var tot prf
		for i, rs := range folds {
			c := eval(rs, dec)
			_, _, f := c.scores()
			s += fmt.Sprintf("  %s F1 %.3f (fp %d fn %d)", trainingSets[i][9:], f, c.fp, c.fn)
			tot.tp += c.tp
			tot.fp += c.fp
			tot.fn += c.fn
		}
		_, _, f := tot.scores()
		t.Logf("%-28s ALL %.3f%s", s[:min(len(s), len(name))], f, s[len(name):])
	}
	report("rules", func(r row) bool { return r.rule >= 0.5 })
	for _, th := range []float64{0.3, 0.4, 0.5} {
		report(fmt.Sprintf("model>=%.1f", th), func(r row) bool { return r.model >= th })
	}
	for _, beta := range []float64{0.5, 0.7, 0.85, 1, 1.2} {
		report(fmt.Sprintf("raw+%.2f*m", beta), func(r row) bool {
			raw := -math.Log(1-r.rule) - beta*math.Log(1-r.model)
			return raw >= math.Ln2
		})
	}
}
