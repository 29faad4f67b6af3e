package extract

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/internal/corpus"
	prfpkg "github.com/wirewatch/wirewatch/internal/prf"
)

// evalPage is one entry of extraction-dev/evaldata.json.
type evalPage struct {
	URL     string
	File    string   `json:"file"`
	With    []string `json:"with"`
	Without []string `json:"without"`
}

// loadEvalRules is loadEval with the default site rules.
func loadEvalRules(t testing.TB) (string, []evalPage, *Rules) {
	t.Helper()
	dir, pages := loadEval(t)
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	return dir, pages, rules
}

// evalDoc is an extraction-dev page, decoded.
type evalDoc struct {
	evalPage
	page []byte
}

// loadEvalDocs reads and decodes the extraction-dev pages that are there;
// the test stops at a page that does not decode.
func loadEvalDocs(t testing.TB) ([]evalDoc, *Rules) {
	t.Helper()
	dir, pages, rules := loadEvalRules(t)
	var docs []evalDoc
	for _, p := range pages {
		raw, err := os.ReadFile(filepath.Join(dir, p.File))
		if err != nil {
			continue
		}
		page, _, err := charset.DecodeHTML(raw, "")
		if err != nil {
			t.Fatalf("%s: %v", p.File, err)
		}
		docs = append(docs, evalDoc{p, page})
	}
	return docs, rules
}

func loadEval(t testing.TB) (string, []evalPage) {
	dir := corpus.Dir(t, "extraction-dev")
	data, err := os.ReadFile(filepath.Join(dir, "evaldata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]evalPage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	pages := make([]evalPage, 0, len(m))
	for u, p := range m {
		p.URL = u
		pages = append(pages, p)
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].URL < pages[j].URL })
	return filepath.Join(dir, "html"), pages
}

// squash normalises whitespace so snippets match across line breaks.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

type score struct{ tp, fn, fp int }

func (s score) prf() (p, r, f float64) { return prfpkg.Scores(s.tp, s.fp, s.fn) }

func (s score) String() string {
	p, r, f := s.prf()
	return fmt.Sprintf("P=%.4f R=%.4f F1=%.4f (tp=%d fn=%d fp=%d)", p, r, f, s.tp, s.fn, s.fp)
}

// evaluate scores one extraction mode on extraction-dev with the corpus's
// snippet metric: a "with" snippet in the text is a true positive, a
// missing one a false negative, a "without" snippet present a false positive.
func evaluate(t testing.TB, mode GenericMode, rules *Rules, verbose bool) (score, time.Duration, int) {
	dir, pages := loadEval(t)
	var sc score
	var total time.Duration
	n := 0
	for _, p := range pages {
		raw, err := os.ReadFile(filepath.Join(dir, p.File))
		if err != nil {
			continue
		}
		start := time.Now()
		page, _, err := charset.DecodeHTML(raw, "")
		if err != nil {
			t.Errorf("%s: %v", p.File, err)
			continue
		}
		ex, _ := extract(page, p.URL, rules, mode, time.Now())
		total += time.Since(start)
		n++
		ps := snippetScore(p, ex.Text)
		if verbose && (ps.fn > 0 || ps.fp > 0) {
			t.Logf("%s [%s] %s", p.File, ex.Method, ps)
		}
		sc.tp += ps.tp
		sc.fn += ps.fn
		sc.fp += ps.fp
	}
	return sc, total, n
}

// devFloor is the F1 measured with the default mode minus 0.005; the test
// fails when a change makes extraction worse than that.
const devFloor = 0.910

func TestExtractionDev(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	sc, dur, n := evaluate(t, ModeDefault, rules, os.Getenv("WIREWATCH_EVAL_VERBOSE") != "")
	_, _, f := sc.prf()
	t.Logf("extraction-dev, %d pages: %s, %.1f ms/page", n, sc, float64(dur.Microseconds())/1000/float64(max(n, 1)))
	if f < devFloor {
		t.Errorf("F1 %.4f below the floor %.4f", f, devFloor)
	}
}

// TestExtractionDevModes compares the generic extraction modes; it is slow
// and runs only with WIREWATCH_EVAL_MODES=1.
func TestExtractionDevModes(t *testing.T) {
	if os.Getenv("WIREWATCH_EVAL_MODES") == "" {
		t.Skip("set WIREWATCH_EVAL_MODES=1 to compare the generic extraction modes")
	}
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		name string
		mode GenericMode
	}{
		{"trafilatura", ModeTrafilatura},
		{"trafilatura-recall", ModeTrafilaturaRecall},
		{"trafilatura-precision", ModeTrafilaturaPrecision},
		{"trafilatura-fallback (guarded)", ModeTrafilaturaFallback},
		{"trafilatura-fallback-unguarded", ModeTrafilaturaFallbackUnguarded},
		{"readability", ModeReadability},
		{"trafilatura-then-readability", ModeTrafilaturaThenReadability},
		{"trafilatura-fallback-recall", ModeTrafilaturaFallbackRecall},
		{"trafilatura-fallback-precision", ModeTrafilaturaFallbackPrecision},
	} {
		sc, dur, n := evaluate(t, m.mode, rules, false)
		t.Logf("%-30s %s %.1f ms/page", m.name, sc, float64(dur.Microseconds())/1000/float64(max(n, 1)))
	}
}
