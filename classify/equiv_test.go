package classify

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/internal/corpus"
	"github.com/wirewatch/wirewatch/model"
)

// The equivalence tests pin down Classify's output, byte for byte, on a
// large and varied input set: the labelled sets in testdata, the same items
// rearranged into summaries and bodies, and generated English, Chinese and
// mixed bodies with odd Unicode. Two witnesses:
//
//   - testdata/equiv.golden holds a hash of every input and of its result as
//     produced by the scoring code of commit 4c322d6 (before the speed-up);
//   - reference_test.go keeps that code itself, so any input (also the shared
//     corpora beside the repository, and fuzzed ones) can be compared.

var updateEquiv = flag.Bool("update-equiv", false, "TestEquivalenceGolden: rewrite testdata/equiv.golden")

const equivGolden = "testdata/equiv.golden"

// rng is a small deterministic generator (splitmix64), so the generated
// inputs never change with the Go release.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) pick(s []string) string { return s[r.intn(len(s))] }

var (
	equivFillerEN = strings.Fields(`the a of and to in on for said would continue expand opening up
		welcomed foreign companies invest officials also discussed trade energy infrastructure projects
		belt road digital economy spokesperson ministry country market rules week year people government
		report new more than it is was were has have will its their his her this that by as from
		US China Chinese American Beijing Washington EU Russia Japan firms tech app apps platform online
		internet network networks security data law laws rule regulate regulation hack hacker hacking
		cyber attack attacks ban bans export chip chips sanction sanctions list entity state agency
		said's ministry's x y z ai 5g 2022 10,000 3.5 co-operation e-commerce anti-fraud re-use`)
	equivFillerZH = []string{"发言人", "表示", "中方", "将", "采取", "必要措施", "维护", "中国企业", "的", "正当权益",
		"网络安全", "数据安全", "问题", "也被", "提及", "经济", "合作", "发展", "会议", "美国", "政府", "公司",
		"平台", "互联网", "网信办", "个人信息", "黑客", "攻击", "谣言", "清朗", "出口管制", "实体清单", "芯片",
		"人工智能", "算法", "治理", "主权", "网络空间", "命运共同体", "乌镇", "世界互联网大会", "虚假信息"}
	// equivOdd are tokens that exercise normalisation and snippets.
	equivOdd = []string{
		"ＡＰＰ", "Ｃｙｂｅｒ", "ｈａｃｋ", "１２３", "！", "，", "。", "、", "：", "（", "）", "《", "》", "“", "”",
		"e\u0301", "cafe\u0301", "\u0301", "\uFFFD", "\xff", "\xe4\xb8", "\xc3", "\xed\xa0\x80", "\xf0\x9f\x98",
		"😀", "👨\u200d👩\u200d👧", "🇨🇳", "\u00a0", "\u2028", "\u3000", "\u200b", "\ufeff", "\u2212", "\u00b7",
		"\u2018", "\u2019", "\u02bc", "’s", "'s", "'", "''", "\u212a", "\u0130", "\u023a", "\u01c5", "Σ", "ß", "ẞ",
		"ǅ", "ﬁ", "Ⅻ", "①", "\t", "\n", "\r\n", "\n\n", "  ", "—", "–", "-", "‐", "...", "…", ".", ",", ";",
		":", "!", "?", "(", ")", "[", "]", "\"", "/", "&", "#", "@", "*", "_", "\x00", "\x7f", "\u0085",
		"Привет", "Ελλάδα", "日本語", "한국어", "عربى", "हिन्दी", "x\u0300\u0301\u0302",
	}
	equivSep = []string{" ", " ", " ", " ", " ", " ", "", ", ", ". ", "\n", "-", "，", "。", "\t", "/", "'"}
)

// equivTerms are the taxonomy's terms, groups and masks as written, without
// a trailing "*".
func equivTerms(tax *Taxonomy) []string {
	var terms []string
	add := func(t string) { terms = append(terms, strings.TrimSuffix(strings.TrimSpace(t), "*")) }
	for _, m := range tax.Masks {
		add(m)
	}
	groups := make([]string, 0, len(tax.Groups))
	for g := range tax.Groups {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		for _, t := range tax.Groups[g] {
			add(t)
		}
	}
	for _, tp := range tax.Topics {
		ts := make([]string, 0, len(tp.Terms))
		for t := range tp.Terms {
			ts = append(ts, t)
		}
		slices.Sort(ts)
		for _, t := range ts {
			add(t)
		}
	}
	return terms
}

// equivToken is one random token: a taxonomy term (with a random ending,
// casing or full-width form), a filler word, or an odd one.
func equivToken(r *rng, terms []string, zhShare int) string {
	switch k := r.intn(100); {
	case k < 30:
		t := r.pick(terms)
		switch r.intn(12) {
		case 0:
			t += r.pick([]string{"s", "es", "ing", "ed", "e", "er", "ers", "x", "1", "'s"})
		case 1:
			t = strings.ToUpper(t)
		case 2:
			if t != "" {
				rs := []rune(t)
				rs[0] = []rune(strings.ToUpper(string(rs[0])))[0]
				t = string(rs)
			}
		case 3:
			t = equivFullwidth(t)
		case 4:
			t = r.pick([]string{"x", "re", "anti", "9", "中"}) + t
		case 5:
			t = strings.ReplaceAll(t, " ", r.pick([]string{"-", "  ", "\n", "\u00a0", "’", "", "，"}))
		}
		return t
	case k < 30+zhShare:
		return r.pick(equivFillerZH)
	case k < 92:
		return r.pick(equivFillerEN)
	default:
		return r.pick(equivOdd)
	}
}

func equivFullwidth(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c > ' ' && c < 0x7f {
			c += 0xFEE0
		}
		b.WriteRune(c)
	}
	return b.String()
}

// equivText joins n random tokens.
func equivText(r *rng, terms []string, n, zhShare int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(r.pick(equivSep))
		}
		b.WriteString(equivToken(r, terms, zhShare))
	}
	return b.String()
}

// equivFarmBody is a farm-like article body: paragraphs of about 4,000
// characters in all, a fifth of them Chinese.
func equivFarmBody(r *rng, terms []string, size int) string {
	var b strings.Builder
	for b.Len() < size {
		zh := 3
		if r.intn(5) == 0 {
			zh = 80
		}
		b.WriteString(equivText(r, terms, 20+r.intn(80), zh))
		b.WriteString(r.pick([]string{".\n\n", "。\n", "\n", " "}))
	}
	return b.String()
}

// equivInputs is the in-repository input set of the golden file.
func equivInputs(t testing.TB) []Input {
	t.Helper()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	terms := equivTerms(tax)
	var items []evalItem
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	for _, f := range files {
		items = append(items, loadEvalFile(t, f)...)
	}
	var ins []Input
	for i, it := range items {
		in := it.in
		in.ID = fmt.Sprint("item-", i)
		ins = append(ins, in)
		// The same text as summary and as body, and paired with a neighbour.
		other := items[(i*7+3)%len(items)].in
		ins = append(ins, Input{ID: in.ID + "-s", Title: other.Title, Summary: in.Title + " " + in.Summary})
		ins = append(ins, Input{ID: in.ID + "-b", Title: other.Title, Body: in.Title + "\n\n" + in.Summary + "\n" + other.Summary})
	}
	r := rng(20260101)
	for i := range 1500 {
		var in Input
		in.ID = fmt.Sprint("gen-", i)
		zh := []int{0, 3, 20, 60}[i%4]
		in.Title = equivText(&r, terms, 1+r.intn(16), zh)
		if r.intn(3) > 0 {
			in.Summary = equivText(&r, terms, r.intn(40), zh)
		}
		switch r.intn(6) {
		case 0:
		case 1:
			in.Body = equivText(&r, terms, r.intn(200), zh)
		default:
			in.Body = equivFarmBody(&r, terms, 500+r.intn(6000))
		}
		if r.intn(10) == 0 {
			in.Title, in.Body = "", in.Title
		}
		ins = append(ins, in)
	}
	// Very long texts, and long runs without spaces.
	for i, size := range []int{40_000, 200_000, 1_000_000} {
		ins = append(ins, Input{ID: fmt.Sprint("long-", i), Title: equivText(&r, terms, 12, 10),
			Summary: equivText(&r, terms, 300, 10), Body: equivFarmBody(&r, terms, size)})
	}
	ins = append(ins,
		Input{ID: "empty"},
		Input{ID: "runs", Title: strings.Repeat("网络安全", 2000), Body: strings.Repeat("cyber", 20_000)},
		Input{ID: "hyphens", Title: "cyber-attack---hack", Body: strings.Repeat("-", 10_000) + "hack" + strings.Repeat("\xff", 1000)},
		Input{ID: "article5KB", Title: article5KB().Title, Summary: article5KB().Summary, Body: article5KB().Body},
	)
	return ins
}

// equivExternal are real texts from the shared seeds and corpora, when
// present beside the repository: articles and whole HTML pages as bodies.
func equivExternal(t testing.TB) []Input {
	t.Helper()
	root := corpus.Root()
	if root == "" {
		return nil
	}
	var paths []string
	for _, pat := range []string{
		"../seeds/*.txt",
		"newspaper4k/txt/*.txt", "newspaper4k/html/*.html",
		"readability/test/test-pages/*/*.html",
		"extraction-dev/html/*.html",
	} {
		m, err := filepath.Glob(filepath.Join(root, pat))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	var ins []Input
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		title, _, _ := strings.Cut(text, "\n")
		title = title[:min(len(title), 300)]
		ins = append(ins, Input{ID: filepath.Base(p), Title: title, Summary: text[:min(len(text), 1000)], Body: text})
	}
	return ins
}

func equivJSON(t testing.TB, res model.Classification) []byte {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func shortSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

func inputSum(in Input) string {
	return shortSum([]byte(in.Title + "\x00" + in.Summary + "\x00" + in.Body))
}

func TestEquivalenceGolden(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	ins := equivInputs(t)
	lines := make([]string, len(ins))
	for i, in := range ins {
		lines[i] = fmt.Sprintf("%s %s %s", in.ID, inputSum(in), shortSum(equivJSON(t, c.Classify(in))))
	}
	if *updateEquiv {
		head := "# classify equivalence: input id, hash of the input, hash of Classify's JSON result\n" +
			"# (commit 4c322d6 scoring code), generated by go test ./classify -run TestEquivalenceGolden -update-equiv\n" +
			"# version " + c.Version() + "\n"
		if err := os.WriteFile(equivGolden, []byte(head+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	// (Alike by design: open and scan a file line by line, as eval_test.go does for another format.)
	f, err := os.Open(equivGolden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			want = append(want, l)
		} else if v, ok := strings.CutPrefix(l, "# version "); ok && v != c.Version() {
			t.Errorf("version %q, golden file has %q", c.Version(), v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(lines) {
		t.Fatalf("%d inputs, golden file has %d", len(lines), len(want))
	}
	bad := 0
	for i := range lines {
		if lines[i] != want[i] {
			bad++
			if bad <= 10 {
				t.Errorf("input %d: got %q, want %q", i, lines[i], want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d results differ from the golden file", bad, len(lines))
	}
}

// equivCompare compares the rule scoring of c (the fast matching engine)
// with the reference code's, field by field: the raw score of every topic
// and every piece of evidence with its snippet. (The decision on top of it,
// the model, has no reference implementation; the golden file pins it.)
func equivCompare(t testing.TB, c *Classifier, ref *refClassifier, in Input) bool {
	t.Helper()
	s := c.pool.Get().(*scratch)
	defer c.pool.Put(s)
	rs := ref.pool.Get().(*refScratch)
	defer ref.pool.Put(rs)
	nt := len(c.tax.Topics)
	for f, text := range [nFields]string{in.Title, in.Summary, in.Body} {
		if text == "" {
			continue
		}
		s.text = [nFields]string{}
		s.text[f] = text
		s.norm[f], s.offs[f] = s.norm[f][:0], s.offs[f][:0]
		s.resetTopics(nt)
		s.snip, s.skeys = s.snip[:0], s.skeys[:0]
		c.scoreField(s, f)
		want := ref.scoreField(rs, fieldNames[f], text, fieldFactors[f])
		for ti := range nt {
			var got []model.Evidence
			for _, x := range s.ev[ti] {
				r := s.snippet(x)
				got = append(got, model.Evidence{Term: x.term, Field: fieldNames[x.field], Snippet: string(s.snip[r.from:r.to]), Weight: x.weight})
			}
			if s.fraw[ti] != want.raw[ti] || !reflect.DeepEqual(got, want.evidence[ti]) {
				t.Errorf("input %s (title %.60q), field %s, topic %s:\n got %v %+v\nwant %v %+v",
					in.ID, in.Title, fieldNames[f], c.tax.Topics[ti].ID, s.fraw[ti], got, want.raw[ti], want.evidence[ti])
				return false
			}
		}
	}
	return true
}

func TestEquivalenceReference(t *testing.T) {
	t.Parallel()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	c, ref := New(tax, DefaultConfig()), refNew(tax, DefaultConfig())
	ins := append(equivInputs(t), equivExternal(t)...)
	// Concurrently, so scratch space is reused across different inputs.
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for g := range 3 {
		wg.Go(func() {
			for i := g; i < len(ins); i += 3 {
				if !equivCompare(t, c, ref, ins[i]) {
					mu.Lock()
					bad++
					stop := bad >= 10
					mu.Unlock()
					if stop {
						return
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d inputs compared", len(ins))
}

// TestEquivalenceTaxonomies compares with the reference on hand-written
// taxonomies that exercise compilation corner cases: no model, duplicate
// terms across topics, masks that are also terms, overlapping prefixes.
func TestEquivalenceTaxonomies(t *testing.T) {
	t.Parallel()
	tax, err := LoadTaxonomy([]byte(`version: 1
masks: [cyber monday, hack day, 网络游戏]
groups:
  firm: [huawei, zte, 华为]
  act: [ban*, sanction*, 制裁]
  net: [online, internet, 网络]
topics:
  - id: x
    label: X
    description: x
    terms: {hack*: 1, hacker: 2, cyber*: 0.5, cyber monday: -1, 网络: 0.7, 网络安全: 2, "a": 0.1, "u s": 0.3, remove*: 1}
    rules:
      - {name: firm-act, all: [firm, act], weight: 1.5}
      - {name: net-act, all: [net, act, firm], weight: 0.5}
  - id: y
    label: Y
    description: y
    terms: {hack*: 1, hacking: 1, 网络: 0.7, 安全: 0.2, "5g": 1, ban: 2, data*: -0.5, it's: 1}
    rules:
      - {name: net, all: [net, firm], weight: 0.25}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range []float64{0.5, 0.01, 1} {
		cfg := Config{Threshold: th}
		c, ref := New(tax, cfg), refNew(tax, cfg)
		ins := equivInputs(t)
		for _, in := range ins[len(ins)-1600:] {
			if !equivCompare(t, c, ref, in) {
				return
			}
		}
		for _, s := range []string{"cyber monday hackers hack", "Huawei bans 华为制裁网络游戏网络安全", "a u.s. it’s data 5G hacking remover removing", "x"} {
			if !equivCompare(t, c, ref, Input{Title: s, Summary: s, Body: strings.Repeat(s+" filler ", 50)}) {
				return
			}
		}
	}
}

func FuzzEquivalence(f *testing.F) {
	f.Add("Huawei hit by US sanctions", "网信办约谈多家平台", "cyber-attack on ＡＰＰ\xff data")
	f.Add("", "", strings.Repeat("hack ", 100)+"网络攻击")
	f.Add("İK\u212a", "e\u0301", "’s 'hack' hackers'")
	tax, err := DefaultTaxonomy()
	if err != nil {
		f.Fatal(err)
	}
	c, ref := New(tax, DefaultConfig()), refNew(tax, DefaultConfig())
	f.Fuzz(func(t *testing.T, title, summary, body string) {
		equivCompare(t, c, ref, Input{Title: title, Summary: summary, Body: body})
	})
}

// TestEquivalenceInputsValid guards the generator: it must produce invalid
// UTF-8 and the other odd cases it is meant to.
func TestEquivalenceInputsValid(t *testing.T) {
	t.Parallel()
	invalid, fullwidth, han := 0, 0, 0
	for _, in := range equivInputs(t) {
		all := in.Title + in.Summary + in.Body
		if !utf8.ValidString(all) {
			invalid++
		}
		if strings.ContainsAny(all, "ＡＣｈ") {
			fullwidth++
		}
		if hasHan(in.Body) {
			han++
		}
	}
	if invalid < 100 || fullwidth < 100 || han < 100 {
		t.Errorf("generated inputs: %d invalid UTF-8, %d full-width, %d Chinese bodies", invalid, fullwidth, han)
	}
}

// TestFastPathAssumptions checks what the byte-level fast paths of
// normalize and appendSnippet take for granted about Unicode: runes
// U+4000-U+9FFF (lead bytes E4-E9) have no case and are neither space nor
// control, so normalize keeps them as they are; no rune with lead byte
// E4-EC or EE-EF is white space, so snippets copy them.
func TestFastPathAssumptions(t *testing.T) {
	t.Parallel()
	for r := rune(0x4000); r <= 0x9FFF; r++ {
		if unicode.ToLower(r) != r || unicode.IsSpace(r) || unicode.IsControl(r) {
			t.Fatalf("U+%04X is not kept as it is", r)
		}
		s := "A" + string(r) + "b"
		got, offs := normalize(nil, nil, s)
		want, woffs := refNormalize(nil, nil, s)
		if string(got) != string(want) || !slices.Equal(offs, woffs) {
			t.Fatalf("normalize(%q) = %q %v, reference %q %v", s, got, offs, want, woffs)
		}
	}
	for r := rune(0x4000); r <= 0xFFFF; r++ {
		if r >= 0xD000 && r <= 0xDFFF {
			continue // lead byte ED
		}
		if unicode.IsSpace(r) {
			t.Fatalf("U+%04X is white space", r)
		}
	}
}

// TestEquivalenceParts compares normalize and snippets with the reference
// code directly, on every field of the input set and many ranges in it.
func TestEquivalenceParts(t *testing.T) {
	t.Parallel()
	r := rng(7)
	bad := 0
	for _, in := range equivInputs(t) {
		for _, text := range []string{in.Title, in.Summary, in.Body} {
			got, offs := normalize(nil, nil, text)
			want, woffs := refNormalize(nil, nil, text)
			if string(got) != string(want) || !slices.Equal(offs, woffs) {
				t.Errorf("normalize(%.80q) differs", text)
				bad++
			}
			for range min(len(got), 20) {
				start := r.intn(len(got))
				end := start + r.intn(len(got)-start+1)
				ws := refSnippet(text, woffs, start, end)
				gs := ""
				if from, to, ok := snippetRange(text, offs, start, end); ok {
					gs = string(appendSnippet(nil, text, from, to))
				}
				if gs != ws {
					t.Errorf("snippet of [%d,%d) in %.80q:\n got %q\nwant %q", start, end, text, gs, ws)
					bad++
				}
			}
			if bad > 10 {
				t.FailNow()
			}
		}
	}
}
