package classify

import (
	"slices"
	"strings"
	"testing"
)

func TestSentenceTitle(t *testing.T) {
	t.Parallel()
	en := func(n int, q bool) string {
		if q {
			return strings.Repeat("a", n-1) + "?"
		}
		return strings.Repeat("a", n)
	}
	zh := func(n int, q bool) string {
		if q {
			return strings.Repeat("网", n-1) + "？"
		}
		return strings.Repeat("网", n)
	}
	tests := []struct {
		name  string
		lang  string
		title string
		want  bool
	}{
		{"en headline", "en", "Huawei opens data centre in Saudi Arabia", false},
		{"en short question", "en", "Is the US hijacking WTO reform agenda?", false},
		{"en long just short", "en", en(sentenceRunes-1, false), false},
		{"en long", "en", en(sentenceRunes, false), true},
		{"en question just short", "en", en(questionRunes-1, true), false},
		{"en question", "en", en(questionRunes, true), true},
		{"en real question", "en", "The US Navy has sent two warships through the Taiwan Strait on Wednesday. What is China's response?", true},
		{"zh long just short", "zh", zh(sentenceRunesHan-1, false), false},
		{"zh long", "zh", zh(sentenceRunesHan, false), true},
		{"zh question just short", "zh", zh(questionRunesHan-1, true), false},
		{"zh question", "zh", zh(questionRunesHan, true), true},
		{"zh ascii question mark", "zh", strings.Repeat("网", questionRunesHan-1) + "?", true},
		{"zh headline", "zh", "华为在沙特开设数据中心", false},
		// Without a language, Han characters make it Chinese (counted in
		// characters, not bytes); a region tag is still Chinese.
		{"no lang, Han", "", zh(questionRunesHan, true), true},
		{"no lang, Han headline", "", zh(sentenceRunesHan-1, false), false},
		{"zh-CN", "zh-CN", zh(sentenceRunesHan, false), true},
		// An English title is judged by the English lengths even when it
		// quotes a Chinese name.
		{"en with Han", "en", "网" + en(questionRunes-2, true), false},
	}
	for _, tc := range tests {
		if got := sentenceTitle(tc.lang, tc.title); got != tc.want {
			t.Errorf("%s: sentenceTitle(%q, %d characters) = %v, want %v", tc.name, tc.lang, len([]rune(tc.title)), got, tc.want)
		}
	}
}

// A sentence title's features come twice, as themselves and with the
// sentence prefix; a headline's once. The lead's features follow the
// title's kind.
func TestSentenceFeatures(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	split := func(names []string) (plain, marked []string) {
		for _, n := range names {
			if rest, ok := strings.CutPrefix(n, sentencePrefix); ok {
				marked = append(marked, rest)
			} else {
				plain = append(plain, n)
			}
		}
		slices.Sort(plain)
		slices.Sort(marked)
		return plain, marked
	}
	q := Input{Title: "The US has added Huawei to its entity list. What is China's comment?", Summary: "Huawei said it would appeal.", Lang: "en"}
	plain, marked := split(headFeatureNames(c, q))
	if len(plain) == 0 || !slices.Equal(plain, marked) {
		t.Errorf("sentence title: plain features %q, marked %q: want the same, not empty", plain, marked)
	}
	for _, want := range []string{"w:huawei", "w:appeal"} {
		if !slices.Contains(marked, want) {
			t.Errorf("sentence title: no %q%s among %q", sentencePrefix, want, marked)
		}
	}
	h := Input{Title: "Huawei opens data centre in Saudi Arabia", Summary: "The centre will serve cloud customers.", Lang: "en"}
	if plain, marked := split(headFeatureNames(c, h)); len(plain) == 0 || len(marked) != 0 {
		t.Errorf("headline: plain features %q, marked %q: want only plain ones", plain, marked)
	}
}

func headFeatureNames(c *Classifier, in Input) []string {
	names, _, _ := c.headFeatures(in)
	return names
}

// The shipped model gives a question's features a weight of their own, and
// the evidence of a question shows its words, never the marked names.
func TestSentenceEvidence(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	if c.model == nil {
		t.Fatal("no model")
	}
	n := 0
	for name := range c.model.index {
		if strings.HasPrefix(name, sentencePrefix) {
			n++
		}
	}
	if n == 0 {
		t.Fatalf("the shipped model has no %q features: it was trained without them", sentencePrefix)
	}
	in := Input{Title: "据报道，美国商务部将华为列入实体清单，禁止美国企业向其出售芯片。中方对此有何评论？", Lang: "zh"}
	res := c.Classify(in)
	if !res.Relevant {
		t.Fatalf("question on Huawei's entity listing: not relevant (%v)", res.Score)
	}
	if err := evidenceInText(in, res); err != nil {
		t.Error(err)
	}
	for _, tp := range res.Topics {
		for _, e := range tp.Evidence {
			if strings.Contains(e.Term, sentencePrefix) {
				t.Errorf("evidence term %q shows a feature name", e.Term)
			}
		}
	}
}
