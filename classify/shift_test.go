package classify

import (
	"strings"
	"testing"
)

// modelScorer returns the shipped model and a function that scores an
// input with the default taxonomy under any model, for tests that alter a
// copy of the model.
func modelScorer(t *testing.T) (*linModel, func(*linModel, Input) float64) {
	t.Helper()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	base, err := loadDefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	return base, func(m *linModel, in Input) float64 {
		c := New(tax, DefaultConfig())
		c.model = nil
		c.useModel(m)
		return c.Classify(in).Score
	}
}

// Each case (language; with a lead or a headline alone) has its own
// threshold, carried by the model's shift rows: a shift moves the scores of
// its case only, and a table round-trips through formatModel.
func TestModelCaseShifts(t *testing.T) {
	t.Parallel()
	base, score := modelScorer(t)
	zhTitle := Input{Title: "据报道，美国将限制部分中国企业在美经营，中方对此有何评论？", Lang: "zh"}
	zhNoLang := Input{Title: zhTitle.Title}
	zhLead := Input{Title: zhTitle.Title, Summary: "中方坚决反对美方泛化国家安全概念，滥用出口管制措施。", Lang: "zh"}
	enTitle := Input{Title: "US to limit some Chinese firms operating in America", Lang: "en"}
	shifted := *base
	shifted.shifts[caseTitleZH] += 4
	for _, tc := range []struct {
		name string
		in   Input
		up   bool
	}{
		{"Chinese headline", zhTitle, true},
		{"headline without a language, Han title", zhNoLang, true},
		{"Chinese with a lead", zhLead, false},
		{"English headline", enTitle, false},
	} {
		before, after := score(base, tc.in), score(&shifted, tc.in)
		if tc.up && !(after > before) || !tc.up && after != before {
			t.Errorf("%s: score %.4f -> %.4f after shifting Chinese headlines up", tc.name, before, after)
		}
	}

	text := formatModel(&shifted, "test")
	if !strings.Contains(text, "\nshift\ttitle-zh\t") {
		t.Fatalf("formatted table has no title-zh shift row")
	}
	back, err := parseModel(text)
	if err != nil {
		t.Fatal(err)
	}
	if d := back.shifts[caseTitleZH] - shifted.shifts[caseTitleZH]; d > 1e-3 || d < -1e-3 {
		t.Errorf("title-zh shift %v after a round trip, want %v", back.shifts[caseTitleZH], shifted.shifts[caseTitleZH])
	}
	for _, bad := range []string{"shift\tfr\t1", "shift\tzh", "shift\tzh\tx", "shift\tzh\t99"} {
		if _, err := parseModel("classes\tgov\n" + bad + "\nbias\t0\n"); err == nil {
			t.Errorf("parseModel accepted %q", bad)
		}
	}
}

func TestHeadCase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lang, title string
		lead        bool
		want        int
	}{
		{"en", "Cyber attack", true, caseEN},
		{"zh", "网络攻击", true, caseZH},
		{"zh-CN", "网络攻击", false, caseTitleZH},
		{"", "网络攻击", false, caseTitleZH},
		{"", "Cyber attack", false, caseTitleEN},
		{"en", "网络攻击", true, caseEN}, // a given language wins over the script
	} {
		if got := headCase(tc.lang, tc.title, tc.lead); got != tc.want {
			t.Errorf("headCase(%q, %q, %v) = %s, want %s", tc.lang, tc.title, tc.lead, caseNames[got], caseNames[tc.want])
		}
	}
}
