// Package classify decides whether an article is about cyber policy, and
// why. It scores an article against the topics of a Taxonomy
// (configs/topics.yaml) with weighted English and Chinese terms, a title
// bonus, co-occurrence rules and negative context, and returns per-topic
// scores in [0,1], an overall score, a relevance decision and the evidence
// (each matched term or rule with its field, a snippet and its weight).
//
// Scoring does no I/O and allocates little: all terms of all topics are
// compiled into one Aho–Corasick automaton that reads each field once.
package classify

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

// AlgorithmVersion numbers the scoring algorithm in this file; bump it when
// a change here can change a decision.
//
//	1 initial
//	2 prefix terms ending in "e" match their stem ("incite*" finds inciting)
//	3 learned component (model.go, model.tsv) combined with the rules as a
//	  noisy-OR: raw += -ln P(not relevant), shared among topics
//	4 topic attribution only (overall score and relevance as in 3): the
//	  model's share goes to its top topic and to topics it gives at least
//	  minModelTopicQ, and the rule score of a topic the model finds
//	  unlikely is discounted (offTopicQ, offTopicKeep)
const AlgorithmVersion = 4

// maxModelEvidence bounds the "model:" evidence kept per topic.
const maxModelEvidence = 4

// minModelShare is the smallest model share of a topic's raw score that
// lists the topic; smaller shares still count towards the overall score.
const minModelShare = 0.05

// Topic attribution with the model (algorithm 4). The model's raw score is
// shared only among its top topic and topics with probability (conditional
// on the article being relevant) of at least minModelTopicQ: the model is
// trained with a multi-topic item's target split evenly, so a real second
// topic gets about 1/2 (or 1/3), while smaller shares are the spill that
// used to lift a wrong topic over the threshold. Generic rules and terms
// ("cyber*", online + regulate) often fire for a second topic besides the
// story's own; the model, trained on topic labels, usually knows better.
// When the model gives a topic that is not its top topic a probability
// below offTopicQ (conditional on the article being relevant), that topic's
// rule score counts offTopicKeep times in the topic's score, with
// "model:off-topic" counter-evidence for the rest. The overall score and
// the relevance decision use the undiscounted rule scores. Chosen on eval
// and probes A-E with leave-one-set-out models for the training sets (flat
// optimum around 0.05-0.1 and 0.5-0.6); probe F measures it.
const (
	minModelTopicQ = 0.3
	offTopicQ      = 0.1
	offTopicKeep   = 0.5
)

// offTopicTerm names the counter-evidence of the off-topic discount.
const offTopicTerm = "model:off-topic"

// DefaultThreshold is the overall score at or above which an article is
// relevant unless configured otherwise.
const DefaultThreshold = 0.5

// Field weights: how much a raw term weight counts in each field. Headlines
// are written to say what the story is; bodies mention much in passing.
const (
	titleFactor   = 1.0
	summaryFactor = 0.75
	bodyFactor    = 0.3
	// bodyCap bounds the body's contribution to one topic's raw score, so a
	// long article does not pile up incidental mentions.
	bodyCap = 1.2
	// bodyWindow is how close (in normalised bytes) the groups of a rule must
	// be in the body; roughly two sentences.
	bodyWindow = 400
	// otherTopicsFactor is how much the raw scores of the topics other than
	// the best one count towards the overall score.
	otherTopicsFactor = 0.5
	// maxEvidence bounds the evidence kept per topic.
	maxEvidence = 8
	// snippetRadius is how many bytes of context a snippet keeps each side.
	snippetRadius = 60
)

// Config configures a Classifier.
type Config struct {
	// Threshold is the overall score at or above which an article is
	// relevant. Default 0.5 (DefaultThreshold); must be in (0,1].
	Threshold float64 `yaml:"threshold"`
	// TopicsFile is the path of a taxonomy YAML file. Default empty, which
	// means the taxonomy embedded in the binary (configs/topics.yaml).
	TopicsFile string `yaml:"topics_file"`
}

// DefaultConfig returns the defaults: threshold 0.5, embedded taxonomy.
func DefaultConfig() Config {
	return Config{Threshold: DefaultThreshold}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if math.IsNaN(c.Threshold) || c.Threshold <= 0 || c.Threshold > 1 {
		return fmt.Errorf("classify: threshold %v must be in (0,1]", c.Threshold)
	}
	if strings.TrimSpace(c.TopicsFile) != c.TopicsFile {
		return errors.New("classify: topics_file has leading or trailing space")
	}
	return nil
}

// Input is one article to classify. Only Title is expected; the others may
// be empty. Lang ("en", "zh") is informational: every term is tried on
// every text, as Chinese pages quote English names and the reverse.
type Input struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Body    string `json:"body"`
	Lang    string `json:"lang"`
}

// Field names used in evidence.
const (
	FieldTitle   = "title"
	FieldSummary = "summary"
	FieldBody    = "body"
)

// Field indexes, in scoring order (see fieldNames).
const (
	fieldTitle = iota
	fieldSummary
	fieldBody
)

// fieldFactors are the field weights by field index.
var fieldFactors = [nFields]float64{titleFactor, summaryFactor, bodyFactor}

type useKind uint8

const (
	useTerm useKind = iota
	useMask
	useGroup
)

// use is one role a compiled pattern plays.
type use struct {
	kind   useKind
	topic  int     // useTerm
	weight float64 // useTerm
	group  int     // useGroup
	term   string  // useTerm: the term as written in the taxonomy
}

type pattern struct {
	text   string
	prefix bool // trailing "*": any word ending
	han    bool // substring match, no word boundaries
	uses   []use
}

type compiledRule struct {
	term   string // "rule:" and the name, for evidence
	groups []int
	weight float64
}

// Classifier scores articles against a taxonomy. It is immutable after New
// and safe for concurrent use.
type Classifier struct {
	tax       *Taxonomy
	threshold float64
	version   string
	pats      []pattern
	m         *matcher
	ngroups   int
	rules     [][]compiledRule // per topic
	pool      sync.Pool        // *scratch
	// model is the learned component, nil when the taxonomy lacks its
	// topics; modelTopic maps its classes to topic indexes.
	model      *bowModel
	modelTopic [nModelClasses]int
}

// New compiles a classifier for the taxonomy. A threshold outside (0,1]
// (such as the zero Config) is replaced by DefaultThreshold; call
// Config.Validate first to reject it instead.
func New(t *Taxonomy, cfg Config) *Classifier {
	c := &Classifier{tax: t, threshold: cfg.Threshold}
	if cfg.Validate() != nil || c.threshold == 0 {
		c.threshold = DefaultThreshold
	}
	c.version = fmt.Sprintf("topics-%d-%s/alg-%d", t.Version, t.hash, AlgorithmVersion)
	if m, err := loadDefaultModel(); err == nil {
		c.model = m
		for k, id := range modelTopicIDs {
			ti := slices.IndexFunc(t.Topics, func(tp Topic) bool { return tp.ID == id })
			if ti < 0 {
				c.model = nil
				break
			}
			c.modelTopic[k] = ti
		}
		if c.model != nil {
			c.version += "/model-" + m.hash
		}
	}

	index := map[string]int{}
	add := func(term string, u use) {
		key, prefix, err := parseTerm(term)
		if err != nil {
			return // LoadTaxonomy rejects these; a hand-built Taxonomy just loses the term
		}
		if prefix {
			key = stemPrefix(key)
		}
		k := key
		if prefix {
			k += "*"
		}
		i, ok := index[k]
		if !ok {
			i = len(c.pats)
			index[k] = i
			c.pats = append(c.pats, pattern{text: key, prefix: prefix, han: hasHan(key)})
		}
		c.pats[i].uses = append(c.pats[i].uses, u)
	}
	for _, m := range t.Masks {
		add(m, use{kind: useMask})
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
			add(term, use{kind: useGroup, group: gi})
		}
	}
	c.ngroups = len(gnames)
	c.rules = make([][]compiledRule, len(t.Topics))
	for ti, tp := range t.Topics {
		terms := make([]string, 0, len(tp.Terms))
		for term := range tp.Terms {
			terms = append(terms, term)
		}
		slices.Sort(terms) // deterministic compilation
		for _, term := range terms {
			if w := tp.Terms[term]; w != 0 {
				add(term, use{kind: useTerm, topic: ti, weight: w, term: term})
			}
		}
		for _, r := range tp.Rules {
			cr := compiledRule{term: "rule:" + r.Name, weight: r.Weight}
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
	c.m = newMatcher(texts)
	c.pool.New = func() any { return new(scratch) }
	return c
}

// stemPrefix drops the silent final "e" of a wildcard term's last word, so
// the wildcard also finds the forms that lose it: "incite*" finds inciting,
// "remove*" removal, "delete*" deletion. Short words keep it ("use*").
func stemPrefix(key string) string {
	last := key[strings.LastIndexByte(key, ' ')+1:]
	if len(last) >= 5 && strings.HasSuffix(last, "e") && !hasHan(last) {
		return key[:len(key)-1]
	}
	return key
}

// Version identifies the taxonomy and algorithm that produce a result, such
// as "topics-1-3f9a2c1b/alg-1". Store it with every classification; it
// changes whenever topics.yaml or the algorithm changes.
func (c *Classifier) Version() string { return c.version }

// Threshold is the overall score at or above which an article is relevant.
func (c *Classifier) Threshold() float64 { return c.threshold }

// Taxonomy returns the taxonomy the classifier was built from.
func (c *Classifier) Taxonomy() *Taxonomy { return c.tax }

// hit is one accepted match in a normalised field.
type hit struct {
	pat        int32
	start, end int // in the normalised text
}

// cand is a term match competing for a topic's score in one field.
type cand struct {
	topic  int
	weight float64
	term   string
	start  int
	end    int
	seq    int // order of the match, for a stable sort
}

// evidence is a model.Evidence before its snippet is made: only the
// evidence a result keeps gets one.
type evidence struct {
	term   string
	weight float64
	field  int   // index in fieldNames
	start  int32 // normalised range of the snippet; start < 0: none
	end    int32
}

// fieldNames are the fields in the order they are scored.
var fieldNames = [...]string{FieldTitle, FieldSummary, FieldBody}

const nFields = len(fieldNames)

// scratch is the working memory of one Classify call, reused through the
// Classifier's pool.
type scratch struct {
	text    [nFields]string
	norm    [nFields][]byte  // normalised fields
	offs    [nFields][]int32 // per normalised byte: its offset in the field
	raws    []rawHit
	hits    []hit
	masks   [][2]int
	cands   []cand
	taken   []cand
	groups  [][]int // per group: match starts in the current field
	raw     []float64
	ruleRaw []float64
	fraw    []float64    // per topic: the current field's raw score
	ev      [][]evidence // per topic
	snip    []byte       // the snippets of the result
	sref    []snipRef    // per kept evidence: its snippet in snip
	skeys   []snipKey
	// learned component
	mbuf   []byte
	mrows  []int32
	mfield []uint8 // per row in mrows: 0 title, 1 summary
	mev    []modelEv
}

type modelEv struct {
	row    int32
	weight float64
}

// Classify scores one article. It is pure (no I/O, no shared mutable state)
// and safe to call from many goroutines.
func (c *Classifier) Classify(in Input) model.Classification {
	s := c.pool.Get().(*scratch)
	defer func() {
		s.text = [nFields]string{} // do not keep the article alive
		c.pool.Put(s)
	}()

	nt := len(c.tax.Topics)
	s.raw = resize(s.raw, nt)
	s.ruleRaw = resize(s.ruleRaw, nt)
	s.fraw = resize(s.fraw, nt)
	if cap(s.ev) < nt {
		s.ev = make([][]evidence, nt)
	}
	s.ev = s.ev[:nt]
	for ti := range s.ev {
		s.ev[ti] = s.ev[ti][:0]
	}
	raw, ev := s.raw, s.ev
	s.text = [nFields]string{in.Title, in.Summary, in.Body}
	for f, text := range s.text {
		s.norm[f], s.offs[f] = s.norm[f][:0], s.offs[f][:0]
		if text == "" {
			continue
		}
		c.scoreField(s, f)
		for ti, r := range s.fraw {
			if f == fieldBody {
				r = min(r, bodyCap)
			}
			raw[ti] += r
		}
	}

	ruleRaw := s.ruleRaw
	for ti := range raw {
		ruleRaw[ti] = max(raw[ti], 0)
	}
	mraw := 0.0
	if c.model != nil {
		mraw = c.applyModel(s, raw, ev)
	}

	// The result: topics with a positive score, each with its heaviest
	// evidence, all snippets in one string and all evidence in one array.
	ntop, nev := 0, 0
	s.snip, s.sref, s.skeys = s.snip[:0], s.sref[:0], s.skeys[:0]
	for ti := range raw {
		if max(raw[ti], 0) == 0 {
			continue
		}
		ntop++
		e := ev[ti]
		slices.SortStableFunc(e, func(a, b evidence) int {
			return cmp.Compare(math.Abs(b.weight), math.Abs(a.weight))
		})
		e = e[:min(len(e), maxEvidence)]
		ev[ti] = e
		nev += len(e)
		for _, x := range e {
			s.sref = append(s.sref, s.snippet(x))
		}
	}
	snips := string(s.snip)
	evs := make([]model.Evidence, nev)
	out := model.Classification{Version: c.version, Topics: make([]model.TopicScore, 0, ntop)}
	best, sum := 0.0, 0.0
	k := 0
	for ti, tp := range c.tax.Topics {
		r := max(raw[ti], 0)
		if r == 0 {
			continue // nothing for it, or only counter-evidence
		}
		rr := ruleRaw[ti]
		best = max(best, rr)
		sum += rr
		var te []model.Evidence
		if len(ev[ti]) > 0 {
			te = evs[k : k+len(ev[ti]) : k+len(ev[ti])]
		}
		for j, x := range ev[ti] {
			r := s.sref[k]
			te[j] = model.Evidence{Term: x.term, Field: fieldNames[x.field], Snippet: snips[r.from:r.to], Weight: x.weight}
			k++
		}
		out.Topics = append(out.Topics, model.TopicScore{ID: tp.ID, Score: round4(squash(r)), Evidence: te})
	}
	slices.SortStableFunc(out.Topics, func(a, b model.TopicScore) int { return cmp.Compare(b.Score, a.Score) })
	// Noisy-OR of two witnesses: the rules' overall raw score plus the
	// model's -ln P(not relevant), so 1-score = (1-rules)(1-model).
	overall := squash(best + otherTopicsFactor*(sum-best) + mraw)
	out.Score = round4(overall)
	out.Relevant = overall >= c.threshold
	return out
}

// snipRef is a snippet's range in scratch.snip.
type snipRef struct{ from, to int32 }

// snipKey is the range of a field a snippet shows, and where it is in
// scratch.snip: evidence for several topics, or several terms, at one spot
// shares it.
type snipKey struct {
	field, from, to int
	ref             snipRef
}

// snippet appends x's snippet to s.snip, unless it is there already, and
// returns where it is.
func (s *scratch) snippet(x evidence) snipRef {
	if x.start < 0 {
		return snipRef{}
	}
	from, to, ok := snippetRange(s.text[x.field], s.offs[x.field], int(x.start), int(x.end))
	if !ok {
		return snipRef{}
	}
	for _, k := range s.skeys {
		if k.field == x.field && k.from == from && k.to == to {
			return k.ref
		}
	}
	ref := snipRef{from: int32(len(s.snip))}
	s.snip = appendSnippet(s.snip, s.text[x.field], from, to)
	ref.to = int32(len(s.snip))
	s.skeys = append(s.skeys, snipKey{field: x.field, from: from, to: to, ref: ref})
	return ref
}

// resize returns x with length n, all zero.
func resize(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	x = x[:n]
	clear(x)
	return x
}

// applyModel scores the title and summary with the learned model; adds to
// raw, with "model:<feature>" evidence, the share of the model's raw score
// (-ln P(not relevant) times the topic's probability given relevance) of
// its top topic and of topics with at least minModelTopicQ; discounts the
// rule score of topics the model finds unlikely (see offTopicQ); and
// returns the model's raw score, which counts in full towards the overall
// score. It reads the normalised title and summary from s.
func (c *Classifier) applyModel(s *scratch, raw []float64, ev [][]evidence) float64 {
	m := c.model
	s.mrows, s.mfield = s.mrows[:0], s.mfield[:0]
	for _, fi := range [...]int{fieldTitle, fieldSummary} {
		if s.text[fi] == "" {
			continue
		}
		s.mbuf, s.mrows = m.score(s.norm[fi], s.mbuf, s.mrows)
		for len(s.mfield) < len(s.mrows) {
			s.mfield = append(s.mfield, uint8(fi))
		}
	}
	p := m.probs(s.mrows)
	if p[0] >= 1 {
		return 0
	}
	mraw := -math.Log(p[0])
	top := 0
	for k := 1; k < nModelClasses; k++ {
		if p[k+1] > p[top+1] {
			top = k
		}
	}
	for k := range nModelClasses {
		ti := c.modelTopic[k]
		q := p[k+1] / (1 - p[0])
		if k != top && q < offTopicQ && raw[ti] > 0 {
			cut := raw[ti] * (1 - offTopicKeep)
			raw[ti] -= cut
			ev[ti] = append(ev[ti], evidence{term: offTopicTerm, field: fieldTitle, weight: -round4(cut), start: -1})
		}
		share := mraw * q
		if share < minModelShare || k != top && q < minModelTopicQ {
			continue
		}
		raw[ti] += share
		// Attribute the share to the features in proportion to their
		// positive weight for the class.
		s.mev = s.mev[:0]
		pos := 0.0
		for i, j := range s.mrows {
			if w := float64(m.w[j][k]); w > 0 {
				pos += w
				s.mev = append(s.mev, modelEv{row: int32(i), weight: w})
			}
		}
		if pos == 0 {
			ev[ti] = append(ev[ti], evidence{term: "model", field: fieldTitle, weight: round4(share), start: -1})
			continue
		}
		slices.SortFunc(s.mev, func(a, b modelEv) int { return cmp.Compare(b.weight, a.weight) })
		for _, e := range s.mev[:min(len(s.mev), maxModelEvidence)] {
			ev[ti] = append(ev[ti], evidence{
				term: m.names[s.mrows[e.row]], field: int(s.mfield[e.row]), weight: round4(share * e.weight / pos), start: -1,
			})
		}
	}
	return mraw
}

// squash maps a non-negative raw score to [0,1).
func squash(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) {
		return 0
	}
	return 1 - math.Exp(-raw)
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// scoreField normalises and matches field f of s.text, sets s.fraw to each
// topic's weighted raw score for it and appends its evidence to s.ev.
func (c *Classifier) scoreField(s *scratch, f int) {
	factor := fieldFactors[f]
	clear(s.fraw)
	s.norm[f], s.offs[f] = normalize(s.norm[f], s.offs[f], s.text[f])
	norm := s.norm[f]
	s.raws = c.m.scanHits(norm, s.raws[:0])

	// 1. Raw matches with word boundaries; masks collected apart.
	s.hits, s.masks = s.hits[:0], s.masks[:0]
	for _, rh := range s.raws {
		for _, id := range c.m.outputs(rh.row) {
			end := int(rh.end)
			start := end - int(c.m.plen[id])
			p := &c.pats[id]
			if !p.han {
				if start > 0 && isWordByte(norm[start-1]) {
					continue
				}
				if end < len(norm) && isWordByte(norm[end]) {
					we := end
					for we < len(norm) && isWordByte(norm[we]) {
						we++
					}
					if !p.prefix {
						if suffix := norm[end:we]; string(suffix) != "s" && string(suffix) != "es" {
							continue
						}
					}
					end = we
				}
			}
			if p.uses[0].kind == useMask {
				s.masks = append(s.masks, [2]int{start, end})
			}
			s.hits = append(s.hits, hit{pat: id, start: start, end: end})
		}
	}

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
		uses := c.pats[h.pat].uses
		if uses[0].kind != useMask && masked(s.masks, h.start, h.end) {
			continue
		}
		for _, u := range uses {
			switch u.kind {
			case useTerm:
				s.cands = append(s.cands, cand{topic: u.topic, weight: u.weight, term: u.term, start: h.start, end: h.end, seq: len(s.cands)})
			case useGroup:
				s.groups[u.group] = append(s.groups[u.group], h.start)
			}
		}
	}

	// 3. Heaviest matches first; a match that overlaps a heavier match of
	// another topic, or any accepted match of its own topic, is dropped: one
	// stretch of text counts once, for the topic it fits best ("cyberattack"
	// is hacking, not also generic "cyber*"). Counter-evidence (negative
	// weights) is applied once per term and never blocks anything.
	// (Sorted stably, as seq breaks every tie.)
	slices.SortFunc(s.cands, func(a, b cand) int {
		if a.weight != b.weight {
			return cmp.Compare(b.weight, a.weight)
		}
		if a.topic != b.topic {
			return cmp.Compare(a.topic, b.topic)
		}
		if a.start != b.start {
			return cmp.Compare(a.start, b.start)
		}
		return cmp.Compare(a.seq, b.seq)
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
		s.fraw[cd.topic] += w
		s.ev[cd.topic] = append(s.ev[cd.topic], evidence{
			term: cd.term, field: f, start: int32(cd.start), end: int32(cd.end), weight: round4(w),
		})
	}

	// 4. Co-occurrence rules.
	window := math.MaxInt
	if f == fieldBody {
		window = bodyWindow
	}
	for ti, rules := range c.rules {
		for _, r := range rules {
			at, ok := c.cooccur(s.groups, r.groups, window)
			if !ok {
				continue
			}
			w := r.weight * factor
			s.fraw[ti] += w
			end := at + 1
			for end < len(norm) && isWordByte(norm[end]) {
				end++
			}
			s.ev[ti] = append(s.ev[ti], evidence{
				term: r.term, field: f, start: int32(at), end: int32(end), weight: round4(w),
			})
		}
	}
	for ti := range s.fraw {
		s.fraw[ti] = max(s.fraw[ti], 0)
	}
}

// masked reports whether [start,end) lies inside one of the masks.
func masked(masks [][2]int, start, end int) bool {
	for _, m := range masks {
		if start >= m[0] && end <= m[1] {
			return true
		}
	}
	return false
}

// cooccur reports whether every group matched with all matches within window
// bytes of a match of the first group, and where.
func (c *Classifier) cooccur(pos [][]int, groups []int, window int) (int, bool) {
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
				if q != p && abs(q-p) <= window {
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

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// snippetRange returns the range of the original text a snippet of the
// normalised range [start,end) shows: snippetRadius bytes more each side,
// widened to whole runes.
func snippetRange(text string, offs []int32, start, end int) (from, to int, ok bool) {
	if len(offs) == 0 || start >= len(offs) {
		return 0, 0, false
	}
	os := int(offs[start])
	oe := len(text)
	if end < len(offs) {
		oe = int(offs[end])
	}
	from, to = max(os-snippetRadius, 0), min(oe+snippetRadius, len(text))
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	return from, to, true
}

// appendSnippet appends to b the snippet of text[from:to] (see
// snippetRange): its words joined with single spaces, invalid UTF-8
// replaced, and ellipses where the text was cut. It reads as
// strings.ToValidUTF8(strings.Join(strings.Fields(text[from:to]), " "),
// "\uFFFD") between the ellipses.
func appendSnippet(b []byte, text string, from, to int) []byte {
	if from > 0 {
		b = append(b, "…"...)
	}
	t := text[from:to]
	words := false   // a word was written
	space := false   // white space since the last word
	invalid := false // the last bytes written are a U+FFFD for invalid bytes
	for i := 0; i < len(t); {
		// A run of ASCII other than white space and of valid 3-byte
		// sequences that are not white space (lead byte E4-EC, EE-EF),
		// such as Chinese, with single spaces inside, copied as it is.
		j := i
		for j < len(t) {
			if c := t[j]; c < utf8.RuneSelf {
				if asciiSpace(c) && (c != ' ' || j == i || j+1 == len(t) || !wordStart(t[j+1])) {
					break
				}
				j++
			} else if c >= 0xE4 && c <= 0xEF && c != 0xED && j+2 < len(t) && t[j+1]&0xC0 == 0x80 && t[j+2]&0xC0 == 0x80 {
				j += 3
			} else {
				break
			}
		}
		if j > i {
			if space && words {
				b = append(b, ' ')
			}
			b = append(b, t[i:j]...)
			words, space, invalid = true, false, false
			i = j
			continue
		}
		if t[i] < utf8.RuneSelf { // ASCII white space
			space = true
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		switch {
		case unicode.IsSpace(r):
			space = true
		case r == utf8.RuneError && size == 1:
			if space && words {
				b = append(b, ' ')
				invalid = false
			}
			if !invalid {
				b = append(b, "\uFFFD"...)
			}
			words, space, invalid = true, false, true
		default:
			if space && words {
				b = append(b, ' ')
			}
			b = append(b, t[i:i+size]...)
			words, space, invalid = true, false, false
		}
		i += size
	}
	if to < len(text) {
		b = append(b, "…"...)
	}
	return b
}

// wordStart reports whether c, after a space, starts neither white space
// nor invalid UTF-8 that could be taken for it: ASCII other than white
// space, or the lead byte of a rune above U+3FFF.
func wordStart(c byte) bool {
	return c < utf8.RuneSelf && !asciiSpace(c) || c >= 0xE4
}

// asciiSpace reports the ASCII white space strings.Fields splits at.
func asciiSpace(c byte) bool {
	return c <= ' ' && (1<<c)&(1<<' '|1<<'\t'|1<<'\n'|1<<'\v'|1<<'\f'|1<<'\r') != 0
}
