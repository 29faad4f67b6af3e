package extract

import (
	"bytes"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/wirewatch/wirewatch/fetch/charset"
)

// snippetScore scores text against one extraction-dev page's snippets.
func snippetScore(p evalPage, text string) score {
	text = squash(text)
	var s score
	for _, w := range p.With {
		if strings.Contains(text, squash(w)) {
			s.tp++
		} else {
			s.fn++
		}
	}
	for _, w := range p.Without {
		if strings.Contains(text, squash(w)) {
			s.fp++
		}
	}
	return s
}

// TestFastGateQuality compares, on extraction-dev, the pipeline with the
// fast density extractor and its gate against the heavy extractor alone:
// the F1 with the gate may not be lower than without it. It logs how many
// pages the gate let through and, with WIREWATCH_EVAL_VERBOSE=1, every page
// where the two results score differently.
func TestFastGateQuality(t *testing.T) {
	docs, rules := loadEvalDocs(t)
	verbose := os.Getenv("WIREWATCH_EVAL_VERBOSE") != ""
	var gated, heavy score
	passed, n := 0, 0
	reasons := map[string]int{}
	var gatedDur, heavyDur time.Duration
	for _, d := range docs {
		p, page := d.evalPage, d.page
		n++
		start := time.Now()
		g, _ := extract(page, p.URL, rules, ModeDefault, time.Now())
		gatedDur += time.Since(start)
		start = time.Now()
		h, _ := extract(page, p.URL, rules, defaultMode, time.Now())
		heavyDur += time.Since(start)
		gs, hs := snippetScore(p, g.Text), snippetScore(p, h.Text)
		gated.add(gs)
		heavy.add(hs)
		root, err := html.Parse(bytes.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		fr := fastExtract(bodyOf(root))
		if h.Method == MethodRule {
			continue
		}
		if fr.ok {
			passed++
		} else {
			reasons[fr.reason]++
		}
		if verbose && gs != hs {
			t.Logf("%s gate=%v: gated %s, heavy %s", p.File, fr.ok, gs, hs)
		}
	}
	_, _, gf := gated.prf()
	_, _, hf := heavy.prf()
	var rs []string
	for r, c := range reasons {
		rs = append(rs, r+"="+itoa(c))
	}
	sort.Strings(rs)
	t.Logf("extraction-dev, %d pages: with the fast path %s (%.1f ms/page); heavy extractor alone %s (%.1f ms/page)", n, gated, ms(gatedDur, n), heavy, ms(heavyDur, n))
	t.Logf("gate passed %d pages; refused: %s", passed, strings.Join(rs, ", "))
	if gf < hf {
		t.Errorf("F1 with the fast path %.4f below the heavy extractor's %.4f", gf, hf)
	}
}

// TestFastOnFarm checks that the fast path takes the feed farm's article
// pages and that its text matches the farm's site rule (shingle F1).
func TestFastOnFarm(t *testing.T) {
	pages := farmPages(t)
	rules := farmRules(t)
	var scores []prf
	for _, p := range pages {
		ruled, err := Page(p.Body, p.ContentType, p.URL, rules)
		if err != nil {
			t.Fatal(err)
		}
		gen, err := Page(p.Body, p.ContentType, p.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		page, _, _ := charset.DecodeHTML(p.Body, p.ContentType)
		root, _ := html.Parse(bytes.NewReader(page))
		if fr := fastExtract(bodyOf(root)); !fr.ok {
			t.Errorf("%s: gate refused the fast result: %s", p.URL, fr.reason)
		}
		s := shingleScore(ruled.Text, gen.Text, true)
		scores = append(scores, s)
		if s.f < 0.95 {
			t.Errorf("%s: generic text differs from the rule's: %+v\n%s", p.URL, s, gen.Text)
		}
	}
	t.Logf("farm pages, generic against the site rule: %s", average(scores))
}

func (s *score) add(o score) { s.tp += o.tp; s.fn += o.fn; s.fp += o.fp }

func ms(d time.Duration, n int) float64 { return float64(d.Microseconds()) / 1000 / float64(max(n, 1)) }

func itoa(i int) string { return strconv.Itoa(i) }

// bodyOf finds the <body> element, or returns root.
func bodyOf(root *html.Node) *html.Node {
	for n := root; n != nil; n = nextNode(root, n) {
		if n.Type == html.ElementNode && n.Data == "body" {
			return n
		}
	}
	return root
}
