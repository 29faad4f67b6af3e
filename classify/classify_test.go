package classify

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/wirewatch/wirewatch/model"
)

func defaultClassifier(t testing.TB) *Classifier {
	t.Helper()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	return New(tax, DefaultConfig())
}

// (Alike by design: the cases are rows of one table.)
func TestClassifyBehaviour(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	tests := []struct {
		name     string
		in       Input
		relevant bool
		topic    string // the best topic when relevant
	}{
		// Title only, English, without the word "cyber".
		{"entity list", Input{Title: "China firmly opposes US adding Chinese firms to entity list"}, true, "tech-restrictions"},
		{"wic letter", Input{Title: "Xi sends congratulatory letter to World Internet Conference Wuzhen Summit"}, true, "cyber-governance"},
		{"pipl", Input{Title: "Personal information protection law takes effect"}, true, "data-security"},
		{"cac rumours", Input{Title: "CAC launches campaign to clean up online rumors"}, true, "content-regulation"},
		{"nsa", Input{Title: "US' NSA launched over 10,000 cyberattacks against China"}, true, "hacking-espionage"},
		{"fake accounts", Input{Title: "Pentagon ran fake accounts on social media to sway opinion abroad"}, true, "information-warfare"},
		// Chinese text, matched by substring.
		{"zh wic", Input{Title: "世界互联网大会乌镇峰会开幕", Lang: "zh"}, true, "cyber-governance"},
		{"zh data", Input{Title: "数据出境安全评估办法施行", Lang: "zh"}, true, "data-security"},
		{"zh hack", Input{Title: "美方对我国高校发动网络攻击", Lang: "zh"}, true, "hacking-espionage"},
		{"zh mixed", Input{Title: "美国多州出台TikTok禁令", Lang: "zh"}, true, "tech-restrictions"},
		// Co-occurrence: a firm alone is business news, with a restriction it is not.
		{"firm alone", Input{Title: "Huawei unveils new foldable smartphone"}, false, ""},
		// A phone launch in Chinese: the firm's name weighs less in a news
		// headline than in a Foreign Ministry question (sentenceTitle).
		{"zh firm launch", Input{Title: "华为发布新款折叠屏手机", Lang: "zh"}, false, ""},
		{"firm + sanction", Input{Title: "Huawei hit by new round of US sanctions"}, true, "tech-restrictions"},
		{"sanction alone", Input{Title: "US sanctions Russian oil exports"}, false, ""},
		{"hack + state", Input{Title: "Hackers linked to US intelligence agency targeted Chinese firms"}, true, "hacking-espionage"},
		// Negative context.
		{"cyber monday", Input{Title: "Cyber Monday online sales break records"}, false, ""},
		{"cybertruck", Input{Title: "Tesla Cybertruck deliveries begin"}, false, ""},
		{"hackathon", Input{Title: "Students shine at hackathon in Shenzhen"}, false, ""},
		{"econ data", Input{Title: "China's GDP data beats forecasts"}, false, ""},
		{"arms-sale entity list", Input{Title: "China puts US defense firms on unreliable entity list over arms sales"}, false, ""},
		{"zh covid rumour", Input{Title: "上海辟谣：网传封控消息不实", Lang: "zh"}, false, ""},
		{"space launch", Input{Title: "Long March rocket sends new satellites into orbit"}, false, ""},
		// Summary rescues a vague title.
		{"summary", Input{Title: "Spokesperson answers questions", Summary: "The US is the world's largest hacking empire and should stop its cyberattacks on other countries."}, true, "hacking-espionage"},
		// Body helps, but is damped: one passing mention does not make an article relevant.
		{"body passing mention", Input{Title: "Provincial GDP grows 5 percent", Body: strings.Repeat("Factories expanded output. ", 40) + "Officials also mentioned cybersecurity."}, false, ""},
		{"body on topic", Input{Title: "Full text of the speech", Body: "The world internet conference discussed cyberspace governance and cyber sovereignty. Data security and cross-border data rules were debated."}, true, "cyber-governance"},
		// Empty input is not relevant and does not panic.
		{"empty", Input{}, false, ""},
	}
	// Known misses of the shipped model: each is wrong by the rubric and
	// is listed here, not above, so that the test says what the model
	// gets wrong today. A model that gets one right fails this test: move
	// the case up to the table.
	known := []struct {
		name, why string
		in        Input
	}{
		// A single refuted rumour is 0 by the rubric. model-c80f7ffa and
		// model-bc783b5d scored it 0.47; the ninth session's model 0.54,
		// the same raw probability against an English headline threshold
		// cross-validation set 0.02 lower. Real refuted-rumour headlines
		// of the web items have raw out-of-fold probabilities of 0.12 to
		// 0.19, against a raw threshold of 0.32 (docs/relevance.md).
		{"covid rumour denied", "\"online rumor\" is mostly a crackdown in the training items", Input{Title: "City government refutes online rumor of lockdown"}},
		// Issue 12's named false alarm, business news of a firm. The
		// ninth session's model scored it 0.49, just under; the tenth's,
		// trained without the 2,030 items that moved to test3.tsv, 0.52:
		// the English headline threshold cross-validation set fell from
		// 0.32 to 0.30, and "data centre" leans to data security.
		{"firm opens data centre", "\"Huawei\" and \"data centre\" both lean relevant in a headline", Input{Title: "Huawei opens data centre in Saudi Arabia"}},
	}
	for _, k := range known {
		if res := c.Classify(k.in); !res.Relevant {
			t.Errorf("known miss %q is now right (score %.3f): move it to the table (%s)", k.name, res.Score, k.why)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Classify(tc.in)
			if res.Relevant != tc.relevant {
				t.Fatalf("relevant = %v (score %.3f), want %v; topics %+v", res.Relevant, res.Score, tc.relevant, res.Topics)
			}
			if tc.topic != "" && (len(res.Topics) == 0 || res.Topics[0].ID != tc.topic) {
				t.Fatalf("best topic = %+v, want %s", res.Topics, tc.topic)
			}
			if res.Version != c.Version() {
				t.Errorf("version %q, want %q", res.Version, c.Version())
			}
		})
	}
}

// evidenceInText reports an evidence term that is not the article's own
// words in the field it names, or that names an internal feature.
func evidenceInText(in Input, res model.Classification) error {
	fields := map[string]string{FieldTitle: in.Title, FieldSummary: in.Summary, FieldBody: in.Body}
	for _, ts := range res.Topics {
		for _, e := range ts.Evidence {
			text := strings.Join(strings.Fields(fields[e.Field]), " ")
			if e.Term == "" || !strings.Contains(text, e.Term) {
				return fmt.Errorf("topic %s: evidence %q is not in the %s %q", ts.ID, e.Term, e.Field, text)
			}
			if strings.HasPrefix(e.Term, "model:") || strings.HasPrefix(e.Term, "rule:") {
				return fmt.Errorf("topic %s: evidence names a feature: %q", ts.ID, e.Term)
			}
			if !strings.Contains(e.Snippet, e.Term) {
				return fmt.Errorf("topic %s: snippet %q does not show %q", ts.ID, e.Snippet, e.Term)
			}
		}
	}
	return nil
}

func TestEvidence(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	for _, in := range []Input{
		{Title: "US adds 12 Chinese chip firms to entity list, tightening export controls"},
		{Title: "Spokesperson answers questions", Summary: "The US is the world's largest hacking empire and should stop its cyberattacks on other countries."},
		{Title: "Full text of the speech", Body: "The World Internet Conference discussed cyberspace governance and cyber sovereignty. " + strings.Repeat("Trade grew. ", 50)},
		{Title: "国家网信办约谈多家网络平台 整治网上谣言", Lang: "zh"},
		{Title: "外交部：美方对我国高校发动网络攻击", Summary: "美国国家安全局长期对中国进行网络窃密。", Lang: "zh"},
	} {
		res := c.Classify(in)
		if !res.Relevant || len(res.Topics) == 0 || len(res.Topics[0].Evidence) == 0 {
			t.Errorf("%q: no relevant topic with evidence: %+v", in.Title, res)
			continue
		}
		if err := evidenceInText(in, res); err != nil {
			t.Errorf("%q: %v", in.Title, err)
		}
	}
	// A lead taken from the body is evidence from the body.
	res := c.Classify(Input{Title: "Full text", Body: "Hackers backed by a foreign state attacked the power grid with ransomware, officials said."})
	if len(res.Topics) == 0 || len(res.Topics[0].Evidence) == 0 {
		t.Fatalf("no evidence: %+v", res)
	}
	for _, e := range res.Topics[0].Evidence {
		if e.Field != FieldBody && e.Field != FieldTitle {
			t.Errorf("evidence %+v names field %q", e, e.Field)
		}
	}
	// The body beyond the lead is not read: a passing mention deep in a
	// long article does not count.
	deep := Input{Title: "Provincial economy grows", Body: strings.Repeat("Factories expanded output and exports rose. ", 30) + "The World Internet Conference discussed cyber sovereignty."}
	if got := c.Classify(deep); got.Relevant {
		t.Errorf("relevant on a mention beyond the lead: %+v", got)
	}
}

func TestSnippetChinese(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	summary := strings.Repeat("今天天气很好，大家出门散步。", 3) + "国家网信办发布网络数据安全管理新规。" + strings.Repeat("市场平稳运行。", 5)
	in := Input{Title: "网信办发布新规 加强网络数据安全管理", Summary: summary, Lang: "zh"}
	res := c.Classify(in)
	if len(res.Topics) == 0 {
		t.Fatalf("no topic: %+v", res)
	}
	if err := evidenceInText(in, res); err != nil {
		t.Error(err)
	}
	for _, ts := range res.Topics {
		for _, e := range ts.Evidence {
			if strings.ContainsRune(e.Snippet, '\uFFFD') || strings.ContainsRune(e.Term, '\uFFFD') {
				t.Errorf("snippet %q or term %q splits a character", e.Snippet, e.Term)
			}
			if e.Field == FieldSummary && (!strings.HasPrefix(e.Snippet, "…") || !strings.HasSuffix(e.Snippet, "…")) {
				t.Errorf("snippet %q not marked as cut", e.Snippet)
			}
		}
	}
}

func TestLeadOf(t *testing.T) {
	t.Parallel()
	en := strings.Repeat("word ", 100)
	if got := leadOf(en); len([]rune(got)) != leadRunesLatin {
		t.Errorf("English lead has %d runes, want %d", len([]rune(got)), leadRunesLatin)
	}
	zh := strings.Repeat("网络安全", 100)
	if got := leadOf(zh); len([]rune(got)) != leadRunesHan {
		t.Errorf("Chinese lead has %d runes, want %d", len([]rune(got)), leadRunesHan)
	}
	if got := leadOf("short"); got != "short" {
		t.Errorf("short text cut to %q", got)
	}
}

func TestThreshold(t *testing.T) {
	t.Parallel()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Title: "Huawei unveils new phone"} // a weak signal only
	low := New(tax, Config{Threshold: 0.05}).Classify(in)
	def := New(tax, DefaultConfig()).Classify(in)
	high := New(tax, Config{Threshold: 1}).Classify(Input{Title: "World Internet Conference opens in Wuzhen"})
	if !low.Relevant || def.Relevant || high.Relevant {
		t.Errorf("threshold has no effect: low %v default %v high %v", low.Relevant, def.Relevant, high.Relevant)
	}
	if low.Score != def.Score {
		t.Errorf("threshold changed the score: %v vs %v", low.Score, def.Score)
	}
	if got := New(tax, Config{}).Threshold(); got != DefaultThreshold {
		t.Errorf("zero config threshold = %v, want %v", got, DefaultThreshold)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{DefaultConfig(), true},
		{Config{Threshold: 1}, true},
		{Config{Threshold: 0}, false},
		{Config{Threshold: -0.1}, false},
		{Config{Threshold: 1.5}, false},
		{Config{Threshold: math.NaN()}, false},
		{Config{Threshold: 0.5, TopicsFile: " x.yaml"}, false},
	} {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}
}

func TestScoresInRange(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	long := strings.Repeat("cyberattack hacking data security entity list 网信办 网络空间 ", 500)
	res := c.Classify(Input{Title: long, Summary: long, Body: long})
	if res.Score < 0 || res.Score > 1 {
		t.Errorf("score %v", res.Score)
	}
	for _, ts := range res.Topics {
		if ts.Score < 0 || ts.Score > 1 || len(ts.Evidence) > maxEvidence {
			t.Errorf("topic %s score %v, %d evidence", ts.ID, ts.Score, len(ts.Evidence))
		}
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	inputs := []Input{
		{Title: "China firmly opposes US adding Chinese firms to entity list"},
		{Title: "网信办启动清朗专项行动"},
		{Title: "Cyber Monday sales"},
	}
	want := make([]model.Classification, len(inputs))
	for i, in := range inputs {
		want[i] = c.Classify(in)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 200 {
				i := (g + k) % len(inputs)
				got := c.Classify(inputs[i])
				if got.Score != want[i].Score || got.Relevant != want[i].Relevant || len(got.Topics) != len(want[i].Topics) {
					t.Errorf("concurrent result differs for %q", inputs[i].Title)
					return
				}
			}
		})
	}
	wg.Wait()
}

// (Alike by design: a map of input to want, as in the other packages' table tests.)
func TestNormalize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Cyber-Attack":        "cyber attack",
		"U.S.  hackers":       "u s hackers",
		"China’s CAC":         "china's cac",
		"ＡＰＰ违规":               "app违规",
		"  网信办，发布。新规  ":       "网信办 发布 新规 ",
		"Data\tsecurity\nlaw": "data security law",
	} {
		got, offs := normalize(nil, nil, in)
		if string(got) != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
		if len(offs) != len(got) {
			t.Errorf("normalize(%q): %d offsets for %d bytes", in, len(offs), len(got))
		}
	}
}

func TestMatcher(t *testing.T) {
	t.Parallel()
	m := newMatcher([]string{"he", "she", "his", "hers", "网信办", "网信"})
	type hit struct{ id, start, end int }
	var got []hit
	m.scan([]byte("ushers 国家网信办"), func(id int32, s, e int) { got = append(got, hit{int(id), s, e}) })
	want := map[hit]bool{{1, 1, 4}: true, {0, 2, 4}: true, {3, 2, 6}: true, {5, 13, 19}: true, {4, 13, 22}: true}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, h := range got {
		if !want[h] {
			t.Errorf("unexpected %v (all: %v)", h, got)
		}
	}
}

func TestModelVersion(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	if c.model == nil || !strings.Contains(c.Version(), fmt.Sprintf("/alg-%d/model-", AlgorithmVersion)) {
		t.Fatalf("version %q lacks the model", c.Version())
	}
	// A taxonomy without the model's topics runs on rules alone, and says so.
	tax, err := LoadTaxonomy([]byte("version: 1\ntopics:\n  - id: x\n    label: X\n    description: x\n    terms: {hack*: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rc := New(tax, DefaultConfig())
	if rc.model != nil || strings.Contains(rc.Version(), "model") {
		t.Errorf("model used with a foreign taxonomy: %q", rc.Version())
	}
	in := Input{Title: "Hackers hack the hacked"}
	res := rc.Classify(in)
	if !res.Relevant || len(res.Topics) != 1 || res.Topics[0].ID != "x" {
		t.Errorf("rules alone: %+v", res)
	}
	if err := evidenceInText(in, res); err != nil {
		t.Error(err)
	}
}

func TestModelFeatures(t *testing.T) {
	t.Parallel()
	var got []string
	// A number breaks the bigram chain, stop words do not; each feature
	// comes with the range it covers.
	text := "US 'hacked' the networks of 2 firms; 网络攻击"
	norm, _ := normalize(nil, nil, text)
	modelFeatures(norm, nil, func(f []byte, start, end int) {
		got = append(got, fmt.Sprintf("%s=%s", f, norm[start:end]))
	})
	want := "w:us=us w:hack=hacked b:us hack=us 'hacked w:network=networks b:hack network=hacked' the networks w:firm=firms " +
		"z:网络=网络 y:网络攻=网络攻 z:络攻=络攻 y:络攻击=络攻击 z:攻击=攻击"
	if strings.Join(got, " ") != want {
		t.Errorf("features\n got %q\nwant %q", strings.Join(got, " "), want)
	}
}
