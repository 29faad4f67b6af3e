// Package extract takes the article out of a fetched page: its main text,
// title, byline, publication time, language and canonical URL.
//
// The text comes from the outlet's site rule (CSS selectors from the
// catalogue) when one matches the page's host and yields text, otherwise
// from the generic path: a text-density scorer on the same parsed tree
// (density.go), kept when its quality gate trusts it, and go-trafilatura
// (chosen by measurement on the extraction-dev corpus, generic.go) on a
// copy of the tree when not. The caller falls back to the feed's summary
// with FromSummary when all fail. Without the page's address the
// rule is picked by the address the page declares or by the outlet its
// links point to (site.go). The quality is measured by shingle F1 against
// full gold texts (shingle_test.go) and by extraction-dev's snippets
// (eval_test.go).
package extract

import (
	"bytes"
	"errors"
	"fmt"
	nurl "net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/internal/runes"
	"github.com/wirewatch/wirewatch/model"
)

// MaxInput is the most page bytes Extract looks at; the rest is cut off so
// that a huge page costs bounded time and memory.
const MaxInput = 5 << 20

// MinRuleText is the least text (non-space runes) a site rule must yield to
// be trusted; less means the outlet changed its markup or the page is not an
// article, and the generic extractor is tried.
const MinRuleText = 40

// Methods recorded in model.Extracted.Method.
const (
	MethodRule    = "rule"
	MethodGeneric = "generic"
	MethodSummary = "summary"
)

// ErrNoText is returned when neither the site rule nor the generic extractor
// found any text; the returned Extracted still carries the metadata found.
var ErrNoText = errors.New("extract: no article text found")

// Page decodes raw page bytes (charset.DecodeHTML with the response's
// Content-Type) and extracts the article: the one code path shared by the
// daemon and `wirewatch extract`.
func Page(raw []byte, contentType, pageURL string, rules *Rules) (model.Extracted, error) {
	page, _, err := charset.DecodeHTML(raw, contentType)
	if err != nil {
		return model.Extracted{}, fmt.Errorf("extract: %s: %w", pageURL, err)
	}
	return Extract(page, pageURL, rules)
}

// Caps on the metadata fields an article page gives (a hostile page can put
// megabytes in its <title>): the same 1,000 runes as feed titles, and 500
// for a byline, like a feed's author.
const (
	MaxTitleRunes  = 1000
	MaxBylineRunes = 500
)

// FromSummary builds the last-resort result from a feed item's title and
// summary (which may hold HTML).
func FromSummary(title, summary string) model.Extracted {
	text := summary
	if strings.ContainsAny(summary, "<&") {
		if doc, err := html.Parse(strings.NewReader(summary)); err == nil {
			text = nodeText(doc)
		}
	} else {
		var b textBuilder
		for _, p := range strings.Split(summary, "\n\n") {
			b.write(p)
			b.flush()
		}
		text = b.String()
	}
	return model.Extracted{
		Title:  runes.Prefix(cleanLine(title), MaxTitleRunes),
		Lang:   scriptLang(title + " " + text),
		Text:   text,
		Method: MethodSummary,
	}
}

// Extract extracts the article from page, which must already be UTF-8 (see
// Page). pageURL is the page's address; it picks the site rule and resolves
// the canonical link. rules may be nil. Extract never panics; when no text
// is found it returns the metadata with ErrNoText.
func Extract(page []byte, pageURL string, rules *Rules) (model.Extracted, error) {
	return extract(page, pageURL, rules, ModeDefault, time.Now())
}

func extract(page []byte, pageURL string, rules *Rules, mode GenericMode, now time.Time) (out model.Extracted, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("extract: %s: panic: %v", pageURL, r)
		}
	}()
	if len(page) > MaxInput {
		page = page[:MaxInput]
	}
	if !utf8.Valid(page) {
		page = bytes.ToValidUTF8(page, []byte("\uFFFD"))
	}
	u, perr := nurl.Parse(pageURL)
	if perr != nil || u.Host == "" {
		u = nil
	}
	// Script contents are cut before parsing: nothing reads them, and
	// they are often most of a page's bytes (scripts.go).
	root, err := html.Parse(bytes.NewReader(emptyScripts(page)))
	if err != nil {
		return out, fmt.Errorf("extract: %s: parse HTML: %w", pageURL, err)
	}
	prune(root, maxTreeDepth)
	doc := goquery.NewDocumentFromNode(root)
	ix := indexPage(root)

	// Without an address, take the one the page declares, or failing that
	// the outlet its links point to, so that the site rule still applies.
	if u == nil {
		u = declaredURL(ix)
	}
	var rule *model.SiteRule
	if u != nil {
		rule = rules.For(u.Hostname())
	}
	if rule == nil && pageURL == "" {
		rule = voteRule(doc, rules)
	}
	var crule *compiledRule
	if rule != nil {
		crule = rules.compiledFor(rule)
	}
	out = readMetadata(doc, ix, u, rule, crule, now)
	out.Title, out.Byline = runes.Prefix(out.Title, MaxTitleRunes), runes.Prefix(out.Byline, MaxBylineRunes)

	if rule != nil {
		if text := ruleText(doc, crule); text != "" {
			out.Text, out.Method = text, MethodRule
		}
	}
	if out.Text == "" && mode == ModeDefault {
		body := ix.body
		if body == nil {
			body = root
		}
		if fast := fastExtract(body); fast.ok {
			out.Text, out.Method = fast.text, MethodGeneric
		}
	}
	if out.Text == "" {
		text, gerr := generic(root, u, mode)
		if text == "" {
			if gerr != nil {
				return out, fmt.Errorf("extract: %s: %w: %w", pageURL, ErrNoText, gerr)
			}
			return out, fmt.Errorf("extract: %s: %w", pageURL, ErrNoText)
		}
		out.Text, out.Method = text, MethodGeneric
	}
	out.Text = dropTitleLine(out.Text, out.Title)
	if out.Lang == "" {
		out.Lang = scriptLang(out.Title + " " + out.Text)
	}
	return out, nil
}

// ruleText applies a site rule's body selector (after its remove selector).
// Several selectors separated by commas are tried in order; the first that
// yields text (at least MinRuleText) wins; "" when none does.
func ruleText(doc *goquery.Document, rule *compiledRule) string {
	for _, m := range rule.body {
		s := doc.FindMatcher(m)
		if s.Length() == 0 {
			continue
		}
		if rule.remove != nil {
			s.FindMatcher(rule.remove).Remove()
		}
		// Nested matches (a container and its child) would repeat text.
		nodes := make([]*html.Node, 0, len(s.Nodes))
		for _, n := range s.Nodes {
			if !hasAncestor(n, m) {
				nodes = append(nodes, n)
			}
		}
		if text := nodeText(nodes...); runeCountUpTo(text, MinRuleText) >= MinRuleText {
			return text
		}
	}
	return ""
}

// hasAncestor reports whether an element above n matches m.
func hasAncestor(n *html.Node, m goquery.Matcher) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && m.Match(p) {
			return true
		}
	}
	return false
}

// ruleField returns the first non-empty cleaned text of a selector list.
func ruleField(doc *goquery.Document, selectors []goquery.Matcher) string {
	for _, m := range selectors {
		for _, n := range doc.FindMatcher(m).Nodes {
			if t := cleanLine(nodeText(n)); t != "" {
				return t
			}
		}
	}
	return ""
}

// splitSelectors splits a selector group at top-level commas, so each
// alternative can be tried in order of preference.
func splitSelectors(group string) []string {
	var out []string
	depth, start := 0, 0
	var quote rune
	for i, r := range group {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			depth--
		case r == ',' && depth == 0:
			if s := strings.TrimSpace(group[start:i]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(group[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// maxTreeDepth is how deep the parsed tree may nest; deeper subtrees are
// flattened (see flatten), so recursive extractors never walk them, while a
// paragraph wrapped in hundreds of <div>s keeps its text.
const maxTreeDepth = 256

// prune flattens the tree below maxDepth, iteratively.
func prune(root *html.Node, maxDepth int) {
	type item struct {
		n *html.Node
		d int
	}
	stack := []item{{root, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.d >= maxDepth {
			flatten(it.n)
			continue
		}
		for c := it.n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, item{c, it.d + 1})
		}
	}
}

// flattenKeep are the blocks flatten keeps, each with its text only.
var flattenKeep = map[atom.Atom]bool{
	atom.P: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Li: true, atom.Blockquote: true, atom.Pre: true, atom.Td: true, atom.Th: true, atom.Figcaption: true,
}

// flatten replaces the subtree under n by its text blocks in document
// order, as n's children: every kept block (with its text as one text
// node) and every run of text outside one. Wrappers, scripts, styles and
// comments go.
func flatten(n *html.Node) {
	var out []*html.Node
	var stack []*html.Node
	for c := n.LastChild; c != nil; c = c.PrevSibling {
		stack = append(stack, c)
	}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch {
		case c.Type == html.TextNode:
			if strings.TrimSpace(c.Data) != "" {
				out = append(out, &html.Node{Type: html.TextNode, Data: c.Data})
			}
		case c.Type != html.ElementNode || c.DataAtom == atom.Script || c.DataAtom == atom.Style || c.DataAtom == atom.Template:
		case flattenKeep[c.DataAtom]:
			k := &html.Node{Type: html.ElementNode, DataAtom: c.DataAtom, Data: c.Data}
			k.AppendChild(&html.Node{Type: html.TextNode, Data: subtreeText(c)})
			out = append(out, k)
		default:
			for g := c.LastChild; g != nil; g = g.PrevSibling {
				stack = append(stack, g)
			}
		}
	}
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		n.RemoveChild(c)
		c = next
	}
	for _, k := range out {
		n.AppendChild(k)
	}
}

// subtreeText is the text under n, iteratively (n may nest deeply).
func subtreeText(n *html.Node) string {
	var b strings.Builder
	stack := []*html.Node{n}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
			continue
		}
		if c.Type == html.ElementNode && (c.DataAtom == atom.Script || c.DataAtom == atom.Style) {
			continue
		}
		for g := c.LastChild; g != nil; g = g.PrevSibling {
			stack = append(stack, g)
		}
	}
	return b.String()
}

// dropTitleLine removes a first paragraph that only repeats the title.
func dropTitleLine(text, title string) string {
	if title == "" {
		return text
	}
	first, rest, ok := strings.Cut(text, "\n\n")
	if ok && cleanLine(first) == title {
		return rest
	}
	return text
}
