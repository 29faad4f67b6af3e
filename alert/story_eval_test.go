package alert

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/internal/corpus"
)

// Story clustering measured on real pairs: the files in testdata hold
// article pairs from the statemedia headlines corpus and the classify
// full-text set, each labelled same story (1) or not (0) by reading both
// texts. These tests match both sides as the daemon does (the title, the
// lead or body as the text, the outlet): a candidate when the fingerprints
// differ in at most StoryCandidateDistance bits, then the text check
// SameStoryText. A pair with a side too short for a fingerprint counts as
// not clustered. See docs/stories.md for the method and the figures.
//
// story_pairs.tsv, story_pairs_heldout.tsv and story_pairs_heldout2.tsv
// are DEVELOPMENT sets: the check was designed by reading their errors
// and its setting was swept on all three (TestStoryMatchTuning), so their
// figures are optimistic (heldout2 was held out for the previous setting,
// measured once then: 0.894 / 0.894). The honest figure is that of
// story_pairs_heldout3.tsv (TestStoryHeldOut3), labelled by an independent
// annotator and measured once, after the setting was frozen (commit
// 5eec14f).

// Floors on the development sets: their figures (docs/stories.md) minus a
// margin of two or three pairs, so a change that makes clustering worse
// fails here.
const (
	storyEvalMinPrecision = 0.91 // measured 0.947 (90 of 95 merges right)
	storyEvalMinRecall    = 0.79 // measured 0.818 of all pairs; 0.957 of same-language pairs
	storyDev2MinPrecision = 0.91 // measured 0.972 (35 of 36)
	storyDev2MinRecall    = 0.91 // measured 0.972 (35 of 36)
)

type storyPair struct {
	idA, srcA, idB, srcB, kind string
	same                       bool
	reason                     string
}

type storyDoc struct{ title, text, outlet, date string }

func readStoryPairs(t *testing.T, name string) []storyPair {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("open pairs: %v", err)
	}
	defer f.Close()
	var out []storyPair
	sc := bufio.NewScanner(f)
	header := true
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 7 || (c[5] != "0" && c[5] != "1") {
			t.Fatalf("%s line %d: want 7 tab-separated fields with label 0 or 1, got %q", name, n, line)
		}
		out = append(out, storyPair{c[0], c[1], c[2], c[3], c[4], c[5] == "1", c[6]})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read pairs: %v", err)
	}
	return out
}

// loadStoryDocs reads the records the pairs name from a JSON-lines file:
// the title, and the body (full text) or lead (headlines) as the text.
func loadStoryDocs(t *testing.T, path string, gz bool, want map[string]bool, into map[string]storyDoc) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		g, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("gunzip %s: %v", path, err)
		}
		r = g
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var rec struct{ ID, Title, Lead, Body, Outlet, Date string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !want[rec.ID] {
			continue
		}
		text := rec.Body
		if text == "" {
			text = rec.Lead
		}
		into[rec.ID] = storyDoc{rec.Title, text, rec.Outlet, rec.Date}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
}

type storyOutcome struct {
	pair storyPair
	dist int  // fingerprint distance; -1: a side has no fingerprint
	same bool // the daemon would put the two in one story
}

type storyPR struct{ tp, fp, fn, tn int }

func (c storyPR) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c storyPR) recall() float64    { return ratio(c.tp, c.tp+c.fn) }
func (c storyPR) f1() float64 {
	p, r := c.precision(), c.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func (c *storyPR) add(pred, label bool) {
	switch {
	case pred && label:
		c.tp++
	case pred:
		c.fp++
	case label:
		c.fn++
	default:
		c.tn++
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func countPR(out []storyOutcome, keep func(storyPair) bool) storyPR {
	var c storyPR
	for _, o := range out {
		if keep(o.pair) {
			c.add(o.same, o.pair.same)
		}
	}
	return c
}

func monolingual(p storyPair) bool { return !strings.HasPrefix(p.kind, "en-zh") }

// loadStoryEval reads the labelled pairs and the texts they name, or skips
// when the shared corpora are absent.
func loadStoryEval(t *testing.T, name string) ([]storyPair, map[string]storyDoc) {
	t.Helper()
	dir := corpus.Dir(t, "statemedia")
	pairs := readStoryPairs(t, name)
	want := map[string]bool{}
	for _, p := range pairs {
		want[p.idA], want[p.idB] = true, true
	}
	docs := map[string]storyDoc{}
	loadStoryDocs(t, filepath.Join(dir, "headlines.jsonl.gz"), true, want, docs)
	loadStoryDocs(t, filepath.Join("..", "classify", "testdata", "labels", "fulltext.jsonl"), false, want, docs)
	for _, p := range pairs {
		for _, id := range []string{p.idA, p.idB} {
			if _, ok := docs[id]; !ok {
				t.Fatalf("pair %s/%s: record %s missing from the corpora", p.idA, p.idB, id)
			}
		}
	}
	return pairs, docs
}

// storyOutcomes matches every pair as the daemon does: the fingerprint
// proposes (StoryCandidateDistance), the text check decides.
func storyOutcomes(pairs []storyPair, docs map[string]storyDoc) []storyOutcome {
	var out []storyOutcome
	for _, pr := range pairs {
		a, b := docs[pr.idA], docs[pr.idB]
		fa, okA := StoryFingerprint(a.title, a.text)
		fb, okB := StoryFingerprint(b.title, b.text)
		o := storyOutcome{pair: pr, dist: -1}
		if okA && okB {
			o.dist = bits.OnesCount64(fa ^ fb)
			sa := NewStorySketch(StoryDoc{a.title, a.text, a.outlet})
			sb := NewStorySketch(StoryDoc{b.title, b.text, b.outlet})
			o.same = o.dist <= StoryCandidateDistance && SameStoryText(&sa, &sb)
		}
		out = append(out, o)
	}
	return out
}

// reportStoryOutcomes logs the figures, the counts by proposing bucket
// and every wrong pair, and returns the figures on all pairs.
func reportStoryOutcomes(t *testing.T, name string, out []storyOutcome) storyPR {
	t.Helper()
	all := func(storyPair) bool { return true }
	c := countPR(out, all)
	var same, noFP int
	for _, o := range out {
		if o.pair.same {
			same++
		}
		if o.dist < 0 {
			noFP++
		}
	}
	t.Logf("%s: %d pairs (%d same story); %d pairs with a side too short for a fingerprint (counted as not clustered)", name, len(out), same, noFP)
	t.Logf("all pairs: precision %.3f recall %.3f (TP %d FP %d FN %d TN %d)", c.precision(), c.recall(), c.tp, c.fp, c.fn, c.tn)
	m := countPR(out, monolingual)
	t.Logf("same-language pairs (translations left out): precision %.3f recall %.3f (TP %d FP %d FN %d)", m.precision(), m.recall(), m.tp, m.fp, m.fn)
	kinds := map[string]*storyPR{}
	var names []string
	for _, o := range out {
		k := o.pair.kind
		if kinds[k] == nil {
			kinds[k] = &storyPR{}
			names = append(names, k)
		}
		kinds[k].add(o.same, o.pair.same)
	}
	sort.Strings(names)
	for _, k := range names {
		c := kinds[k]
		t.Logf("proposed as %-34s same-story pairs clustered %d/%d; different-story pairs clustered %d/%d", k, c.tp, c.tp+c.fn, c.fp, c.fp+c.tn)
	}
	for _, o := range out {
		if o.same != o.pair.same {
			t.Logf("wrong (fingerprint distance %d): %s %s / %s %s (%s) label %v: %s",
				o.dist, o.pair.srcA, o.pair.idA, o.pair.srcB, o.pair.idB, o.pair.kind, o.pair.same, o.pair.reason)
		}
	}
	return c
}

// TestStoryClusteringOnLabelledPairs measures the daemon's matching on the
// first development set (321 pairs, 16 of them en/zh translations).
func TestStoryClusteringOnLabelledPairs(t *testing.T) {
	pairs, docs := loadStoryEval(t, "story_pairs.tsv")
	c := reportStoryOutcomes(t, "first development set", storyOutcomes(pairs, docs))
	if len(pairs) < 200 || c.tp+c.fn < 80 {
		t.Errorf("labelled set too small: %d pairs, %d same story (want ≥ 200 and ≥ 80)", len(pairs), c.tp+c.fn)
	}
	if p := c.precision(); p < storyEvalMinPrecision {
		t.Errorf("precision %.3f below the floor %.2f", p, storyEvalMinPrecision)
	}
	if r := c.recall(); r < storyEvalMinRecall {
		t.Errorf("recall %.3f below the floor %.2f", r, storyEvalMinRecall)
	}
}

// TestStoryHeldOut measures the daemon's matching on the second set
// (158 pairs). It was held out when the SimHash-only setting was chosen;
// the two-step check was designed and swept with it, so it is now a
// development set and its figures are optimistic.
func TestStoryHeldOut(t *testing.T) {
	pairs, docs := loadStoryEval(t, "story_pairs_heldout.tsv")
	c := reportStoryOutcomes(t, "second development set", storyOutcomes(pairs, docs))
	if len(pairs) < 150 {
		t.Errorf("set too small: %d pairs (want ≥ 150)", len(pairs))
	}
	if p := c.precision(); p < storyDev2MinPrecision {
		t.Errorf("precision %.3f below the floor %.2f", p, storyDev2MinPrecision)
	}
	if r := c.recall(); r < storyDev2MinRecall {
		t.Errorf("recall %.3f below the floor %.2f", r, storyDev2MinRecall)
	}
}

// TestStoryMatchTuning sweeps the check's setting on the three development
// sets (same-language pairs: translations are out of reach of any setting) and
// estimates, by 5-fold cross-validation, what tuning on such pairs gives
// on pairs it did not see. It lists the best settings by F1, the best F1
// reachable with each value of each parameter, and the shipped setting
// with each rule turned off. The shipped setting was picked from this
// output; the independent held-out set (TestStoryHeldOut3) was not read.
func TestStoryMatchTuning(t *testing.T) {
	type item struct {
		pair storyPair
		dist int
		f    map[int]storyFeatures // by text window
	}
	runes := []int{150}
	var items []item
	for _, name := range []string{"story_pairs.tsv", "story_pairs_heldout.tsv", "story_pairs_heldout2.tsv"} {
		pairs, docs := loadStoryEval(t, name)
		for _, pr := range pairs {
			if !monolingual(pr) {
				continue
			}
			a, b := docs[pr.idA], docs[pr.idB]
			fa, okA := StoryFingerprint(a.title, a.text)
			fb, okB := StoryFingerprint(b.title, b.text)
			it := item{pair: pr, dist: -1, f: map[int]storyFeatures{}}
			if okA && okB {
				it.dist = bits.OnesCount64(fa ^ fb)
			}
			for _, r := range runes {
				p := storyMatchShipped
				p.textRunes = r
				sa := newStorySketch(StoryDoc{a.title, a.text, a.outlet}, p)
				sb := newStorySketch(StoryDoc{b.title, b.text, b.outlet}, p)
				it.f[r] = storyFeaturesOf(&sa, &sb, p.numbersWindow)
				if r == storyMatchShipped.textRunes && it.f[r].decide(p) != SameStoryText(&sa, &sb) {
					t.Fatalf("%s/%s: the sweep's decision differs from SameStoryText", pr.idA, pr.idB)
				}
			}
			items = append(items, it)
		}
	}
	type setting struct {
		p    storyMatchParams
		cand int
	}
	eval := func(s setting, idx []int) storyPR {
		var c storyPR
		for _, i := range idx {
			it := items[i]
			c.add(it.dist >= 0 && it.dist <= s.cand && it.f[s.p.textRunes].decide(s.p), it.pair.same)
		}
		return c
	}
	var settings []setting
	for _, r := range runes {
		for _, mc := range []float64{0.6, 0.7, 0.8} {
			for _, mt := range []float64{0.5, 0.6} {
				for _, to := range []float64{0.8, 0.85} {
					for _, ts := range []float64{0.7, 0.8, 0.9} {
						for _, ba := range []float64{0, 0.75, 0.8} {
							for _, fu := range []int{0, 8} {
								for _, wt := range []float64{0, 0.8, 0.85, 0.9} {
									for _, wx := range []float64{0.6, 0.7} {
										for _, cand := range []int{20, 24, 28} {
											p := storyMatchShipped
											p.textRunes, p.minContain, p.minTextOnly, p.titleOnlyMin, p.minTitleSame = r, mc, mt, to, ts
											p.bareInAllMin, p.followUpMin, p.wordTitleMin, p.wordTextMin = ba, fu, wt, wx
											settings = append(settings, setting{p, cand})
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	everything := make([]int, len(items))
	for i := range everything {
		everything[i] = i
	}
	res := make([]storyPR, len(settings))
	order := make([]int, len(settings))
	for i, s := range settings {
		res[i] = eval(s, everything)
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return res[order[i]].f1() > res[order[j]].f1() })
	describe := func(s setting) string {
		return fmt.Sprintf("window %d, containment %.2f, text-only %.2f, bare title %.2f, same-outlet title %.2f, bare title in the other's text %.2f, follow-up title %d, same-outlet title words %.2f, text words %.2f, candidate distance %d",
			s.p.textRunes, s.p.minContain, s.p.minTextOnly, s.p.titleOnlyMin, s.p.minTitleSame, s.p.bareInAllMin, s.p.followUpMin, s.p.wordTitleMin, s.p.wordTextMin, s.cand)
	}
	t.Logf("%d same-language development pairs, %d settings", len(items), len(settings))
	for _, i := range order[:15] {
		c := res[i]
		t.Logf("F1 %.3f precision %.3f recall %.3f (TP %d FP %d FN %d): %s", c.f1(), c.precision(), c.recall(), c.tp, c.fp, c.fn, describe(settings[i]))
	}
	params := []struct {
		name string
		get  func(setting) float64
	}{
		{"window", func(s setting) float64 { return float64(s.p.textRunes) }},
		{"containment", func(s setting) float64 { return s.p.minContain }},
		{"text-only containment", func(s setting) float64 { return s.p.minTextOnly }},
		{"bare-title containment", func(s setting) float64 { return s.p.titleOnlyMin }},
		{"same-outlet title containment", func(s setting) float64 { return s.p.minTitleSame }},
		{"bare title in the other's text", func(s setting) float64 { return s.p.bareInAllMin }},
		{"follow-up title shingles", func(s setting) float64 { return float64(s.p.followUpMin) }},
		{"same-outlet title words", func(s setting) float64 { return s.p.wordTitleMin }},
		{"same-outlet text words", func(s setting) float64 { return s.p.wordTextMin }},
		{"candidate distance", func(s setting) float64 { return float64(s.cand) }},
	}
	for _, pm := range params {
		best := map[float64]int{}
		var vals []float64
		for i, s := range settings {
			v := pm.get(s)
			j, ok := best[v]
			if !ok {
				vals = append(vals, v)
			}
			if !ok || res[i].f1() > res[j].f1() {
				best[v] = i
			}
		}
		sort.Float64s(vals)
		var parts []string
		for _, v := range vals {
			c := res[best[v]]
			parts = append(parts, fmt.Sprintf("%g: F1 %.3f (P %.3f R %.3f)", v, c.f1(), c.precision(), c.recall()))
		}
		t.Logf("best by %s — %s", pm.name, strings.Join(parts, "; "))
	}
	shipped := setting{storyMatchShipped, StoryCandidateDistance}
	c := eval(shipped, everything)
	t.Logf("shipped: F1 %.3f precision %.3f recall %.3f (TP %d FP %d FN %d): %s", c.f1(), c.precision(), c.recall(), c.tp, c.fp, c.fn, describe(shipped))
	for _, off := range []struct {
		name string
		set  func(*storyMatchParams)
	}{
		{"figures rule", func(p *storyMatchParams) { p.numberRule = false }},
		{"days rule", func(p *storyMatchParams) { p.dateRule = false }},
		{"round-up rule", func(p *storyMatchParams) { p.roundupRule = false }},
		{"same-outlet title rule", func(p *storyMatchParams) { p.sameOutletQA = false }},
		{"template-title rule", func(p *storyMatchParams) { p.templateRule = false }},
		{"follow-up rule", func(p *storyMatchParams) { p.followUpMin = 0 }},
		{"bare title in the other's text", func(p *storyMatchParams) { p.bareInAllMin = 0 }},
		{"same-outlet word rule", func(p *storyMatchParams) { p.wordTitleMin = 0 }},
	} {
		s := shipped
		off.set(&s.p)
		c := eval(s, everything)
		t.Logf("shipped without the %s: F1 %.3f precision %.3f recall %.3f (TP %d FP %d FN %d)", off.name, c.f1(), c.precision(), c.recall(), c.tp, c.fp, c.fn)
	}
	// The fingerprint alone, at the previous setting (11 bits), on the same pairs.
	var old storyPR
	for _, it := range items {
		old.add(it.dist >= 0 && it.dist <= storyFingerprintOnlyDistance, it.pair.same)
	}
	t.Logf("fingerprint alone (%d bits): F1 %.3f precision %.3f recall %.3f (TP %d FP %d FN %d)", storyFingerprintOnlyDistance, old.f1(), old.precision(), old.recall(), old.tp, old.fp, old.fn)

	// Cross-validation: tune on four fifths, measure on the fifth.
	var cv storyPR
	for rep := range 4 {
		perm := rand.New(rand.NewPCG(uint64(rep), 14)).Perm(len(items))
		for k := range 5 {
			var train, test []int
			for j, i := range perm {
				if j%5 == k {
					test = append(test, i)
				} else {
					train = append(train, i)
				}
			}
			bi, best := 0, -1.0
			for i, s := range settings {
				if f := eval(s, train).f1(); f > best {
					bi, best = i, f
				}
			}
			r := eval(settings[bi], test)
			cv.tp, cv.fp, cv.fn, cv.tn = cv.tp+r.tp, cv.fp+r.fp, cv.fn+r.fn, cv.tn+r.tn
		}
	}
	t.Logf("5-fold cross-validation (4 shuffles), tuned on 4/5 and measured on the other 1/5: F1 %.3f precision %.3f recall %.3f", cv.f1(), cv.precision(), cv.recall())
}

// TestStoryCandidateLoad counts how many candidates the fingerprint step
// leaves the check on real items: for 1,000 random items of the headlines
// corpus, the other items of the same language published within three
// days, and those within 20, 24 (shipped) and 28 bits. The check's cost
// per candidate is BenchmarkStoryCandidateCheck.
func TestStoryCandidateLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("reads and fingerprints the whole headlines corpus (about 10 s); skipped in -short mode")
	}
	dir := corpus.Dir(t, "statemedia")
	f, err := os.Open(filepath.Join(dir, "headlines.jsonl.gz"))
	if err != nil {
		t.Fatalf("open headlines: %v", err)
	}
	defer f.Close()
	g, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("gunzip headlines: %v", err)
	}
	type item struct {
		lang string
		day  int64
		fp   uint64
	}
	var items []item
	byDay := map[int64][]int{}
	sc := bufio.NewScanner(g)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct{ Outlet, Lang, Date, Title, Lead string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("headlines: %v", err)
		}
		day, err := time.Parse("2006-01-02", r.Date)
		fp, ok := StoryFingerprint(r.Title, r.Lead)
		if err != nil || !ok || strings.HasPrefix(r.Outlet, "non-state") {
			continue
		}
		d := day.Unix() / 86400
		byDay[d] = append(byDay[d], len(items))
		items = append(items, item{r.Lang, d, fp})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read headlines: %v", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var window, c20, c24, c28 int
	const n = 1000
	for range n {
		i := rng.IntN(len(items))
		a := items[i]
		for d := a.day - 3; d <= a.day+3; d++ {
			for _, j := range byDay[d] {
				if j == i || items[j].lang != a.lang {
					continue
				}
				window++
				switch k := bits.OnesCount64(a.fp ^ items[j].fp); {
				case k <= 20:
					c20++
					fallthrough
				case k <= 24:
					c24++
					fallthrough
				case k <= 28:
					c28++
				}
			}
		}
	}
	per := func(c int) float64 { return float64(c) / n }
	t.Logf("%d items with a fingerprint; per item: %.1f of the same language within three days; candidates within 20 bits %.1f (%.1f%%), 24 bits %.1f (%.1f%%), 28 bits %.1f (%.1f%%)",
		len(items), per(window), per(c20), 100*float64(c20)/float64(window), per(c24), 100*float64(c24)/float64(window), per(c28), 100*float64(c28)/float64(window))
	if c24 == 0 || c24*5 > window {
		t.Errorf("24-bit candidates are %d of %d same-language items in the window: the fingerprint step should keep some and drop most", c24, window)
	}
}

// Floors on the third development set: its figures with the current
// setting (docs/stories.md), minus a margin of about two pairs. Its first
// measurement, as the held-out set of the previous setting, was 0.894 /
// 0.894.
const (
	storyHeldOut2MinPrecision = 0.89 // measured 0.938 (45 of 48 merges right)
	storyHeldOut2MinRecall    = 0.91 // measured 0.957 (45 of 47 same-story pairs)
)

// TestStoryHeldOut2 measures the daemon's matching on
// story_pairs_heldout2.tsv: drawn with another seed, excluding the first
// two sets, labelled by reading by an annotator who did not build the
// check. It was the held-out set of the previous setting (measured once
// after commit 1ed0d28: 0.894 / 0.894); the current check was designed and
// swept with it, so it is now a development set and its figures are
// optimistic.
func TestStoryHeldOut2(t *testing.T) {
	checkStorySet(t, "story_pairs_heldout2.tsv", "third development set (heldout2)", 150, storyHeldOut2MinPrecision, storyHeldOut2MinRecall)
}

// checkStorySet measures the daemon's matching on one labelled pair file,
// logs the previous rule (fingerprint alone, 11 bits, at least 8
// shingles) on the same pairs for comparison, and holds the figures to
// their floors.
func checkStorySet(t *testing.T, file, name string, minPairs int, minP, minR float64) {
	t.Helper()
	pairs, docs := loadStoryEval(t, file)
	c := reportStoryOutcomes(t, name, storyOutcomes(pairs, docs))
	var old storyPR
	prev := storyParams{textRunes: StoryTextRunes, minShingles: 8, stripDateline: true}
	for _, pr := range pairs {
		a, b := docs[pr.idA], docs[pr.idB]
		fa, okA := storyFingerprintWith(a.title, a.text, prev)
		fb, okB := storyFingerprintWith(b.title, b.text, prev)
		old.add(okA && okB && bits.OnesCount64(fa^fb) <= storyFingerprintOnlyDistance, pr.same)
	}
	t.Logf("previous rule (fingerprint alone, %d bits): precision %.3f recall %.3f (TP %d FP %d FN %d)", storyFingerprintOnlyDistance, old.precision(), old.recall(), old.tp, old.fp, old.fn)
	if len(pairs) < minPairs {
		t.Errorf("%s too small: %d pairs (want ≥ %d)", file, len(pairs), minPairs)
	}
	if p := c.precision(); p < minP {
		t.Errorf("%s: precision %.3f below the floor %.2f", file, p, minP)
	}
	if r := c.recall(); r < minR {
		t.Errorf("%s: recall %.3f below the floor %.2f", file, r, minR)
	}
}

// Floors on the third held-out set: its figures, measured once with the
// setting frozen in commit 5eec14f (docs/stories.md), minus a margin of
// about two pairs.
const (
	storyHeldOut3MinPrecision = 0.90 // measured 0.953 (41 of 43 merges right)
	storyHeldOut3MinRecall    = 0.90 // measured 0.953 (41 of 43 same-story pairs)
)

// TestStoryHeldOut3 measures the daemon's matching on the third
// independent held-out set (story_pairs_heldout3.tsv): drawn with another
// seed, excluding the three development sets, labelled by reading by an
// annotator who did not build the check, and measured once after the
// check's algorithm and setting were frozen and committed. Its figures are
// the honest ones.
func TestStoryHeldOut3(t *testing.T) {
	checkStorySet(t, "story_pairs_heldout3.tsv", "third independent held-out set", 200, storyHeldOut3MinPrecision, storyHeldOut3MinRecall)
}
