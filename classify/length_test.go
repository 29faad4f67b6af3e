package classify

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestLengthFactor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n       int
		n0      [2]float64
		chinese bool
		want    float64
	}{
		{100, [2]float64{}, false, 1},          // no bounds
		{100, [2]float64{0, 40}, false, 1},     // English unbounded
		{100, [2]float64{25, 0}, false, 0.5},   // sqrt(25/100)
		{100, [2]float64{25, 0}, true, 1},      // Chinese unbounded
		{100, [2]float64{0, 64}, true, 0.8},    // sqrt(64/100)
		{40, [2]float64{40, 0}, false, 1},      // at the bound: unchanged
		{10, [2]float64{40, 40}, false, 1},     // a short head is never raised
		{0, [2]float64{40, 40}, true, 1},       // nothing to damp
		{160, [2]float64{40, 10}, false, 0.5},  // the English bound for English
		{160, [2]float64{10, 40}, true, 0.5},   // the Chinese one for Chinese
		{1000, [2]float64{10, 0}, false, 0.1},  // sqrt(10/1000)
		{41, [2]float64{40, 0}, false, 0.9877}, // just over the bound
	} {
		if got := lengthFactor(tc.n, tc.n0, tc.chinese); math.Abs(got-tc.want) > 1e-4 {
			t.Errorf("lengthFactor(%d, %v, %v) = %.4f, want %.4f", tc.n, tc.n0, tc.chinese, got, tc.want)
		}
	}
}

// The classifier counts a head's text feature occurrences as training
// does, so that a model trained with length bounds scores an article as
// it scored the article's training item.
func TestLengthCountMatchesTraining(t *testing.T) {
	t.Parallel()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	c := New(tax, DefaultConfig())
	for _, in := range []Input{
		{Title: "US adds Chinese chip firms to the entity list", Lang: "en"},
		{Title: "Can you confirm reports that the US will ban more Chinese apps, and what is China's response to the claim that they threaten data security?", Lang: "en"},
		{Title: "Cyberspace regulator issues rules on minors online", Summary: "The Cyberspace Administration of China on Friday released draft rules for the protection of minors online.", Lang: "en"},
		{Title: "国家网信办发布《网络数据安全管理条例》", Lang: "zh"},
		{Title: "据报道，美国将限制部分中国企业在美经营，中方对此有何评论？", Summary: "中方坚决反对美方泛化国家安全概念。", Lang: "zh"},
		{Title: "中央网信办部署开展“清朗”系列专项行动"},
		{Title: "Cyber Monday sales data shows record online spending", Summary: "Retailers cut prices, the data shows.", Lang: "en"},
	} {
		_, _, want := c.headFeatures(in)
		s := c.pool.Get().(*scratch)
		c.scoreHead(s, in)
		c.modelProbs(s)
		got := s.nText
		c.pool.Put(s)
		if got != want || want == 0 {
			t.Errorf("%q: the classifier counts %d text feature occurrences, training %d", in.Title, got, want)
		}
	}
}

// A lengthnorm row damps the text features of heads longer than its
// language's bound, and only those, and round-trips through formatModel.
func TestModelLengthNorm(t *testing.T) {
	t.Parallel()
	base, score := modelScorer(t)
	if base.lengthNorm != DefaultTrainParams().LengthNorm {
		t.Errorf("the shipped model's length bounds %v, training's default %v: retrain (make train)", base.lengthNorm, DefaultTrainParams().LengthNorm)
	}
	damped := *base
	damped.lengthNorm = [2]float64{12, 0}
	short := Input{Title: "Hackers hit power grid", Lang: "en"}
	long := Input{Title: "Foreign ministry spokesperson answers a question on the cyberattacks that hit the power grid and the hackers behind them", Lang: "en"}
	chinese := Input{Title: "外交部发言人就黑客攻击电网的网络攻击事件答记者问，中方坚决反对一切形式的网络攻击", Lang: "zh"}
	if b, a := score(base, short), score(&damped, short); a != b {
		t.Errorf("short English headline: %.4f -> %.4f, want unchanged", b, a)
	}
	if b, a := score(base, long), score(&damped, long); a == b {
		t.Errorf("long English title: %.4f unchanged, want damped", b)
	}
	if b, a := score(base, chinese), score(&damped, chinese); a != b {
		t.Errorf("Chinese title without a Chinese bound: %.4f -> %.4f, want unchanged", b, a)
	}

	text := formatModel(&damped, "test")
	if !strings.Contains(text, "\nlengthnorm\t12\t0\n") {
		t.Fatalf("formatted table has no lengthnorm row")
	}
	back, err := parseModel(text)
	if err != nil {
		t.Fatal(err)
	}
	if back.lengthNorm != damped.lengthNorm {
		t.Errorf("lengthnorm %v after a round trip, want %v", back.lengthNorm, damped.lengthNorm)
	}
	if strings.Contains(formatModel(base, "test"), "lengthnorm") != (base.lengthNorm != [2]float64{}) {
		t.Errorf("a table writes a lengthnorm row exactly when it has bounds")
	}
	for _, bad := range []string{"lengthnorm\t40", "lengthnorm\t40\t0\t0", "lengthnorm\tx\t0", "lengthnorm\t-1\t0", "lengthnorm\t40\tNaN"} {
		if _, err := parseModel("classes\tgov\n" + bad + "\nbias\t0\n"); err == nil {
			t.Errorf("parseModel accepted %q", bad)
		}
	}
}

// Training with length bounds end to end: the classifier, loaded with the
// model train makes, gives each item the probability training's own
// scoring of the model gives it, in English and in Chinese (with and without
// a language, the bounds differing), with masked phrases, with a lead and
// as a headline alone. Training and scoring must agree on what n counts,
// on the language and on where the factor applies, and train must both
// damp in training and write the bounds into the model.
func TestTrainedLengthNormScores(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	items := toyItems()
	for n, r := range []struct {
		title, lead, lang, topic string
	}{
		{"Cyber Monday sales data shows record online spending", "Shoppers spent more online than ever, data shows, as retailers cut prices.", "en", ""},
		{"Regulator probes data leak at online platform", "The cyberspace regulator opened a review of the platform's data handling after the leak.", "en", "data-security"},
		{"网信办约谈多家平台 整治网络谣言", "国家互联网信息办公室今天约谈多家网络平台，要求整治网络谣言和违法信息。", "", "content-regulation"},
		{"黑客攻击电网 外交部回应", "外交部发言人表示，中方坚决反对一切形式的网络攻击。", "zh", "hacking-espionage"},
		{"春季渡轮时刻表调整", "渡轮每小时一班，游客可以在码头购票。", "zh", ""},
		{"城市举办马拉松比赛", "数万名跑者参加了今天的比赛，沿途观众热情。", "", ""},
	} {
		it := TrainItem{In: Input{ID: fmt.Sprint("len", n), Title: r.title, Summary: r.lead, Lang: r.lang}, Weight: 1, Fold: n % 3}
		if r.topic != "" {
			it.Relevant, it.Topics = true, []string{r.topic}
		}
		c := it
		c.In.Summary, c.TitleOnly = "", true
		items = append(items, it, c)
	}
	tp := DefaultTrainParams()
	tp.Epochs, tp.Keep, tp.LengthNorm = 40, 0, [2]float64{12, 20}
	m, _, err := train(tax, items, tp)
	if err != nil {
		t.Fatal(err)
	}
	if m.lengthNorm != tp.LengthNorm {
		t.Fatalf("trained model's bounds %v, want %v", m.lengthNorm, tp.LengthNorm)
	}
	c := New(tax, DefaultConfig())
	c.model = nil
	d, err := c.prepare(items, tp.MinDF, tp.LengthNorm)
	if err != nil {
		t.Fatal(err)
	}
	m.shifts = [nCases]float64{} // training's scoring knows no cases
	c.useModel(m)
	var dampedEN, dampedZH int
	for i, it := range items {
		if d.factor[i] < 1 {
			if chineseItem(it.In.Lang, it.In.Title) {
				dampedZH++
			} else {
				dampedEN++
			}
		}
		s := c.pool.Get().(*scratch)
		c.scoreHead(s, it.In)
		got := 1 - c.modelProbs(s)[0]
		c.pool.Put(s)
		if want := m.prob(d, i); math.Abs(got-want) > 1e-6 {
			t.Errorf("%s (%q, title only %v): the classifier's P %.6f, training's %.6f", it.In.ID, it.In.Title, it.TitleOnly, got, want)
		}
	}
	if dampedEN == 0 || dampedZH == 0 || dampedEN+dampedZH == len(items) {
		t.Fatalf("damped: %d English, %d Chinese of %d items: the toy data tests nothing", dampedEN, dampedZH, len(items))
	}
}
