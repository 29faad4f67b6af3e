package alert

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/internal/corpus"
)

// Story clustering measured on real pairs: alert/testdata/story_pairs.tsv
// holds article pairs from the statemedia headlines corpus and the classify
// full-text set, each labelled same story (1) or not (0) by reading both
// texts. This test fingerprints both sides as the daemon does (the title,
// and the lead or body as the text) and reports precision and recall of
// "same story"; a pair with a side too short for a fingerprint counts as
// not clustered. See docs/stories.md for the method and the figures.

// Floors: the figures measured on the first labelled set (docs/stories.md:
// precision 0.865, recall 0.700) minus a small margin, so a change that makes
// clustering worse fails here. The setting was tuned on this set; the
// held-out floors (TestStoryHeldOut) are the honest check.
const (
	storyEvalMinPrecision = 0.82
	storyEvalMinRecall    = 0.66
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
	dist int // -1: a side has no fingerprint
}

type storyPR struct{ tp, fp, fn, tn int }

func (c storyPR) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c storyPR) recall() float64    { return ratio(c.tp, c.tp+c.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func countPR(out []storyOutcome, maxDist int, keep func(storyPair) bool) storyPR {
	var c storyPR
	for _, o := range out {
		if !keep(o.pair) {
			continue
		}
		pred := o.dist >= 0 && o.dist <= maxDist
		switch {
		case pred && o.pair.same:
			c.tp++
		case pred:
			c.fp++
		case o.pair.same:
			c.fn++
		default:
			c.tn++
		}
	}
	return c
}

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

func TestStoryClusteringOnLabelledPairs(t *testing.T) {
	pairs, docs := loadStoryEval(t, "story_pairs.tsv")

	var out []storyOutcome
	var same, diff, noFP [2]int
	for _, p := range pairs {
		a, b := docs[p.idA], docs[p.idB]
		fa, ha := StoryFingerprint(a.title, a.text)
		fb, hb := StoryFingerprint(b.title, b.text)
		d := -1
		if ha && hb {
			d = bits.OnesCount64(fa ^ fb)
			if SameStory(fa, fb) != (d <= StoryMaxDistance) {
				t.Fatalf("SameStory disagrees with StoryMaxDistance at distance %d", d)
			}
		}
		l := 0
		if p.same {
			l = 1
			same[0]++
		} else {
			diff[0]++
		}
		if d < 0 {
			noFP[l]++
		}
		out = append(out, storyOutcome{p, d})
	}
	all := func(storyPair) bool { return true }
	monolingual := func(p storyPair) bool { return !strings.HasPrefix(p.kind, "en-zh") }
	c := countPR(out, StoryMaxDistance, all)
	t.Logf("pairs: %d (%d same story, %d different); no fingerprint (too short, counted as not clustered): %d same-story pairs, %d different",
		len(pairs), same[0], diff[0], noFP[1], noFP[0])
	t.Logf("at StoryMaxDistance=%d: TP %d FP %d FN %d TN %d; precision %.3f recall %.3f",
		StoryMaxDistance, c.tp, c.fp, c.fn, c.tn, c.precision(), c.recall())
	m := countPR(out, StoryMaxDistance, monolingual)
	t.Logf("same-language pairs only (translations left out): precision %.3f recall %.3f (TP %d FP %d FN %d)",
		m.precision(), m.recall(), m.tp, m.fp, m.fn)
	withFP := countPR(out, StoryMaxDistance, func(p storyPair) bool {
		return monolingual(p) && !noFingerprint(out, p)
	})
	t.Logf("same-language pairs where both sides have a fingerprint: precision %.3f recall %.3f (TP %d FP %d FN %d)",
		withFP.precision(), withFP.recall(), withFP.tp, withFP.fp, withFP.fn)

	t.Log("threshold  precision  recall  (all pairs)")
	for _, th := range []int{4, 6, 8, 10, 12, 14, 16, 18, 20, 22} {
		c := countPR(out, th, all)
		t.Logf("%9d  %9.3f  %6.3f  TP %d FP %d", th, c.precision(), c.recall(), c.tp, c.fp)
	}
	kinds := map[string]*storyPR{}
	var names []string
	for _, o := range out {
		k := o.pair.kind
		if kinds[k] == nil {
			kinds[k] = &storyPR{}
			names = append(names, k)
		}
		one := countPR([]storyOutcome{o}, StoryMaxDistance, all)
		kinds[k].tp += one.tp
		kinds[k].fp += one.fp
		kinds[k].fn += one.fn
		kinds[k].tn += one.tn
	}
	sort.Strings(names)
	for _, k := range names {
		c := kinds[k]
		t.Logf("proposed as %-34s same-story pairs clustered %d/%d; different-story pairs clustered %d/%d",
			k, c.tp, c.tp+c.fn, c.fp, c.fp+c.tn)
	}
	for _, l := range []bool{true, false} {
		var ds []string
		hist := map[int]int{}
		for _, o := range out {
			if o.pair.same == l && o.dist >= 0 {
				hist[o.dist/4*4]++
			}
		}
		keys := make([]int, 0, len(hist))
		for k := range hist {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		for _, k := range keys {
			ds = append(ds, fmt.Sprintf("%d-%d:%d", k, k+3, hist[k]))
		}
		t.Logf("distance distribution, same story=%v: %s", l, strings.Join(ds, " "))
	}
	for _, o := range out {
		pred := o.dist >= 0 && o.dist <= StoryMaxDistance
		if pred != o.pair.same && o.dist >= 0 {
			t.Logf("wrong at distance %d: %s %s / %s %s (%s) label %v: %s",
				o.dist, o.pair.srcA, o.pair.idA, o.pair.srcB, o.pair.idB, o.pair.kind, o.pair.same, o.pair.reason)
		}
	}
	if len(pairs) < 200 || same[0] < 80 {
		t.Errorf("labelled set too small: %d pairs, %d same story (want ≥ 200 and ≥ 80)", len(pairs), same[0])
	}
	if p := c.precision(); p < storyEvalMinPrecision {
		t.Errorf("precision %.3f below the floor %.2f", p, storyEvalMinPrecision)
	}
	if r := c.recall(); r < storyEvalMinRecall {
		t.Errorf("recall %.3f below the floor %.2f", r, storyEvalMinRecall)
	}
}

func noFingerprint(out []storyOutcome, p storyPair) bool {
	for _, o := range out {
		if o.pair.idA == p.idA && o.pair.idB == p.idB {
			return o.dist < 0
		}
	}
	return false
}

// TestStoryTuning sweeps the fingerprint's settings on the FIRST labelled
// set only (story_pairs.tsv, all pairs): the text window, the threshold,
// the title-only rule and the weight of numbers. The shipped setting was
// picked from this output; the held-out set (TestStoryHeldOut) was never
// used to choose it. It first checks that the sweep's fingerprint at the
// shipped settings is the daemon's.
func TestStoryTuning(t *testing.T) {
	pairs, docs := loadStoryEval(t, "story_pairs.tsv")
	for id, d := range docs {
		a, okA := StoryFingerprint(d.title, d.text)
		b, okB := storyFingerprintWith(d.title, d.text, storyShipped)
		if a != b || okA != okB {
			t.Fatalf("%s: sweep fingerprint differs from StoryFingerprint", id)
		}
	}
	type row struct {
		p  storyParams
		th int
		c  storyPR
		f1 float64
	}
	var rows []row
	for _, runes := range []int{100, 150, 200, 250, 300, 400, 600} {
		for _, tom := range []int{0, 15, 20, 25, 30} {
			for _, v := range []struct {
				nw           int
				title, strip bool
			}{{0, false, false}, {0, false, true}, {2, false, false}, {4, false, false}, {4, false, true}, {2, true, true}, {4, true, false}, {4, true, true}, {8, true, true}} {
				p := storyParams{textRunes: runes, minShingles: storyMinShingles, titleOnlyMin: tom,
					numberWeight: v.nw, titleNumbers: v.title, stripDateline: v.strip}
				out := storyOutcomes(pairs, docs, p)
				for th := 6; th <= 20; th++ {
					c := countPR(out, th, func(storyPair) bool { return true })
					pr, rc := c.precision(), c.recall()
					f1 := 0.0
					if pr+rc > 0 {
						f1 = 2 * pr * rc / (pr + rc)
					}
					rows = append(rows, row{p, th, c, f1})
				}
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].f1 > rows[j].f1 })
	for i, r := range rows {
		if i >= 40 {
			break
		}
		t.Logf("runes %3d title-only min %2d number weight %d (title only %-5v) strip dateline %-5v max distance %2d: precision %.3f recall %.3f F1 %.3f (TP %d FP %d)",
			r.p.textRunes, r.p.titleOnlyMin, r.p.numberWeight, r.p.titleNumbers, r.p.stripDateline, r.th, r.c.precision(), r.c.recall(), r.f1, r.c.tp, r.c.fp)
	}
}

// storyOutcomes fingerprints both sides of every pair with p.
func storyOutcomes(pairs []storyPair, docs map[string]storyDoc, p storyParams) []storyOutcome {
	var out []storyOutcome
	for _, pr := range pairs {
		a, b := docs[pr.idA], docs[pr.idB]
		fa, okA := storyFingerprintWith(a.title, a.text, p)
		fb, okB := storyFingerprintWith(b.title, b.text, p)
		d := -1
		if okA && okB {
			d = bits.OnesCount64(fa ^ fb)
		}
		out = append(out, storyOutcome{pr, d})
	}
	return out
}

// Floors on the held-out set: its figures at the shipped setting
// (docs/stories.md) minus a margin of about two pairs, so a change that makes clustering
// worse on pairs it was not tuned on fails here.
const (
	storyHeldOutMinPrecision = 0.65 // measured 0.722 (26 of 36 merges right)
	storyHeldOutMinRecall    = 0.65 // measured 0.722 (26 of 36 same-story pairs)
)

// TestStoryHeldOut measures the shipped fingerprint on the held-out pairs
// (story_pairs_heldout.tsv): a second set drawn with another seed,
// excluding the first set's pairs, labelled by reading before any
// fingerprint was computed on it, and never used to choose a setting. Its
// figures are the honest ones; the first set's are optimistic.
func TestStoryHeldOut(t *testing.T) {
	pairs, docs := loadStoryEval(t, "story_pairs_heldout.tsv")
	out := storyOutcomes(pairs, docs, storyShipped)
	c := countPR(out, StoryMaxDistance, func(storyPair) bool { return true })
	var same, noFP int
	for _, o := range out {
		if o.pair.same {
			same++
		}
		if o.dist < 0 {
			noFP++
		}
	}
	t.Logf("held-out pairs: %d (%d same story); %d pairs with a side too short for a fingerprint", len(pairs), same, noFP)
	t.Logf("at StoryMaxDistance=%d, %d text runes: TP %d FP %d FN %d TN %d; precision %.3f recall %.3f",
		StoryMaxDistance, StoryTextRunes, c.tp, c.fp, c.fn, c.tn, c.precision(), c.recall())
	for _, o := range out {
		pred := o.dist >= 0 && o.dist <= StoryMaxDistance
		if pred != o.pair.same {
			t.Logf("wrong at distance %d: %s %s / %s %s (%s) label %v: %s",
				o.dist, o.pair.srcA, o.pair.idA, o.pair.srcB, o.pair.idB, o.pair.kind, o.pair.same, o.pair.reason)
		}
	}
	if len(pairs) < 150 {
		t.Errorf("held-out set too small: %d pairs (want ≥ 150)", len(pairs))
	}
	if p := c.precision(); p < storyHeldOutMinPrecision {
		t.Errorf("held-out precision %.3f below the floor %.2f", p, storyHeldOutMinPrecision)
	}
	if r := c.recall(); r < storyHeldOutMinRecall {
		t.Errorf("held-out recall %.3f below the floor %.2f", r, storyHeldOutMinRecall)
	}
}
