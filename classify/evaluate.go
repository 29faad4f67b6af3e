package classify

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// EvalItem is a labelled item to measure the classifier on.
type EvalItem struct {
	In Input
	// Set names the labelled set ("test", "fulltext").
	Set string
	// Group is the kind of source: "state", "mfa" (Foreign Ministry press
	// conferences) or "nonstate".
	Group string
	// Label is the annotators' label: 2 relevant, 1 borderline, 0 not.
	Label int
	// Topic is the main topic id of a relevant item.
	Topic string
}

// GroupOf returns the Group of a corpus item from its outlet.
func GroupOf(outlet string) string {
	switch {
	case strings.HasPrefix(outlet, "non-state"):
		return "nonstate"
	case strings.HasPrefix(outlet, "PRC MFA"):
		return "mfa"
	}
	return "state"
}

// Prediction is a classifier's verdict on an EvalItem.
type Prediction struct {
	Relevant bool
	Topic    string // the top topic, if relevant
}

// Predict runs the classifier over the items.
func (c *Classifier) Predict(items []EvalItem) []Prediction {
	out := make([]Prediction, len(items))
	for i, it := range items {
		res := c.Classify(it.In)
		out[i].Relevant = res.Relevant
		if len(res.Topics) > 0 {
			out[i].Topic = res.Topics[0].ID
		}
	}
	return out
}

// Confusion counts decisions against labels; borderline items (label 1)
// are counted apart and left out of precision, recall and false alarms.
type Confusion struct {
	TP, FP, FN, TN int
	// Borderline is the number of borderline items, BorderlineFlagged how
	// many of them the classifier called relevant.
	Borderline, BorderlineFlagged int
}

func (c *Confusion) add(label int, pred bool) {
	switch {
	case label == 1:
		c.Borderline++
		if pred {
			c.BorderlineFlagged++
		}
	case label == 2 && pred:
		c.TP++
	case label == 2:
		c.FN++
	case pred:
		c.FP++
	default:
		c.TN++
	}
}

// Precision, Recall, F1 and FalseAlarm are the usual rates; FalseAlarm is
// the share of not-relevant items called relevant.
func (c Confusion) Precision() float64  { return ratio(c.TP, c.TP+c.FP) }
func (c Confusion) Recall() float64     { return ratio(c.TP, c.TP+c.FN) }
func (c Confusion) FalseAlarm() float64 { return ratio(c.FP, c.FP+c.TN) }
func (c Confusion) F1() float64         { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Wilson is the 95 % Wilson score interval of k successes in n trials.
func Wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	const z = 1.959964
	p, fn := float64(k)/float64(n), float64(n)
	den := 1 + z*z/fn
	mid := (p + z*z/(2*fn)) / den
	half := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn)) / den
	return max(0, mid-half), min(1, mid+half)
}

// EvalRow is the measurement of one slice of a set.
type EvalRow struct {
	Set, Slice string
	N          int
	Confusion
	// F1Lo and F1Hi are a 95 % bootstrap interval of F1.
	F1Lo, F1Hi float64
}

// EvalReport is the result of Evaluate.
type EvalReport struct {
	Rows []EvalRow
	// Topics counts, over relevant items the classifier found, the main
	// topic by the label (first key) and the classifier's top topic.
	Topics map[string]map[string]int
}

// Evaluate measures predictions against the items' labels, per set and per
// slice (all, each language, each language and group, and for a language
// with non-state items its state media and Foreign Ministry together).
func Evaluate(items []EvalItem, pred []Prediction) EvalReport {
	type key struct{ set, slice string }
	idx := map[key][]int{}
	var keys []key
	for i, it := range items {
		lang := cmp.Or(it.In.Lang, "?")
		names := []string{"all", lang, lang + "/" + it.Group}
		if it.Group != "nonstate" {
			// The population the daemon watches: state media, the
			// government and the Foreign Ministry.
			names = append(names, lang+"/state+mfa")
		}
		for _, s := range names {
			k := key{it.Set, s}
			if _, ok := idx[k]; !ok {
				keys = append(keys, k)
			}
			idx[k] = append(idx[k], i)
		}
	}
	// A language without non-state items has a state+mfa slice equal to
	// the language's own: leave it out.
	keys = slices.DeleteFunc(keys, func(k key) bool {
		lang, ok := strings.CutSuffix(k.slice, "/state+mfa")
		return ok && len(idx[k]) == len(idx[key{k.set, lang}])
	})
	slices.SortStableFunc(keys, func(a, b key) int {
		if a.set != b.set {
			return cmp.Compare(a.set, b.set)
		}
		return cmp.Compare(sliceOrder(a.slice), sliceOrder(b.slice))
	})
	rep := EvalReport{Topics: map[string]map[string]int{}}
	for _, k := range keys {
		row := EvalRow{Set: k.set, Slice: k.slice, N: len(idx[k])}
		for _, i := range idx[k] {
			row.add(items[i].Label, pred[i].Relevant)
		}
		row.F1Lo, row.F1Hi = bootstrapF1(items, pred, idx[k])
		rep.Rows = append(rep.Rows, row)
	}
	for i, it := range items {
		if it.Label == 2 && pred[i].Relevant {
			m := rep.Topics[it.Topic]
			if m == nil {
				m = map[string]int{}
				rep.Topics[it.Topic] = m
			}
			m[pred[i].Topic]++
		}
	}
	return rep
}

func sliceOrder(s string) string {
	if s == "all" {
		return ""
	}
	return s
}

// bootstrapF1 is a 95 % percentile bootstrap interval of F1 over the items
// at idx (1,000 resamples, fixed seed: the same data give the same figures).
func bootstrapF1(items []EvalItem, pred []Prediction, idx []int) (float64, float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1000
	f1s := make([]float64, 0, n)
	for range n {
		var c Confusion
		for range idx {
			i := idx[rng.IntN(len(idx))]
			c.add(items[i].Label, pred[i].Relevant)
		}
		if f := c.F1(); !math.IsNaN(f) {
			f1s = append(f1s, f)
		}
	}
	if len(f1s) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(f1s)
	return f1s[len(f1s)*25/1000], f1s[len(f1s)*975/1000-1]
}

// Write prints the report as a table, then the topic confusion.
func (r EvalReport) Write(w io.Writer) {
	fmt.Fprintln(w, "relevant = label 2; borderline items (label 1) are left out of P, R and false alarms and counted apart.")
	fmt.Fprintln(w, "95 % intervals: Wilson for P, R and false alarms, bootstrap for F1.")
	fmt.Fprintf(w, "%-9s %-12s %5s %4s %4s %4s %5s  %-19s %-19s %-19s %-19s %s\n",
		"set", "slice", "n", "rel", "tp", "fp", "fn", "precision", "recall", "F1", "false alarms", "borderline flagged")
	for _, row := range r.Rows {
		plo, phi := Wilson(row.TP, row.TP+row.FP)
		rlo, rhi := Wilson(row.TP, row.TP+row.FN)
		flo, fhi := Wilson(row.FP, row.FP+row.TN)
		fmt.Fprintf(w, "%-9s %-12s %5d %4d %4d %4d %5d  %-19s %-19s %-19s %-19s %d/%d\n",
			row.Set, row.Slice, row.N, row.TP+row.FN, row.TP, row.FP, row.FN,
			ci(row.Precision(), plo, phi), ci(row.Recall(), rlo, rhi), ci(row.F1(), row.F1Lo, row.F1Hi),
			ci(row.FalseAlarm(), flo, fhi), row.BorderlineFlagged, row.Borderline)
	}
	fmt.Fprintln(w, "\ntopic confusion (relevant items found; rows: labelled main topic, columns: top topic given):")
	var labels []string
	cols := map[string]bool{}
	for l, m := range r.Topics {
		labels = append(labels, l)
		for c := range m {
			cols[c] = true
		}
	}
	slices.Sort(labels)
	var cs []string
	for c := range cols {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	fmt.Fprintf(w, "%-22s", "")
	for _, c := range cs {
		fmt.Fprintf(w, " %8.8s", c)
	}
	fmt.Fprintln(w)
	agree, total := 0, 0
	for _, l := range labels {
		fmt.Fprintf(w, "%-22s", l)
		for _, c := range cs {
			n := r.Topics[l][c]
			fmt.Fprintf(w, " %8d", n)
			total += n
			if c == l {
				agree += n
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "top topic = labelled main topic: %d of %d\n", agree, total)
}

func ci(v, lo, hi float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f [%.3f,%.3f]", v, lo, hi)
}

// Kappa is Cohen's kappa of two label sequences of equal length.
func Kappa(a, b []int) float64 {
	n := float64(len(a))
	if n == 0 {
		return math.NaN()
	}
	ca, cb := map[int]float64{}, map[int]float64{}
	agree := 0.0
	for i := range a {
		ca[a[i]]++
		cb[b[i]]++
		if a[i] == b[i] {
			agree++
		}
	}
	po := agree / n
	pe := 0.0
	for k, v := range ca {
		pe += v * cb[k] / (n * n)
	}
	if pe == 1 {
		return 1
	}
	return (po - pe) / (1 - pe)
}

// LoadEvalSet reads a labelled set for Evaluate: the labels (a label file)
// joined with the items' text from corpus (JSON lines, gzip or not). Topic
// codes become the taxonomy's topic ids.
func LoadEvalSet(tax *Taxonomy, set string, labels, corpus io.Reader) ([]EvalItem, error) {
	lf, err := ReadLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", set, err)
	}
	texts, err := ReadCorpus(corpus)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", set, err)
	}
	items := make([]EvalItem, 0, len(lf.Labels))
	for _, l := range lf.Labels {
		it, ok := texts[l.ID]
		if !ok {
			return nil, fmt.Errorf("classify: %s: item %s is not in the corpus", set, l.ID)
		}
		ei := EvalItem{In: it.Input(), Set: set, Group: GroupOf(it.Outlet), Label: l.Label}
		if len(l.Topics) > 0 {
			id, ok := tax.TopicByCode(l.Topics[0])
			if !ok {
				return nil, fmt.Errorf("classify: %s: item %s: unknown topic code %q", set, l.ID, l.Topics[0])
			}
			ei.Topic = id
		}
		items = append(items, ei)
	}
	return items, nil
}
