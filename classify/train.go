package classify

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"sync"
)

// TrainItem is one labelled item for training the model.
type TrainItem struct {
	In Input
	// Relevant and Topics (topic ids, main first) are the label.
	Relevant bool
	Topics   []string
	// Weight is the item's weight in the loss (1 for a plain item).
	Weight float64
	// PopWeight weighs the item in estimates at the real base rate: the
	// population share of its sampling pool over the pool's share of the
	// sample. 0 leaves it out of those estimates (written probes).
	PopWeight float64
	// Fold assigns the item to a cross-validation fold (0 … Folds-1); -1
	// keeps it in every training fold.
	Fold int
	// Lang is "en" or "zh", for per-language estimates.
	Lang string
	// TitleOnly marks a copy of an item without its lead, so that the model
	// also learns to decide on a headline alone (feeds without summaries);
	// the estimates report such copies apart as well.
	TitleOnly bool
}

// TrainParams are the training hyper-parameters.
type TrainParams struct {
	Epochs int     // full-batch AdaGrad passes
	L2     float64 // L2 penalty on the weighted mean loss
	Rate   float64 // AdaGrad learning rate
	MinDF  int     // a feature must occur in this many distinct items
	Keep   float64 // rows whose largest |weight| is below are dropped
	// RatioFloor, when above 0, scales each text feature by how strongly
	// it tells relevant items from the rest in the training items: the
	// absolute log ratio of its rates in the two (see ratioScales), at
	// least RatioFloor. Under the same L2 penalty a telling word ("黑客",
	// "hacker") may then take a large weight while a word common to both
	// ("中国", "whether") stays near 0, so that a headline's many neutral
	// words no longer outvote its one cyber word. 0 trains on plain 0/1
	// features.
	RatioFloor float64
	// RatioCap, when above 0, bounds that scale, so that no single word
	// or phrase the training items happen to hold mostly in relevant items
	// ("online rumor", "Huawei") decides an item on its own.
	RatioCap float64
	// LengthNorm, per language (English, Chinese), when above 0: a head
	// with more text feature occurrences than that has its text features'
	// part of the logits multiplied by sqrt(LengthNorm/n), n its number of
	// occurrences (lengthFactor). A long head — a journalist's question, a
	// lead — no longer adds up a dozen slightly negative common words
	// against its one telling phrase. A short headline's factor stays 1,
	// though the weights it reads are trained around the damped heads.
	LengthNorm [2]float64
	// TargetPrecision is the precision at the real base rate, estimated by
	// cross-validation, that the decision threshold is set for.
	TargetPrecision float64
}

// DefaultTrainParams are the parameters `make train` uses.
func DefaultTrainParams() TrainParams {
	return TrainParams{Epochs: 300, L2: 2e-4, Rate: 0.3, MinDF: 2, Keep: 0.02, RatioFloor: 0.1, RatioCap: 3, LengthNorm: [2]float64{40, 0}, TargetPrecision: 0.93}
}

// Validate reports the first parameter training cannot use.
func (tp TrainParams) Validate() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case tp.Epochs < 1:
		return fmt.Errorf("classify: train: %d passes: want at least 1", tp.Epochs)
	case !finite(tp.L2) || tp.L2 < 0:
		return fmt.Errorf("classify: train: L2 %v: want a finite number, 0 or more", tp.L2)
	case !finite(tp.Rate) || tp.Rate <= 0:
		return fmt.Errorf("classify: train: rate %v: want a finite number above 0", tp.Rate)
	case tp.MinDF < 1:
		return fmt.Errorf("classify: train: MinDF %d: want at least 1", tp.MinDF)
	case !finite(tp.Keep) || tp.Keep < 0:
		return fmt.Errorf("classify: train: keep %v: want a finite number, 0 or more", tp.Keep)
	case !validLengthBound(tp.LengthNorm[0]) || !validLengthBound(tp.LengthNorm[1]):
		return fmt.Errorf("classify: train: length bounds %v: want 0 (none) or more, below %g", tp.LengthNorm, maxLengthBound)
	case !finite(tp.RatioFloor) || tp.RatioFloor < 0:
		return fmt.Errorf("classify: train: ratio floor %v: want 0 (plain features) or a finite number above", tp.RatioFloor)
	case !finite(tp.RatioCap) || tp.RatioCap < 0:
		return fmt.Errorf("classify: train: ratio cap %v: want 0 (no bound) or a finite number above", tp.RatioCap)
	case tp.RatioCap > 0 && tp.RatioFloor == 0:
		return fmt.Errorf("classify: train: ratio cap %v without a ratio floor: plain features have no scale to bound", tp.RatioCap)
	case tp.RatioCap > 0 && tp.RatioCap < tp.RatioFloor:
		return fmt.Errorf("classify: train: ratio cap %v below the ratio floor %v", tp.RatioCap, tp.RatioFloor)
	case !(tp.TargetPrecision > 0 && tp.TargetPrecision <= 1):
		return fmt.Errorf("classify: train: target precision %v: want above 0, at most 1", tp.TargetPrecision)
	}
	return nil
}

// headFeatures returns the distinct text features of an item's head, its
// per-topic rule scores, as the classifier computes them, and the number
// of text feature occurrences (lengthFactor's n).
func (c *Classifier) headFeatures(in Input) ([]string, []float64, int) {
	s := c.pool.Get().(*scratch)
	defer c.pool.Put(s)
	c.scoreHead(s, in)
	seen := map[string]bool{}
	var names []string
	n := 0
	for _, f := range [...]int{fieldTitle, fieldSummary} {
		s.mbuf = s.modelFeatures(f, func(feat []byte, start, end int) {
			n++
			if len(s.fmasks[f]) > 0 && overlapsMask(s.fmasks[f], start, end) {
				return
			}
			if !seen[string(feat)] {
				seen[string(feat)] = true
				names = append(names, string(feat))
			}
		})
	}
	rule := make([]float64, len(s.raw))
	for ti, r := range s.raw {
		rule[ti] = squash(r)
	}
	return names, rule, n
}

// trainData is the training set in index form.
type trainData struct {
	names     []string // text features; then one rule feature per topic
	classes   []string
	feats     [][]int32
	rule      [][]float64
	target    [][]float64 // per item: class 0 = not relevant, then classes
	weight    []float64
	titleOnly []bool    // a headline copy (TrainItem.TitleOnly)
	factor    []float64 // the head's lengthFactor
	minDF     int
}

// vocabularyRule names how prepare chooses the features, for the training
// fingerprint: a model made by an earlier rule is stale.
const vocabularyRule = "distinct-items-per-fold"

// prepare turns items into index form with the vocabulary of features
// that occur in at least minDF distinct items. A headline copy
// (TitleOnly) does not count as an item of its own: its features are its
// original's, so counting it let every word of a single item pass minDF 2,
// and the model learnt each item by its own phrases rather than by the
// words items share. Each item's length factor is that of the bounds
// lengthNorm (TrainParams.LengthNorm, lengthFactor).
func (c *Classifier) prepare(items []TrainItem, minDF int, lengthNorm [2]float64) (*trainData, error) {
	d := &trainData{minDF: minDF}
	for _, tp := range c.tax.Topics {
		d.classes = append(d.classes, tp.ID)
	}
	raw := make([][]string, len(items))
	df := map[string]int{}
	d.rule = make([][]float64, len(items))
	d.factor = make([]float64, len(items))
	for i, it := range items {
		var n int // text feature occurrences of the head
		raw[i], d.rule[i], n = c.headFeatures(it.In)
		d.factor[i] = lengthFactor(n, lengthNorm, chineseItem(it.In.Lang, it.In.Title))
		if it.TitleOnly {
			continue
		}
		for _, f := range raw[i] {
			df[f]++
		}
	}
	for f, n := range df {
		if n >= minDF {
			d.names = append(d.names, f)
		}
	}
	slices.Sort(d.names)
	idx := make(map[string]int32, len(d.names))
	for i, f := range d.names {
		idx[f] = int32(i)
	}
	nc := len(d.classes)
	for i, it := range items {
		var fs []int32
		for _, f := range raw[i] {
			if j, ok := idx[f]; ok {
				fs = append(fs, j)
			}
		}
		d.feats = append(d.feats, fs)
		t := make([]float64, nc+1)
		if !it.Relevant {
			t[0] = 1
		} else {
			if len(it.Topics) == 0 {
				return nil, fmt.Errorf("classify: train: relevant item %q has no topic", it.In.ID)
			}
			for _, id := range it.Topics {
				k := slices.Index(d.classes, id)
				if k < 0 {
					return nil, fmt.Errorf("classify: train: item %q: unknown topic %q", it.In.ID, id)
				}
				t[k+1] += 1 / float64(len(it.Topics))
			}
		}
		d.target = append(d.target, t)
		d.weight = append(d.weight, it.Weight)
		d.titleOnly = append(d.titleOnly, it.TitleOnly)
	}
	return d, nil
}

// fit trains the weights on the items in use (all when use is nil) and
// returns the model with rows for every feature it kept.
func (d *trainData) fit(use []bool, tp TrainParams) *linModel {
	w, bias, sc := d.fitWeights(use, tp)
	return d.export(w, bias, sc, tp.Keep)
}

// logits writes item i's class logits (without class 0's, which is 0) into
// z, under the internal weights w (row-major, text features then rule
// features) and bias, with text feature j's value sc[j].
func (d *trainData) logits(i int, w, bias, sc, z []float64) {
	nc, nt := len(d.classes), len(d.names)
	copy(z, bias)
	g := d.factor[i]
	for _, j := range d.feats[i] {
		row, v := w[int(j)*nc:int(j)*nc+nc], sc[j]*g
		for k := range z {
			z[k] += v * row[k]
		}
	}
	for ti, v := range d.rule[i] {
		if v == 0 {
			continue
		}
		row := w[(nt+ti)*nc : (nt+ti)*nc+nc]
		for k := range z {
			z[k] += v * row[k]
		}
	}
}

// fitWeights runs the AdaGrad passes on the items in use and returns the
// internal weights, the bias and the text features' scales (ratioScales).
func (d *trainData) fitWeights(use []bool, tp TrainParams) (w, bias, sc []float64) {
	nc := len(d.classes)
	nt := len(d.names)
	nf := nt + nc // text features, then rule features (one per topic = class)
	w = make([]float64, nf*nc)
	g2 := make([]float64, nf*nc)
	grad := make([]float64, nf*nc)
	bias = make([]float64, nc)
	bg2, gb := make([]float64, nc), make([]float64, nc)
	z, p, e := make([]float64, nc), make([]float64, nc+1), make([]float64, nc)
	total := 0.0
	for i := range d.feats {
		if (use == nil || use[i]) && d.weight[i] > 0 {
			total += d.weight[i]
		}
	}
	sc = d.ratioScales(use, tp.RatioFloor, tp.RatioCap)
	for range tp.Epochs {
		clear(grad)
		clear(gb)
		for i, fs := range d.feats {
			if use != nil && !use[i] || d.weight[i] == 0 {
				continue
			}
			d.logits(i, w, bias, sc, z)
			softmaxInto(p, z)
			sw := d.weight[i] / total
			for k := range nc {
				e[k] = (p[k+1] - d.target[i][k+1]) * sw
				gb[k] += e[k]
			}
			// Row by row: each weight's gradient is summed in the same
			// order as class by class would, with contiguous access.
			for _, j := range fs {
				row, v := grad[int(j)*nc:int(j)*nc+nc], sc[j]*d.factor[i]
				for k := range row {
					row[k] += e[k] * v
				}
			}
			for ti, v := range d.rule[i] {
				if v != 0 {
					row := grad[(nt+ti)*nc : (nt+ti)*nc+nc]
					for k := range row {
						row[k] += e[k] * v
					}
				}
			}
		}
		for j := range w {
			g := grad[j] + tp.L2*w[j]
			g2[j] += g * g
			w[j] -= tp.Rate * g / (math.Sqrt(g2[j]) + 1e-8)
		}
		for k := range bias {
			bg2[k] += gb[k] * gb[k]
			bias[k] -= tp.Rate * gb[k] / (math.Sqrt(bg2[k]) + 1e-8)
		}
	}
	return w, bias, sc
}

// export makes the model of internal weights w, bias and scales sc: each
// text feature's scale is folded into its row, so the model reads the
// feature as 0/1, and rows whose largest |weight| is below keep are
// dropped (with keep above 0, a feature out of the vocabulary, scale 0,
// always is).
func (d *trainData) export(w, bias, sc []float64, keep float64) *linModel {
	nc, nt := len(d.classes), len(d.names)
	m := &linModel{classes: d.classes, bias: slices.Clone(bias), index: map[string]int32{}}
	add := func(name string, row []float64) {
		m.index[name] = int32(len(m.index))
		for _, v := range row {
			m.w = append(m.w, float32(v))
		}
	}
	row := make([]float64, nc)
	for j, name := range d.names {
		for k := range row {
			row[k] = w[j*nc+k] * sc[j]
		}
		if slices.ContainsFunc(row, func(v float64) bool { return math.Abs(v) >= keep }) {
			add(name, row)
		}
	}
	for ti, id := range d.classes {
		add(ruleFeature(id), w[(nt+ti)*nc:(nt+ti)*nc+nc])
	}
	return m
}

// ratioScales returns each text feature's training scale for a model fitted
// on the items in use (all when use is nil).
//
// A feature that fewer than minDF distinct items in use hold (headline
// copies not counted, as in prepare) gets 0: it is out of this model's
// vocabulary. prepare's vocabulary is that of all the items, so without
// this a cross-validation fold would learn a phrase that one of its
// training items shares with one held-out item, which the model trained
// on every item would only have if two of its items held it.
//
// Otherwise the scale is 1 when floor is 0, else |log(a/b)|, at least floor
// and (when above 0) at most limit, where a and b are the feature's
// smoothed rates among the relevant and the other items in use, weighed by
// the items' training weights. This is the naive-Bayes log-count ratio of
// Wang and Manning's NBSVM ("Baselines and bigrams", 2012), taken by
// absolute value since the softmax's weights have a sign of their own.
// Only the items in use count, so a cross-validation fold never sees its
// held-out items or their labels.
func (d *trainData) ratioScales(use []bool, floor, limit float64) []float64 {
	sc := make([]float64, len(d.names))
	df := make([]int, len(d.names))
	rel, other := make([]float64, len(d.names)), make([]float64, len(d.names))
	var nRel, nOther float64
	for i, fs := range d.feats {
		if use != nil && !use[i] {
			continue
		}
		if !d.titleOnly[i] {
			for _, j := range fs {
				df[j]++
			}
		}
		w := d.weight[i]
		if w == 0 {
			continue
		}
		n := other
		if d.target[i][0] == 0 { // relevant: class 0 is "not relevant"
			n = rel
			nRel += w
		} else {
			nOther += w
		}
		for _, j := range fs {
			n[j] += w
		}
	}
	for j := range sc {
		switch {
		case df[j] < d.minDF:
			sc[j] = 0
		case floor <= 0:
			sc[j] = 1
		default:
			a := (rel[j] + 1) / (nRel + 2)
			b := (other[j] + 1) / (nOther + 2)
			sc[j] = max(math.Abs(math.Log(a/b)), floor)
			if limit > 0 {
				sc[j] = min(sc[j], limit)
			}
		}
	}
	return sc
}

// CVResult is a cross-validated estimate: each item's relevance
// probability from a model that did not see it.
type CVResult struct {
	Prob []float64
}

// TrainReport says how the model was made.
type TrainReport struct {
	Items, Features int
	// Thresholds are, per case (caseNames: language, with a lead or a
	// headline alone), the cross-validated threshold on the raw model's
	// P(relevant) that reaches the target precision. The shipped model's
	// bias and shifts move each to DefaultThreshold.
	Thresholds map[string]float64
	// Scale is the fitted score scale (linModel.scale).
	Scale float64
	// Lines is the cross-validation table, one line per threshold tried.
	Lines []string
	// CV is each item's cross-validated P(relevant), in the items' order.
	CV []float64
}

// itemCase is the threshold case (caseEN …) of a training item.
func itemCase(it TrainItem) int {
	return headCase(it.Lang, it.In.Title, !it.TitleOnly)
}

// fitScale finds the scale s of score = σ(s · (logit p + shift)) that
// minimises the log loss of the cross-validated probabilities at the real
// base rate (items weighted by PopWeight), by golden-section search; shift
// is the item's case's (items with a lead only).
func fitScale(items []TrainItem, prob []float64, shift [nCases]float64) float64 {
	loss := func(s float64) float64 {
		l := 0.0
		for i, it := range items {
			if it.PopWeight == 0 || it.TitleOnly {
				continue
			}
			p := min(max(prob[i], 1e-9), 1-1e-9)
			q := 1 / (1 + math.Exp(-s*(math.Log(p/(1-p))+shift[itemCase(it)])))
			q = min(max(q, 1e-12), 1-1e-12)
			if it.Relevant {
				l -= it.PopWeight * math.Log(q)
			} else {
				l -= it.PopWeight * math.Log(1-q)
			}
		}
		return l
	}
	a, b := 0.2, 5.0
	const g = 0.6180339887
	for range 60 {
		x1, x2 := b-g*(b-a), a+g*(b-a)
		if loss(x1) < loss(x2) {
			b = x2
		} else {
			a = x1
		}
	}
	return math.Round((a+b)/2*1000) / 1000
}

// Train fits the model on items with the taxonomy's rule scores as
// features, chooses the decision thresholds by cross-validation (folds
// from TrainItem.Fold) at the real base rate (PopWeight), shifts the
// model's bias and per-case logits so that P(relevant) >= DefaultThreshold
// is the decision, and returns the model table (model.tsv) with header's
// lines as its comment.
func Train(tax *Taxonomy, items []TrainItem, tp TrainParams, header string) (string, TrainReport, error) {
	m, rep, err := train(tax, items, tp)
	if err != nil {
		return "", rep, err
	}
	return formatModel(m, header), rep, nil
}

func train(tax *Taxonomy, items []TrainItem, tp TrainParams) (*linModel, TrainReport, error) {
	if err := tp.Validate(); err != nil {
		return nil, TrainReport{}, err
	}
	c := New(tax, DefaultConfig())
	c.model = nil
	d, err := c.prepare(items, tp.MinDF, tp.LengthNorm)
	if err != nil {
		return nil, TrainReport{}, err
	}
	rep := TrainReport{Items: len(items)}
	folds := 0
	for _, it := range items {
		folds = max(folds, it.Fold+1)
	}
	prob := make([]float64, len(items))
	var wg sync.WaitGroup
	for f := range folds {
		wg.Go(func() {
			use := make([]bool, len(items))
			for i, it := range items {
				use[i] = it.Fold != f
			}
			m := d.fit(use, tp)
			for i, it := range items {
				if it.Fold == f {
					prob[i] = m.prob(d, i) // each fold writes only its own items
				}
			}
		})
	}
	wg.Wait()
	rep.CV = prob
	var th [nCases]float64
	th, rep.Lines = chooseThresholds(items, prob, tp.TargetPrecision)
	rep.Thresholds = map[string]float64{}
	for hc, t := range th {
		rep.Thresholds[caseNames[hc]] = t
	}
	m := d.fit(nil, tp)
	m.lengthNorm = tp.LengthNorm
	logit := func(p float64) float64 { return math.Log(p / (1 - p)) }
	base := -logit(th[caseEN])
	for k := range m.bias {
		m.bias[k] += base
	}
	var shift [nCases]float64 // the whole shift of each case, for the scale
	for hc, t := range th {
		m.shifts[hc] = logit(th[caseEN]) - logit(t)
		shift[hc] = -logit(t)
	}
	m.scale = fitScale(items, prob, shift)
	rep.Scale = m.scale
	rep.Features = len(m.index)
	return m, rep, nil
}

// prob is the model's P(relevant) for training item i of d (the model was
// fitted on d, so rows are looked up by name).
func (m *linModel) prob(d *trainData, i int) float64 {
	nc := len(m.classes)
	z, p := make([]float64, nc), make([]float64, nc+1)
	copy(z, m.bias)
	for _, j := range d.feats[i] {
		if r, ok := m.index[d.names[j]]; ok {
			for k, w := range m.row(r) {
				z[k] += float64(w) * d.factor[i]
			}
		}
	}
	for ti, v := range d.rule[i] {
		if r, ok := m.index[ruleFeature(d.classes[ti])]; ok && v != 0 {
			for k, w := range m.row(r) {
				z[k] += v * float64(w)
			}
		}
	}
	softmaxInto(p, z)
	return 1 - p[0]
}

// chooseThresholds returns, per case (language; with a lead or a headline
// alone, the TitleOnly copies), the lowest threshold whose cross-validated
// precision at the real base rate reaches target, with the table behind
// the choice. A case that never reaches it gets 0.95.
func chooseThresholds(items []TrainItem, prob []float64, target float64) (th [nCases]float64, lines []string) {
	type acc struct{ tp, fp, fn float64 }
	var found [nCases]bool
	for hc := range th {
		th[hc] = 0.95
	}
	for t := 0.05; t <= 0.951; t += 0.01 {
		var per [nCases]acc
		var all acc
		for i, it := range items {
			if it.PopWeight == 0 {
				continue
			}
			pred := prob[i] >= t
			hc := itemCase(it)
			for _, a := range []*acc{&per[hc], &all} {
				if a == &all && it.TitleOnly {
					continue
				}
				switch {
				case pred && it.Relevant:
					a.tp += it.PopWeight
				case pred && !it.Relevant:
					a.fp += it.PopWeight
				case !pred && it.Relevant:
					a.fn += it.PopWeight
				}
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "t=%.2f", t)
		pr := func(a acc) (float64, float64) {
			return a.tp / max(a.tp+a.fp, 1e-9), a.tp / max(a.tp+a.fn, 1e-9)
		}
		p, r := pr(all)
		fmt.Fprintf(&b, "  all P %.3f R %.3f", p, r)
		for hc, a := range per {
			if a.tp+a.fn == 0 {
				continue
			}
			p, r := pr(a)
			fmt.Fprintf(&b, "  %s P %.3f R %.3f", caseNames[hc], p, r)
			if p >= target && !found[hc] {
				th[hc], found[hc] = math.Round(t*100)/100, true
			}
		}
		lines = append(lines, b.String())
	}
	return th, lines
}

// formatModel writes the model table: header comment lines, the classes,
// the bias and one row per feature, sorted.
func formatModel(m *linModel, header string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		b.WriteString("# " + line + "\n")
	}
	b.WriteString("classes\t" + strings.Join(m.classes, "\t") + "\n")
	if m.scale != 0 && m.scale != 1 {
		b.WriteString("scale\t" + trimFloat(m.scale) + "\n")
	}
	for hc, v := range m.shifts {
		if v != 0 {
			b.WriteString("shift\t" + caseNames[hc] + "\t" + trimFloat(v) + "\n")
		}
	}
	if m.lengthNorm != [2]float64{} {
		b.WriteString("lengthnorm\t" + trimFloat(m.lengthNorm[0]) + "\t" + trimFloat(m.lengthNorm[1]) + "\n")
	}
	row := func(name string, v []float64) {
		b.WriteString(name)
		for _, x := range v {
			b.WriteString("\t" + trimFloat(x))
		}
		b.WriteByte('\n')
	}
	row("bias", m.bias)
	names := make([]string, 0, len(m.index))
	for f := range m.index {
		names = append(names, f)
	}
	slices.Sort(names)
	v := make([]float64, len(m.classes))
	for _, f := range names {
		for k, x := range m.row(m.index[f]) {
			v[k] = float64(x)
		}
		row(f, v)
	}
	return b.String()
}

func trimFloat(x float64) string {
	s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", x), "0"), ".")
	if s == "-0" || s == "" {
		s = "0"
	}
	return s
}

// TrainingFingerprint identifies what a model was trained from: the label
// file, the probe sets and the parameters. `make train` writes it into
// model.tsv's header, and a test checks the shipped model against the files
// in the repository, so a label change without retraining is caught.
func TrainingFingerprint(labels []byte, probes [][]byte, tp TrainParams, borderline, titleCopies float64) string {
	h := fnv.New64a()
	h.Write(labels)
	for _, p := range probes {
		h.Write(p)
	}
	fmt.Fprintf(h, "%+v borderline=%v title-copies=%v vocabulary=%s", tp, borderline, titleCopies, vocabularyRule)
	fmt.Fprintf(h, " sentence-titles=%d/%d/%d/%d%s", sentenceRunes, questionRunes, sentenceRunesHan, questionRunesHan, sentencePrefix)
	return fmt.Sprintf("%x", h.Sum64())
}

// The defaults of `make train` for borderline items and title-only copies
// (see classify/internal/trainmodel).
const (
	defaultBorderline  = 0.5
	defaultTitleCopies = 1
)

// DefaultBorderline and DefaultTitleCopies are exported for the training
// command's flags.
const (
	DefaultBorderline  = defaultBorderline
	DefaultTitleCopies = defaultTitleCopies
)

// maxLengthBound bounds TrainParams.LengthNorm, in training and in a
// model table alike.
const maxLengthBound = 1e4

func validLengthBound(v float64) bool { return v >= 0 && v < maxLengthBound }

// lengthFactor is the factor of the text features' part of the logits of a
// head with n text feature occurrences, under the per-language bounds n0
// (English, Chinese; see TrainParams.LengthNorm): sqrt(n0/n) when n is
// above the head's language's bound, else 1 (and always 1 for a bound of 0).
func lengthFactor(n int, n0 [2]float64, chinese bool) float64 {
	b := n0[0]
	if chinese {
		b = n0[1]
	}
	if b <= 0 || float64(n) <= b {
		return 1
	}
	return math.Sqrt(b / float64(n))
}
