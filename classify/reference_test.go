package classify

// The scoring code as it was before the speed-up (commit 4c322d6), kept as
// the reference the equivalence tests compare the current code with. Only
// identifiers are renamed (ref...); keep it unchanged.

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/model"
)

type refUseKind uint8

const (
	refUseTerm refUseKind = iota
	refUseMask
	refUseGroup
)

// refUse is one role a compiled refPattern plays.
type refUse struct {
	kind   refUseKind
	topic  int     // refUseTerm
	weight float64 // refUseTerm
	group  int     // refUseGroup
	term   string  // refUseTerm: the term as written in the taxonomy
}

type refPattern struct {
	text   string
	prefix bool // trailing "*": any word ending
	han    bool // substring match, no word boundaries
	uses   []refUse
}

type refCompiledRule struct {
	name   string
	groups []int
	weight float64
}

// refClassifier scores articles against a taxonomy. It is immutable after refNew
// and safe for concurrent refUse.
type refClassifier struct {
	tax       *Taxonomy
	threshold float64
	version   string
	pats      []refPattern
	m         *refMatcher
	ngroups   int
	rules     [][]refCompiledRule // per topic
	pool      sync.Pool           // *refScratch
}

// refNew compiles a classifier for the taxonomy. A threshold outside (0,1]
// (such as the zero Config) is replaced by DefaultThreshold; call
// Config.Validate first to reject it instead.
func refNew(t *Taxonomy, cfg Config) *refClassifier {
	c := &refClassifier{tax: t, threshold: cfg.Threshold}
	if cfg.Validate() != nil || c.threshold == 0 {
		c.threshold = DefaultThreshold
	}
	c.version = fmt.Sprintf("topics-%d-%s/alg-%d", t.Version, t.hash, AlgorithmVersion)

	index := map[string]int{}
	add := func(term string, u refUse) {
		key, prefix, err := refParseTerm(term)
		if err != nil {
			return // LoadTaxonomy rejects these; a hand-built Taxonomy just loses the term
		}
		if prefix {
			key = refStemPrefix(key)
		}
		k := key
		if prefix {
			k += "*"
		}
		i, ok := index[k]
		if !ok {
			i = len(c.pats)
			index[k] = i
			c.pats = append(c.pats, refPattern{text: key, prefix: prefix, han: refHasHan(key)})
		}
		c.pats[i].uses = append(c.pats[i].uses, u)
	}
	for _, m := range t.Masks {
		add(m, refUse{kind: refUseMask})
	}
	groupIdx := map[string]int{}
	gnames := make([]string, 0, len(t.Groups))
	for name := range t.Groups {
		gnames = append(gnames, name)
	}
	slices.Sort(gnames)
	for gi, name := range gnames {
		groupIdx[name] = gi
		for _, term := range t.Groups[name] {
			add(term, refUse{kind: refUseGroup, group: gi})
		}
	}
	c.ngroups = len(gnames)
	c.rules = make([][]refCompiledRule, len(t.Topics))
	for ti, tp := range t.Topics {
		terms := make([]string, 0, len(tp.Terms))
		for term := range tp.Terms {
			terms = append(terms, term)
		}
		slices.Sort(terms) // deterministic compilation
		for _, term := range terms {
			if w := tp.Terms[term]; w != 0 {
				add(term, refUse{kind: refUseTerm, topic: ti, weight: w, term: term})
			}
		}
		for _, r := range tp.Rules {
			cr := refCompiledRule{name: r.Name, weight: r.Weight}
			for _, g := range r.All {
				if gi, ok := groupIdx[g]; ok {
					cr.groups = append(cr.groups, gi)
				}
			}
			if len(cr.groups) == len(r.All) && len(cr.groups) > 0 {
				c.rules[ti] = append(c.rules[ti], cr)
			}
		}
	}
	texts := make([]string, len(c.pats))
	for i, p := range c.pats {
		texts[i] = p.text
	}
	c.m = refNewMatcher(texts)
	c.pool.New = func() any { return new(refScratch) }
	return c
}

// refStemPrefix drops the silent final "e" of a wildcard term's last word, so
// the wildcard also finds the forms that lose it: "incite*" finds inciting,
// "remove*" removal, "delete*" deletion. Short words keep it ("refUse*").
func refStemPrefix(key string) string {
	last := key[strings.LastIndexByte(key, ' ')+1:]
	if len(last) >= 5 && strings.HasSuffix(last, "e") && !refHasHan(last) {
		return key[:len(key)-1]
	}
	return key
}

// refHit is one accepted match in a normalised field.
type refHit struct {
	pat        int32
	start, end int // in the normalised text
}

// refCand is a term match competing for a topic's score in one field.
type refCand struct {
	topic  int
	weight float64
	term   string
	start  int
	end    int
}

type refScratch struct {
	norm   []byte
	offs   []int32
	hits   []refHit
	masks  [][2]int
	cands  []refCand
	taken  []refCand
	groups [][]int // per group: match starts in the current field
}

// refBodyCap bounds the body's contribution to one topic's raw score.
const refBodyCap = 1.2

// refFieldResult is what one field adds to each topic.
type refFieldResult struct {
	raw      []float64
	evidence [][]model.Evidence
}

// Classify scores one article. It is pure (no I/O, no shared mutable state)
// and safe to call from many goroutines.
func (c *refClassifier) Classify(in Input) model.Classification {
	s := c.pool.Get().(*refScratch)
	defer c.pool.Put(s)

	nt := len(c.tax.Topics)
	raw := make([]float64, nt)
	ev := make([][]model.Evidence, nt)
	fields := [...]struct {
		name   string
		text   string
		factor float64
	}{
		{FieldTitle, in.Title, titleFactor},
		{FieldSummary, in.Summary, summaryFactor},
		{FieldBody, in.Body, bodyFactor},
	}
	for _, f := range fields {
		if f.text == "" {
			continue
		}
		fr := c.scoreField(s, f.name, f.text, f.factor)
		for ti := range nt {
			r := fr.raw[ti]
			if f.name == FieldBody {
				r = min(r, refBodyCap)
			}
			raw[ti] += r
			ev[ti] = append(ev[ti], fr.evidence[ti]...)
		}
	}

	ruleRaw := make([]float64, nt)
	for ti := range raw {
		ruleRaw[ti] = max(raw[ti], 0)
	}
	mraw := 0.0

	out := model.Classification{Version: c.version, Topics: []model.TopicScore{}}
	best, sum := 0.0, 0.0
	for ti, tp := range c.tax.Topics {
		r := max(raw[ti], 0)
		if r == 0 {
			continue // nothing for it, or only counter-evidence
		}
		rr := ruleRaw[ti]
		best = max(best, rr)
		sum += rr
		e := ev[ti]
		slices.SortStableFunc(e, func(a, b model.Evidence) int {
			return cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight))
		})
		if len(e) > maxEvidence {
			e = e[:maxEvidence]
		}
		out.Topics = append(out.Topics, model.TopicScore{ID: tp.ID, Score: refRound4(refSquash(r)), Evidence: e})
	}
	slices.SortStableFunc(out.Topics, func(a, b model.TopicScore) int { return cmp.Compare(b.Score, a.Score) })
	// Noisy-OR of two witnesses: the rules' overall raw score plus the
	// model's -ln P(not relevant), so 1-score = (1-rules)(1-model).
	overall := refSquash(best + otherTopicsFactor*(sum-best) + mraw)
	out.Score = refRound4(overall)
	out.Relevant = overall >= c.threshold
	return out
}

// refSquash maps a non-negative raw score to [0,1).
func refSquash(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) {
		return 0
	}
	return 1 - math.Exp(-raw)
}

func refRound4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// scoreField matches one field and returns each topic's weighted raw score
// and evidence for it.
func (c *refClassifier) scoreField(s *refScratch, field, text string, factor float64) refFieldResult {
	nt := len(c.tax.Topics)
	fr := refFieldResult{raw: make([]float64, nt), evidence: make([][]model.Evidence, nt)}
	s.norm, s.offs = refNormalize(s.norm[:0], s.offs[:0], text)
	norm := s.norm

	// 1. Raw matches with word boundaries; masks collected apart.
	s.hits, s.masks = s.hits[:0], s.masks[:0]
	c.m.scan(norm, func(id int32, start, end int) {
		p := &c.pats[id]
		if !p.han {
			if start > 0 && refIsWordByte(norm[start-1]) {
				return
			}
			if end < len(norm) && refIsWordByte(norm[end]) {
				we := end
				for we < len(norm) && refIsWordByte(norm[we]) {
					we++
				}
				if !p.prefix {
					suffix := string(norm[end:we])
					if suffix != "s" && suffix != "es" {
						return
					}
				}
				end = we
			}
		}
		if p.uses[0].kind == refUseMask {
			s.masks = append(s.masks, [2]int{start, end})
		}
		s.hits = append(s.hits, refHit{pat: id, start: start, end: end})
	})

	// 2. Terms and group members, minus those inside a mask.
	if cap(s.groups) < c.ngroups {
		s.groups = make([][]int, c.ngroups)
	}
	s.groups = s.groups[:c.ngroups]
	for i := range s.groups {
		s.groups[i] = s.groups[i][:0]
	}
	s.cands = s.cands[:0]
	for _, h := range s.hits {
		masked := false
		for _, m := range s.masks {
			if h.start >= m[0] && h.end <= m[1] && c.pats[h.pat].uses[0].kind != refUseMask {
				masked = true
				break
			}
		}
		if masked {
			continue
		}
		for _, u := range c.pats[h.pat].uses {
			switch u.kind {
			case refUseTerm:
				s.cands = append(s.cands, refCand{topic: u.topic, weight: u.weight, term: u.term, start: h.start, end: h.end})
			case refUseGroup:
				s.groups[u.group] = append(s.groups[u.group], h.start)
			}
		}
	}

	// 3. Heaviest matches first; a match that overlaps a heavier match of
	// another topic, or any accepted match of its own topic, is dropped: one
	// stretch of text counts once, for the topic it fits best ("cyberattack"
	// is hacking, not also generic "cyber*"). Counter-evidence (negative
	// weights) is applied once per term and never blocks anything.
	slices.SortStableFunc(s.cands, func(a, b refCand) int {
		if d := cmp.Compare(b.weight, a.weight); d != 0 {
			return d
		}
		if d := cmp.Compare(a.topic, b.topic); d != 0 {
			return d
		}
		return cmp.Compare(a.start, b.start)
	})
	s.taken = s.taken[:0]
next:
	for _, cd := range s.cands {
		for _, t := range s.taken {
			if t.topic == cd.topic && t.term == cd.term {
				continue next
			}
			if cd.weight > 0 && cd.start < t.end && t.start < cd.end && (t.topic == cd.topic || t.weight > cd.weight) {
				continue next
			}
		}
		s.taken = append(s.taken, cd)
		w := cd.weight * factor
		fr.raw[cd.topic] += w
		fr.evidence[cd.topic] = append(fr.evidence[cd.topic], model.Evidence{
			Term: cd.term, Field: field, Snippet: refSnippet(text, s.offs, cd.start, cd.end), Weight: refRound4(w),
		})
	}

	// 4. Co-occurrence rules.
	window := math.MaxInt
	if field == FieldBody {
		window = bodyWindow
	}
	for ti, rules := range c.rules {
		for _, r := range rules {
			at, ok := c.cooccur(s.groups, r.groups, window)
			if !ok {
				continue
			}
			w := r.weight * factor
			fr.raw[ti] += w
			end := at + 1
			for end < len(norm) && refIsWordByte(norm[end]) {
				end++
			}
			fr.evidence[ti] = append(fr.evidence[ti], model.Evidence{
				Term: "rule:" + r.name, Field: field, Snippet: refSnippet(text, s.offs, at, end), Weight: refRound4(w),
			})
		}
	}
	for ti := range fr.raw {
		fr.raw[ti] = max(fr.raw[ti], 0)
	}
	return fr
}

// cooccur reports whether every group matched with all matches within window
// bytes of a match of the first group, and where.
func (c *refClassifier) cooccur(pos [][]int, groups []int, window int) (int, bool) {
	for _, g := range groups {
		if len(pos[g]) == 0 {
			return 0, false
		}
	}
anchor:
	for _, p := range pos[groups[0]] {
		for _, g := range groups[1:] {
			found := false
			for _, q := range pos[g] {
				if q != p && refAbs(q-p) <= window {
					found = true
					break
				}
			}
			if !found {
				continue anchor
			}
		}
		return p, true
	}
	return 0, false
}

func refAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// refSnippet returns the original text around the normalised range [start,end),
// with white space collapsed and ellipses where it was cut.
func refSnippet(text string, offs []int32, start, end int) string {
	if len(offs) == 0 || start >= len(offs) {
		return ""
	}
	os := int(offs[start])
	oe := len(text)
	if end < len(offs) {
		oe = int(offs[end])
	}
	from, to := max(os-snippetRadius, 0), min(oe+snippetRadius, len(text))
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	b.WriteString(strings.ToValidUTF8(strings.Join(strings.Fields(text[from:to]), " "), "\uFFFD"))
	if to < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

// refMatcher is an Aho–Corasick automaton over bytes, compiled into a dense
// transition table on byte classes, so a text is scanned once, one table
// look-up per byte, whatever the number of patterns.
type refMatcher struct {
	class  [256]uint16 // byte -> class; 0 for bytes in no refPattern
	nclass int
	delta  []int32   // state*nclass + class -> next state
	out    [][]int32 // state -> ids of the patterns ending there
	plen   []int32   // refPattern id -> length in bytes
}

// refNewMatcher compiles the patterns; ids are the indexes in pats. Empty
// patterns are ignored.
func refNewMatcher(pats []string) *refMatcher {
	m := &refMatcher{plen: make([]int32, len(pats))}
	for _, p := range pats {
		for i := 0; i < len(p); i++ {
			m.class[p[i]] = 1
		}
	}
	m.nclass = 1
	for b := range m.class {
		if m.class[b] != 0 {
			m.class[b] = uint16(m.nclass)
			m.nclass++
		}
	}
	n := m.nclass
	// Trie with -1 for missing edges.
	newState := func() int32 {
		for range n {
			m.delta = append(m.delta, -1)
		}
		m.out = append(m.out, nil)
		return int32(len(m.out) - 1)
	}
	newState()
	for id, p := range pats {
		m.plen[id] = int32(len(p))
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(m.class[p[i]])
			next := m.delta[int(s)*n+c]
			if next < 0 {
				next = newState()
				m.delta[int(s)*n+c] = next
			}
			s = next
		}
		m.out[s] = append(m.out[s], int32(id))
	}
	// Breadth-first: failure links folded into the table, outputs merged.
	fail := make([]int32, len(m.out))
	queue := make([]int32, 0, len(m.out))
	for c := 0; c < n; c++ {
		v := m.delta[c]
		if v < 0 || c == 0 {
			m.delta[c] = 0
			continue
		}
		fail[v] = 0
		queue = append(queue, v)
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		f := fail[u]
		if len(m.out[f]) > 0 {
			merged := make([]int32, 0, len(m.out[u])+len(m.out[f]))
			merged = append(append(merged, m.out[u]...), m.out[f]...)
			m.out[u] = merged
		}
		for c := 0; c < n; c++ {
			v := m.delta[int(u)*n+c]
			if v < 0 || c == 0 {
				m.delta[int(u)*n+c] = m.delta[int(f)*n+c]
				if c == 0 {
					m.delta[int(u)*n] = 0
				}
				continue
			}
			fail[v] = m.delta[int(f)*n+c]
			queue = append(queue, v)
		}
	}
	return m
}

// scan calls fn for every occurrence of every refPattern in text, with the
// refPattern id and the match's byte range [start, end).
func (m *refMatcher) scan(text []byte, fn func(id int32, start, end int)) {
	n := m.nclass
	s := int32(0)
	for i, b := range text {
		s = m.delta[int(s)*n+int(m.class[b])]
		for _, id := range m.out[s] {
			end := i + 1
			fn(id, end-int(m.plen[id]), end)
		}
	}
}

// refNormalize folds s into the form both terms and texts are matched in:
// lower case, full-width ASCII as ASCII, curly apostrophes as "'", every
// other ASCII punctuation, dash, CJK punctuation and white space as a single
// space. It appends to dst and records in offs, for every output byte, the
// offset in s of the rune it came from, so matches can be mapped back to the
// original text for snippets. Leading spaces are dropped.
func refNormalize(dst []byte, offs []int32, s string) ([]byte, []int32) {
	space := func(i int) {
		if len(dst) > 0 && dst[len(dst)-1] != ' ' {
			dst = append(dst, ' ')
			offs = append(offs, int32(i))
		}
	}
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII forms
			r -= 0xFEE0
		}
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			switch {
			case c >= 'A' && c <= 'Z':
				dst = append(dst, c+'a'-'A')
				offs = append(offs, int32(i))
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '\'':
				dst = append(dst, c)
				offs = append(offs, int32(i))
			default:
				space(i)
			}
		case r == '\u2018' || r == '\u2019' || r == '\u02BC':
			dst = append(dst, '\'')
			offs = append(offs, int32(i))
		case r == utf8.RuneError && size == 1,
			r >= 0x2000 && r <= 0x206F, // general punctuation, dashes, quotes
			r >= 0x3000 && r <= 0x303F, // CJK symbols and punctuation
			r == 0x00A0 || r == 0x00B7 || r == 0xFEFF || r == 0x2212,
			unicode.IsSpace(r) || unicode.IsControl(r):
			space(i)
		default:
			lr := unicode.ToLower(r)
			n := len(dst)
			dst = utf8.AppendRune(dst, lr)
			for k := n; k < len(dst); k++ {
				offs = append(offs, int32(i))
			}
		}
		i += size
	}
	return dst, offs
}

// refIsWordByte reports whether b continues an English word for boundary checks.
// Bytes of non-ASCII runes are not word bytes, so an English term next to a
// Chinese character still matches ("TikTok禁令").
func refIsWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}

// refHasHan reports whether s contains a Han character; such terms are matched
// as substrings, as Chinese is written without spaces.
func refHasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func refParseTerm(term string) (key string, prefix bool, err error) {
	s := strings.TrimSpace(term)
	if strings.HasSuffix(s, "*") {
		prefix = true
		s = strings.TrimSuffix(s, "*")
	}
	if strings.Contains(s, "*") {
		return "", false, errors.New(`"*" is only allowed at the end`)
	}
	b, _ := refNormalize(nil, nil, s)
	key = strings.TrimSpace(string(b))
	if key == "" {
		return "", false, errors.New("empty once normalised")
	}
	if prefix && refHasHan(key) {
		return "", false, errors.New(`"*" makes no sense on a Chinese term (they match as substrings)`)
	}
	return key, prefix, nil
}
