package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	nurl "net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/fetch/dates"
	"github.com/wirewatch/wirewatch/internal/corpus"
	"github.com/wirewatch/wirewatch/model"
)

// This file keeps the code that the one-walk metadata index, the compiled
// site rules and the one-buffer text builder replaced, as it was, and
// compares the two on the corpora, the feed farm's pages and random input.

// refTextBuilder is the former textBuilder: paragraphs joined at the end.
type refTextBuilder struct {
	paras        []string
	cur          strings.Builder
	pendingSpace bool
}

func (b *refTextBuilder) flush() {
	s := strings.TrimSpace(b.cur.String())
	if s != "" {
		b.paras = append(b.paras, s)
	}
	b.cur.Reset()
	b.pendingSpace = false
}

func (b *refTextBuilder) write(s string) {
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			b.pendingSpace = true
			continue
		}
		if r == utf8.RuneError || unicode.IsControl(r) {
			if r == utf8.RuneError {
				b.cur.WriteRune(r)
			}
			continue
		}
		if b.pendingSpace && b.cur.Len() > 0 {
			b.cur.WriteByte(' ')
		}
		b.pendingSpace = false
		b.cur.WriteRune(r)
	}
}

func (b *refTextBuilder) String() string {
	b.flush()
	return strings.Join(b.paras, "\n\n")
}

func refNodeText(nodes ...*html.Node) string {
	var b refTextBuilder
	for _, n := range nodes {
		refWalk(&b, n, 0)
		b.flush()
	}
	return b.String()
}

func refWalk(b *refTextBuilder, n *html.Node, depth int) {
	if depth > maxWalkDepth {
		return
	}
	var a atom.Atom
	switch n.Type {
	case html.TextNode:
		b.write(n.Data)
		return
	case html.ElementNode:
		a = elemAtom(n)
		if skipAtoms[a] || hidden(n) {
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	block := n.Type == html.ElementNode && blockAtoms[a]
	if block {
		b.flush()
	}
	if a == atom.Td || a == atom.Th {
		b.pendingSpace = true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		refWalk(b, c, depth+1)
	}
	if block {
		b.flush()
	}
}

func refCleanTitle(t string) string {
	orig := cleanLine(t)
	t = reHanDash.ReplaceAllString(orig, "$1 - $2")
	parts := reTitleSep.Split(t, -1)
	if len(parts) < 2 {
		return orig
	}
	locs := reTitleSep.FindAllStringIndex(t, -1)
	last := locs[len(locs)-1]
	tail := t[last[1]:]
	if isSiteName(tail) && refRuneCount(t[:last[0]]) >= 2*refRuneCount(tail)/3 && refRuneCount(t[:last[0]]) > 4 {
		return refCleanTitle(strings.TrimSpace(t[:last[0]]))
	}
	first := locs[0]
	head := t[:first[0]]
	if isSiteName(head) && refRuneCount(t[first[1]:]) > 2*refRuneCount(head) {
		return strings.TrimSpace(t[first[1]:])
	}
	return orig
}

func TestCleanTitleMatchesFormer(t *testing.T) {
	pieces := []string{"China", " issues new rules", " ", "-", " - ", "--", "|", " | ", "_", "｜", "–", "—", "标题", "新华网",
		"中国日报网", "Xinhua", "Global Times", " ", "	", "a", "网络安全审查办法发布"}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var s strings.Builder
		for range rng.IntN(8) {
			s.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if got, want := cleanTitle(s.String()), refCleanTitle(s.String()); got != want {
			t.Fatalf("cleanTitle(%q) = %q, former code %q", s.String(), got, want)
		}
	}
}

func refRuneCount(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func refMetaContent(doc *goquery.Document, keys ...string) string {
	metas := doc.Find("meta")
	for _, k := range keys {
		var found string
		metas.EachWithBreak(func(_ int, s *goquery.Selection) bool {
			for _, attr := range []string{"property", "name", "itemprop", "http-equiv"} {
				if v, ok := s.Attr(attr); ok && strings.EqualFold(strings.TrimSpace(v), k) {
					if c := cleanLine(s.AttrOr("content", "")); c != "" {
						found = c
						return false
					}
				}
			}
			return true
		})
		if found != "" {
			return found
		}
	}
	return ""
}

func refReadJSONLD(doc *goquery.Document) jsonLD {
	var out jsonLD
	doc.Find(`script[type="application/ld+json"]`).Each(func(_ int, s *goquery.Selection) {
		var v any
		if json.Unmarshal([]byte(s.Text()), &v) != nil {
			return
		}
		walkJSONLD(v, &out, 0)
	})
	return out
}

func refRuleField(doc *goquery.Document, selectors string) string {
	for _, sel := range splitSelectors(selectors) {
		var found string
		doc.Find(sel).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			if t := cleanLine(refNodeText(s.Nodes...)); t != "" {
				found = t
				return false
			}
			return true
		})
		if found != "" {
			return found
		}
	}
	return ""
}

func refTryAll(doc *goquery.Document, selectors string, try func(string) bool) bool {
	for _, sel := range splitSelectors(selectors) {
		ok := false
		doc.Find(sel).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			ok = try(cleanLine(refNodeText(s.Nodes...)))
			return !ok
		})
		if ok {
			return true
		}
	}
	return false
}

func refReadMetadata(doc *goquery.Document, u *nurl.URL, rule *model.SiteRule, now time.Time) model.Extracted {
	var out model.Extracted
	ld := refReadJSONLD(doc)
	htmlLang := strings.TrimSpace(doc.Find("html").AttrOr("lang", ""))
	if htmlLang == "" {
		htmlLang = refMetaContent(doc, "content-language", "og:locale", "dc.language", "language")
	}
	out.Lang = normLang(htmlLang)
	docTitle := cleanLine(doc.Find("title").First().Text())
	var candidates []string
	if rule != nil && rule.Title != "" {
		candidates = append(candidates, refRuleField(doc, rule.Title))
	}
	candidates = append(candidates,
		refMetaContent(doc, "og:title", "twitter:title"),
		cleanLine(ld.headline),
		cleanLine(doc.Find("h1").First().Text()),
		refCleanTitle(docTitle),
	)
	for _, c := range candidates {
		if c != "" {
			out.Title = refCleanTitle(c)
			break
		}
	}
	if rule != nil && rule.Byline != "" {
		out.Byline = refRuleField(doc, rule.Byline)
	}
	if out.Byline == "" {
		out.Byline = refMetaContent(doc, "author", "article:author", "dc.creator", "byl", "sailthru.author")
		if strings.HasPrefix(out.Byline, "http") {
			out.Byline = ""
		}
	}
	if out.Byline == "" {
		out.Byline = ld.author
	}
	loc := time.UTC
	if out.Lang == "zh" || (u != nil && chineseHost(u.Hostname())) || (rule != nil && len(rule.Hosts) > 0 && chineseHost(rule.Hosts[0])) {
		loc = dates.Beijing()
	}
	try := func(s, layout string) bool {
		if s == "" {
			return false
		}
		t, err := dates.Parse(s, layout, loc)
		if err != nil || !dates.Plausible(t, now) {
			return false
		}
		out.Published = &t
		return true
	}
	switch {
	case rule != nil && rule.Date != "" && refTryAll(doc, rule.Date, func(s string) bool { return try(s, rule.DateLayout) }):
	case try(refMetaContent(doc, "article:published_time", "og:article:published_time", "datePublished", "publishdate", "PubDate", "pubdate", "publish-date", "dc.date.issued", "dc.date", "date", "sailthru.date", "parsely-pub-date"), ""):
	case try(ld.datePublished, ""):
	case try(doc.Find("time[datetime]").First().AttrOr("datetime", ""), ""):
	default:
		body := doc.Find("body").First()
		text := cleanLine(body.Text())
		if len(text) > 200_000 {
			text = text[:200_000]
		}
		for _, m := range reChineseDate.FindAllString(text, 5) {
			if try(m, "") {
				break
			}
		}
	}
	if href, ok := doc.Find(`link[rel="canonical"]`).First().Attr("href"); ok && u != nil {
		if c, err := u.Parse(strings.TrimSpace(href)); err == nil && (c.Scheme == "http" || c.Scheme == "https") && sameSite(u.Hostname(), c.Hostname()) {
			c.Fragment = ""
			out.CanonicalURL = c.String()
		}
	}
	return out
}

func refRuleText(doc *goquery.Document, rule *model.SiteRule) string {
	for _, sel := range splitSelectors(rule.Body) {
		s := doc.Find(sel)
		if s.Length() == 0 {
			continue
		}
		if rule.Remove != "" {
			s.Find(rule.Remove).Remove()
		}
		s = s.FilterFunction(func(_ int, x *goquery.Selection) bool {
			return x.ParentsFiltered(sel).Length() == 0
		})
		if text := refNodeText(s.Nodes...); refRuneCount(text) >= MinRuleText {
			return text
		}
	}
	return ""
}

func refDeclaredURL(doc *goquery.Document) *nurl.URL {
	cands := []string{
		refMetaContent(doc, "og:url", "twitter:url"),
		doc.Find(`link[rel="canonical"]`).First().AttrOr("href", ""),
		doc.Find("base[href]").First().AttrOr("href", ""),
	}
	for _, c := range cands {
		u, err := nurl.Parse(strings.TrimSpace(c))
		if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			u.Fragment = ""
			return u
		}
	}
	return nil
}

// refAnalysis is what the former code made of a page before the generic
// extractor: the metadata and the site rule's text.
type refAnalysis struct {
	Meta     model.Extracted
	RuleText string
	Declared string
	BodyText string
}

func parsePruned(t testing.TB, page []byte) *html.Node {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(bytes.ToValidUTF8(page, []byte("\uFFFD"))))
	if err != nil {
		t.Fatal(err)
	}
	prune(root, maxTreeDepth)
	return root
}

// analyse runs the old (ref) or the new code on page, each on a tree of its
// own because the rule's remove selector changes the tree.
func analyse(t testing.TB, page []byte, u *nurl.URL, rules *Rules, now time.Time, ref bool) refAnalysis {
	root := parsePruned(t, page)
	doc := goquery.NewDocumentFromNode(root)
	var rule *model.SiteRule
	if u != nil {
		rule = rules.For(u.Hostname())
	}
	var a refAnalysis
	if ref {
		if d := refDeclaredURL(doc); d != nil {
			a.Declared = d.String()
		}
		a.BodyText = refNodeText(root)
		a.Meta = refReadMetadata(doc, u, rule, now)
		if rule != nil {
			a.RuleText = refRuleText(doc, rule)
		}
		return a
	}
	ix := indexPage(root)
	if d := declaredURL(ix); d != nil {
		a.Declared = d.String()
	}
	a.BodyText = nodeText(root)
	var crule *compiledRule
	if rule != nil {
		crule = rules.compiledFor(rule)
	}
	a.Meta = readMetadata(doc, ix, u, rule, crule, now)
	if rule != nil {
		a.RuleText = ruleText(doc, crule)
	}
	return a
}

func compareAnalysis(t *testing.T, name string, page []byte, pageURL string, rules *Rules) {
	t.Helper()
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	u, err := nurl.Parse(pageURL)
	if err != nil || u.Host == "" {
		u = nil
	}
	want := analyse(t, page, u, rules, now, true)
	got := analyse(t, page, u, rules, now, false)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: new code differs from the former:\n got %s\nwant %s", name, summary(got), summary(want))
	}
}

func summary(a refAnalysis) string {
	pub := "nil"
	if a.Meta.Published != nil {
		pub = a.Meta.Published.String()
	}
	return fmt.Sprintf("title %q byline %q lang %q published %s canonical %q declared %q rule text %q body text %q",
		a.Meta.Title, a.Meta.Byline, a.Meta.Lang, pub, a.Meta.CanonicalURL, a.Declared, head(a.RuleText), head(a.BodyText))
}

// TestMatchesFormerCodeOnCorpora compares metadata, declared address, rule
// text and whole-page text of every corpus page under the default rules,
// with and without the page's address.
func TestMatchesFormerCodeOnCorpora(t *testing.T) {
	dir, pages, rules := loadEvalRules(t)
	files := map[string]string{}
	for _, p := range pages {
		files[filepath.Join(dir, p.File)] = p.URL
	}
	root := corpus.Dir(t, ".")
	for _, p := range []string{"newspaper4k/html/*.html", "readability/test/test-pages/*/source.html", "miniflux/*/*/*/testdata/*.html"} {
		m, _ := filepath.Glob(filepath.Join(root, p))
		for _, f := range m {
			if _, ok := files[f]; !ok {
				files[f] = ""
			}
		}
	}
	// Under the rules of the pages' own hosts, and under every rule, so
	// that each rule's selectors run on many pages.
	all := rules.All()
	for f, u := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue // evaldata.json lists a few pages the corpus lacks
		}
		page, _, err := charset.DecodeHTML(raw, "")
		if err != nil {
			continue
		}
		name := filepath.Base(f)
		compareAnalysis(t, name, page, u, rules)
		compareAnalysis(t, name+" (raw bytes)", raw, u, rules)
		r := all[len(name)%len(all)]
		one, err := NewRules([]model.SiteRule{r})
		if err != nil {
			t.Fatal(err)
		}
		compareAnalysis(t, name+" (rule of "+r.Outlet+")", page, "http://"+r.Hosts[0]+"/a.html", one)
	}
}

func TestMatchesFormerCodeOnFarmPages(t *testing.T) {
	pages := farmPages(t)
	rules := farmRules(t)
	for _, p := range pages {
		page, _, err := charset.DecodeHTML(p.Body, p.ContentType)
		if err != nil {
			t.Fatal(err)
		}
		compareAnalysis(t, p.URL, page, p.URL, rules)
	}
}

// TestTextBuilderMatchesFormer writes random pieces of text, with paragraph
// breaks between some, into both builders.
func TestTextBuilderMatchesFormer(t *testing.T) {
	pieces := []string{
		"a", "word", "Zebra!", " ", "  ", "\t", "\n", "\r\n", "\v", "\f", "\u00a0", "\u0085", "\u2003", "\u3000",
		"\u200b", "\ufeff", "\x00", "\x1b", "\x7f", "\u0080", "\u009f", "\ufffd", "\xff", "\xe4\xb8", "网络安全",
		"，", "é", "\u2028", "\u1680", "x\u0301", "\U0001F600",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var b textBuilder
		var r refTextBuilder
		var log []string
		for range rng.IntN(12) {
			if rng.IntN(4) == 0 {
				b.flush()
				r.flush()
				log = append(log, "|")
				continue
			}
			var s strings.Builder
			for range 1 + rng.IntN(6) {
				s.WriteString(pieces[rng.IntN(len(pieces))])
			}
			b.write(s.String())
			r.write(s.String())
			log = append(log, s.String())
		}
		if got, want := b.String(), r.String(); got != want {
			t.Fatalf("writes %q: got %q, want %q", log, got, want)
		}
	}
}

func TestRuneHelpersMatchUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		if isSpace(r) != unicode.IsSpace(r) {
			t.Errorf("isSpace(%U) = %v", r, isSpace(r))
		}
		if isControl(r) != unicode.IsControl(r) {
			t.Errorf("isControl(%U) = %v", r, isControl(r))
		}
	}
	for _, s := range []string{"", " ", "a b", "网络 安全\u3000x", "\xff\xfe", strings.Repeat("ab ", 100)} {
		if got, want := runeCount(s), refRuneCount(s); got != want {
			t.Errorf("runeCount(%q) = %d, want %d", s, got, want)
		}
		for _, limit := range []int{0, 1, 3, 40} {
			if got, want := runeCountUpTo(s, limit), min(refRuneCount(s), limit); got != want {
				t.Errorf("runeCountUpTo(%q, %d) = %d, want %d", s, limit, got, want)
			}
		}
	}
}
