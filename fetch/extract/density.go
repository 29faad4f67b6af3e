package extract

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The fast generic extractor: a text-density scorer in the spirit of
// readability, run on the tree that metadata reading already parsed. It
// scores paragraphs by their length and punctuation, gives the score to the
// enclosing blocks, weighs each block by the share of its text that is not
// link text, and takes the best block (with its siblings that score
// nearly as well) as the article. A quality gate then decides whether the
// result can be trusted; when it cannot, the page goes to go-trafilatura
// (generic.go), which is about ten times slower.
//
// The gate accepts only pages whose structure leaves no doubt: one block
// that holds nearly all of the page's paragraph text, several paragraphs,
// little link text and no competing block. The thresholds were set on
// extraction-dev so that F1 does not drop (TestFastGateQuality reports the
// pages where the two disagree).

// Fast-path thresholds.
const (
	// minParaBytes is the least text (bytes of UTF-8, spaces excluded) a
	// paragraph needs to score: a Chinese character counts three, which
	// matches its information against a Latin letter well enough.
	minParaBytes = 60
	// gateMinBytes is the least text the fast result needs to be
	// accepted (about 170 Chinese characters or a short English article).
	gateMinBytes = 500
	// gateMinParas is the least number of scoring paragraphs in the
	// chosen blocks.
	gateMinParas = 3
	// gateCoverage is the least share of the page's paragraph text that
	// must lie inside the chosen blocks.
	gateCoverage = 0.85
	// gateMaxLinkDensity is the most link text the chosen blocks may hold.
	gateMaxLinkDensity = 0.2
	// gateRunnerUp is how much better than any block outside it the
	// chosen block must score.
	gateRunnerUp = 2.0
	// dropLinkDensity: an element inside the article with at least this
	// share of link text (and little text) is navigation or a teaser list.
	dropLinkDensity = 0.5
	// dropLinkMaxBytes is the most text such a link-dense element may hold
	// to be dropped.
	dropLinkMaxBytes = 600
)

// nodeStat is what the scan measured of one element: its visible text
// (bytes without white space), the part of it inside links, its
// punctuation, the paragraph score it collected, and the paragraph text
// of its subtree.
type nodeStat struct {
	text, link, punct int
	score             float64
	paraBytes         int
	paras             int
	scored            bool
}

// densityScan holds the per-element statistics of one page.
type densityScan struct {
	stats map[*html.Node]*nodeStat
	// pool backs the stats so that the map's values are not one allocation
	// each.
	pool []nodeStat
	// totalPara is the paragraph text of the whole page.
	totalPara int
}

func (s *densityScan) stat(n *html.Node) *nodeStat {
	if st, ok := s.stats[n]; ok {
		return st
	}
	if len(s.pool) == cap(s.pool) {
		s.pool = make([]nodeStat, 0, max(64, cap(s.pool)))
	}
	s.pool = append(s.pool, nodeStat{})
	st := &s.pool[len(s.pool)-1]
	s.stats[n] = st
	return st
}

// fastResult is the fast extractor's text and whether the gate let it
// through (reason says why not).
type fastResult struct {
	text   string
	ok     bool
	reason string
}

// fastExtract runs the density scorer on body (the <body> element, or the
// document) and applies the gate.
func fastExtract(body *html.Node) fastResult {
	if body == nil {
		return fastResult{reason: "no body"}
	}
	s := &densityScan{stats: make(map[*html.Node]*nodeStat, 256)}
	s.scan(body, 0, false)

	// The best candidate, and the best one that neither contains it nor
	// lies inside it.
	var top *html.Node
	var topScore float64
	for n, st := range s.stats {
		if !st.scored {
			continue
		}
		f := st.score * (1 - s.linkDensity(st)) * classWeight(n)
		if f > topScore || (f == topScore && top != nil && before(n, top)) {
			top, topScore = n, f
		}
	}
	if top == nil || topScore <= 0 {
		return fastResult{reason: "no candidate"}
	}
	// A candidate that is a single paragraph's parent inside a bigger
	// article block: climb while the parent holds clearly more paragraph
	// text with low link density.
	for p := top.Parent; p != nil && p != body.Parent; p = p.Parent {
		ps := s.stats[p]
		ts := s.stats[top]
		if ps == nil || ps.paraBytes < ts.paraBytes*5/4 || s.linkDensity(ps) > gateMaxLinkDensity {
			break
		}
		top = p
	}
	var runnerUp float64
	for n, st := range s.stats {
		if !st.scored || contains(top, n) || contains(n, top) {
			continue
		}
		if f := st.score * (1 - s.linkDensity(st)) * classWeight(n); f > runnerUp {
			runnerUp = f
		}
	}
	ts := s.stats[top]

	var b textBuilder
	s.write(&b, top, 0)
	text := b.String()

	res := fastResult{text: text}
	switch {
	case ts.paraBytes < gateMinBytes:
		res.reason = "short"
	case ts.paras < gateMinParas:
		res.reason = "few paragraphs"
	case float64(ts.paraBytes) < gateCoverage*float64(s.totalPara):
		res.reason = "paragraph text outside the block"
	case s.linkDensity(ts) > gateMaxLinkDensity:
		res.reason = "link dense"
	case runnerUp*gateRunnerUp > topScore:
		res.reason = "competing block"
	case len(text) < gateMinBytes:
		res.reason = "short after cleaning"
	default:
		res.ok = true
	}
	return res
}

func (s *densityScan) linkDensity(st *nodeStat) float64 {
	if st.text == 0 {
		return 0
	}
	return float64(st.link) / float64(st.text)
}

// contains reports whether n is a or lies under it.
func contains(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// before reports whether a comes before b in document order (used only to
// break ties, so that the result does not depend on map order).
func before(a, b *html.Node) bool {
	for n := a; n != nil; n = nextNode(nil, n) {
		if n == b {
			return true
		}
	}
	return false
}

// paraAtoms are the elements whose text is scored as a paragraph.
var paraAtoms = map[atom.Atom]bool{atom.P: true, atom.Pre: true, atom.Blockquote: true, atom.Td: true}

// scanned is what scan returns for a subtree: its visible text, link text
// and punctuation, and whether it holds a scored paragraph.
type scanned struct {
	text, link, punct int
	hasPara           bool
}

// scan measures n's subtree, records element statistics and distributes
// paragraph scores to ancestors.
func (s *densityScan) scan(n *html.Node, depth int, inLink bool) (r scanned) {
	if depth > maxWalkDepth {
		return
	}
	switch n.Type {
	case html.TextNode:
		r.text, r.punct = measureText(n.Data)
		if inLink {
			r.link = r.text
		}
		return
	case html.ElementNode, html.DocumentNode:
	default:
		return
	}
	a := elemAtom(n)
	if n.Type == html.ElementNode && (skipAtoms[a] || hidden(n)) {
		return
	}
	if a == atom.A {
		inLink = true
	}
	hasBlock := false
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		cr := s.scan(c, depth+1, inLink)
		r.text += cr.text
		r.link += cr.link
		r.punct += cr.punct
		r.hasPara = r.hasPara || cr.hasPara
		if c.Type == html.ElementNode && blockAtoms[c.DataAtom] {
			hasBlock = true
		}
	}
	if n.Type != html.ElementNode || r.text == 0 {
		return
	}
	st := s.stat(n)
	st.text, st.link, st.punct = r.text, r.link, r.punct
	// A paragraph: a <p>-like element, or a <div> holding text but no
	// blocks (readability's rule), long enough and mostly not links. One
	// that holds a paragraph itself is not one: its inner paragraphs
	// counted already.
	para := paraAtoms[a] || (a == atom.Div && !hasBlock)
	if !para || r.hasPara || r.text < minParaBytes || boilerClass(n) || float64(r.link) > 0.5*float64(r.text) {
		return
	}
	r.hasPara = true
	st.paraBytes += r.text
	st.paras++
	s.totalPara += r.text
	score := 1 + float64(r.punct) + min(float64(r.text)/100, 3)
	div := 1.0
	for p, i := n.Parent, 0; p != nil && i < 3 && p.Type == html.ElementNode; p, i = p.Parent, i+1 {
		ps := s.stat(p)
		if !ps.scored {
			ps.scored = true
			ps.score += tagWeight(p)
		}
		ps.score += score / div
		div++
	}
	// Every ancestor counts the paragraph's text, for the coverage test.
	for p := n.Parent; p != nil && p.Type == html.ElementNode; p = p.Parent {
		ps := s.stat(p)
		ps.paraBytes += r.text
		ps.paras++
	}
	return
}

// measureText counts bytes other than white space and the punctuation that
// separates clauses, in English and Chinese.
func measureText(s string) (text, punct int) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case ' ', '\t', '\n', '\r', '\f', '\v':
				continue
			case ',', ';':
				punct++
			}
			text++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '\u00a0', '\u3000', '\u200b', '\ufeff':
			continue
		case '，', '、', '；', '。':
			punct++
		}
		text += size
	}
	return
}

// tagWeight is readability's start score of a block by its tag.
func tagWeight(n *html.Node) float64 {
	switch n.DataAtom {
	case atom.Div, atom.Article, atom.Main, atom.Section:
		return 5
	case atom.Pre, atom.Td, atom.Blockquote:
		return 3
	case atom.Address, atom.Ol, atom.Ul, atom.Dl, atom.Dd, atom.Dt, atom.Li, atom.Form:
		return -3
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Th:
		return -5
	}
	return 0
}

// Class and id words that mark article text, and boilerplate.
var (
	goodWords  = []string{"article", "content", "body", "entry", "main", "post", "text", "story", "detail", "zw", "neirong"}
	boilWords  = []string{"comment", "footer", "sidebar", "related", "share", "social", "sponsor", "advert", "promo", "banner", "breadcrumb", "menu", "nav", "recommend", "newsletter", "subscribe", "popular", "most-read", "toolbar", "copyright", "tags", "cookie", "pagination", "widget", "hot"}
	articleTag = map[atom.Atom]bool{atom.Article: true, atom.Main: true}
)

// classWeight scales a candidate by what its class and id say.
func classWeight(n *html.Node) float64 {
	w := 1.0
	if articleTag[n.DataAtom] {
		w *= 1.25
	}
	cls := classID(n)
	if cls == "" {
		return w
	}
	if hasWord(cls, boilWords) {
		w *= 0.5
	}
	if hasWord(cls, goodWords) {
		w *= 1.25
	}
	return w
}

// boilerClass reports an element whose class or id names boilerplate.
func boilerClass(n *html.Node) bool {
	cls := classID(n)
	return cls != "" && hasWord(cls, boilWords) && !hasWord(cls, goodWords)
}

// classID is the element's class and id, lower case.
func classID(n *html.Node) string {
	var c, id string
	for _, a := range n.Attr {
		switch a.Key {
		case "class":
			c = a.Val
		case "id":
			id = a.Val
		}
	}
	if c == "" && id == "" {
		return ""
	}
	return strings.ToLower(c + " " + id)
}

func hasWord(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// dropAtoms are left out of the fast result wherever they appear.
var dropAtoms = map[atom.Atom]bool{
	atom.Nav: true, atom.Aside: true, atom.Footer: true, atom.Form: true, atom.Figure: true,
	atom.Figcaption: true,
}

// write renders the article block's text, leaving out boilerplate inside it.
func (s *densityScan) write(b *textBuilder, n *html.Node, depth int) {
	if depth > maxWalkDepth {
		return
	}
	switch n.Type {
	case html.TextNode:
		b.write(n.Data)
		return
	case html.ElementNode:
	default:
		return
	}
	a := elemAtom(n)
	if skipAtoms[a] || hidden(n) || (depth > 0 && dropAtoms[a]) {
		return
	}
	block := blockAtoms[a]
	if depth > 0 {
		st := s.stats[n]
		if st == nil {
			// No text at all below it.
			return
		}
		// Only blocks are judged: a link or a span inside a paragraph is
		// part of its sentence.
		if !block {
			st = &nodeStat{paraBytes: 1}
		}
		if st.paraBytes == 0 && boilerClass(n) {
			return
		}
		if st.paraBytes == 0 && st.text <= dropLinkMaxBytes && float64(st.link) >= dropLinkDensity*float64(st.text) {
			return
		}
	}
	if block {
		b.flush()
	}
	if a == atom.Td || a == atom.Th {
		b.pendingSpace = true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		s.write(b, c, depth+1)
	}
	if block {
		b.flush()
	}
}
