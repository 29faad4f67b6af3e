package extract

import (
	"fmt"
	nurl "net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
)

// GenericMode chooses how the generic extractor runs. The zero value is the
// measured default (see TestExtractionDev).
type GenericMode int

// The generic extraction modes that were measured on extraction-dev.
const (
	// ModeDefault is the mode chosen by measurement.
	ModeDefault GenericMode = iota
	// ModeTrafilatura runs go-trafilatura alone, balanced focus, no fallback.
	ModeTrafilatura
	// ModeTrafilaturaRecall runs go-trafilatura favouring recall.
	ModeTrafilaturaRecall
	// ModeTrafilaturaPrecision runs go-trafilatura favouring precision.
	ModeTrafilaturaPrecision
	// ModeTrafilaturaFallback lets go-trafilatura compare its result with
	// readability's (readeck) and its own baseline, and keeps trafilatura's
	// own text when the fallback result balloons (guardedFallback).
	ModeTrafilaturaFallback
	// ModeReadability runs readeck's go-readability alone.
	ModeReadability
	// ModeTrafilaturaThenReadability runs go-trafilatura and falls back to
	// readability when trafilatura's text is short.
	ModeTrafilaturaThenReadability
	// ModeTrafilaturaFallbackRecall is ModeTrafilaturaFallback favouring recall.
	ModeTrafilaturaFallbackRecall
	// ModeTrafilaturaFallbackPrecision is ModeTrafilaturaFallback favouring precision.
	ModeTrafilaturaFallbackPrecision
	// ModeTrafilaturaFallbackUnguarded is ModeTrafilaturaFallback without
	// the guard against a fallback candidate that swallows the whole page
	// (see guardedFallback); the default before the shingle-F1 evaluation.
	ModeTrafilaturaFallbackUnguarded
)

// defaultMode is what ModeDefault resolves to; chosen on extraction-dev.
const defaultMode = ModeTrafilaturaFallback

// shortText is the length (non-space runes) under which a generic result is
// considered a failure and a second extractor is consulted.
const shortText = 200

// generic runs the heavy generic extractor on a copy of the parsed page (the
// extractors change the tree they are given). It never panics.
func generic(raw *html.Node, pageURL *nurl.URL, mode GenericMode) (text string, err error) {
	if mode == ModeDefault {
		mode = defaultMode
	}
	switch mode {
	case ModeReadability:
		return runReadability(raw, pageURL)
	case ModeTrafilaturaThenReadability:
		t, terr := runTrafilatura(raw, pageURL, trafilatura.Balanced, false)
		if runeCount(t) >= shortText {
			return t, nil
		}
		r, rerr := runReadability(raw, pageURL)
		if runeCount(r) > runeCount(t) {
			return r, nil
		}
		if t == "" && terr != nil {
			if rerr != nil {
				return "", terr
			}
		}
		return t, nil
	case ModeTrafilaturaRecall:
		return runTrafilatura(raw, pageURL, trafilatura.FavorRecall, false)
	case ModeTrafilaturaPrecision:
		return runTrafilatura(raw, pageURL, trafilatura.FavorPrecision, false)
	case ModeTrafilaturaFallback:
		return guardedFallback(raw, pageURL, trafilatura.Balanced)
	case ModeTrafilaturaFallbackUnguarded:
		return runTrafilatura(raw, pageURL, trafilatura.Balanced, true)
	case ModeTrafilaturaFallbackRecall:
		return runTrafilatura(raw, pageURL, trafilatura.FavorRecall, true)
	case ModeTrafilaturaFallbackPrecision:
		return runTrafilatura(raw, pageURL, trafilatura.FavorPrecision, true)
	default:
		return runTrafilatura(raw, pageURL, trafilatura.Balanced, false)
	}
}

// The fallback guard: go-trafilatura takes readability's candidate whenever
// it is twice as long as its own text. When its own text is already a
// substantial article (guardMin runes) and the fallback result is more than
// guardRatio times longer, the candidate is nearly always the whole page
// (navigation, teasers, footers) rather than a missed part of the article,
// and the plain result is kept.
const (
	guardMin   = 1000
	guardRatio = 4
	// minExtracted is go-trafilatura's MinExtractedSize: below it, the
	// fallback is always consulted.
	minExtracted = 250
)

// guardedFallback runs go-trafilatura alone and, unless readability's
// candidate could not change its choice (no longer than trafilatura's own
// substantial text), again with the candidate as fallback; a fallback
// result that balloons is refused (see guardMin).
func guardedFallback(raw *html.Node, pageURL *nurl.URL, focus trafilatura.ExtractionFocus) (string, error) {
	plain, perr := runTrafilatura(raw, pageURL, focus, false)
	lenPlain := runeCount(plain)
	cand := readabilityCandidate(raw, pageURL)
	if cand == nil || (lenPlain >= minExtracted && runeCount(nodeText(cand)) <= lenPlain) {
		if plain == "" && perr != nil {
			return "", perr
		}
		if lenPlain > 0 || cand == nil {
			return plain, nil
		}
	}
	fb, ferr := runTrafilaturaWith(raw, pageURL, focus, true, cand)
	if lenPlain >= guardMin && runeCount(fb) > guardRatio*lenPlain {
		return plain, nil
	}
	if fb == "" {
		if plain != "" {
			return plain, nil
		}
		if ferr != nil {
			return "", ferr
		}
		return "", perr
	}
	return fb, nil
}

// readabilityCandidate runs readeck's readability on a copy of the page
// (it changes the tree) and returns its article node, or nil.
func readabilityCandidate(raw *html.Node, pageURL *nurl.URL) *html.Node {
	n, err := readabilityFromDocument(cloneTree(raw), pageURL)
	if err != nil {
		return nil
	}
	return n
}

func runTrafilatura(raw *html.Node, pageURL *nurl.URL, focus trafilatura.ExtractionFocus, fallback bool) (text string, err error) {
	var cand *html.Node
	if fallback {
		cand = readabilityCandidate(raw, pageURL)
	}
	return runTrafilaturaWith(raw, pageURL, focus, fallback, cand)
}

func runTrafilaturaWith(raw *html.Node, pageURL *nurl.URL, focus trafilatura.ExtractionFocus, fallback bool, cand *html.Node) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("extract: trafilatura panicked: %v", r)
		}
	}()
	doc := cloneTree(raw)
	opts := trafilatura.Options{
		OriginalURL: pageURL,
		Focus:       focus,
		// Comments are extracted (and dropped: only ContentNode is used),
		// not excluded: with ExcludeComments go-trafilatura leaves the
		// comment section in the tree its body extraction sees. This is
		// also what plain go-trafilatura does by default.
		ExcludeComments: false,
		Deduplicate:     true,
		// Dates come from our own metadata code; htmldate's extensive mode
		// is the slowest part of trafilatura.
		HtmlDateMode: trafilatura.Disabled,
	}
	if fallback {
		opts.EnableFallback = true
		// Use readeck's maintained readability instead of the deprecated
		// go-shiori one trafilatura would run itself.
		if cand != nil {
			opts.FallbackCandidates = &trafilatura.FallbackCandidates{Readability: cand}
		}
	}
	res, err := trafilatura.ExtractDocument(doc, opts)
	if err != nil {
		return "", fmt.Errorf("extract: trafilatura: %w", err)
	}
	if res == nil || res.ContentNode == nil {
		return "", nil
	}
	return dropBaselineEcho(nodeText(res.ContentNode)), nil
}

// dropBaselineEcho removes the paragraph go-trafilatura appends to a short
// document's content: all the text again in one paragraph (so "<p>x</p>"
// came out as "x\n\nx"). It is dropped when it repeats, spaces aside, the
// paragraphs before it.
func dropBaselineEcho(text string) string {
	i := strings.LastIndex(text, "\n\n")
	if i < 0 {
		return text
	}
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
	last := squeeze(text[i+2:])
	if last != "" && last == squeeze(text[:i]) {
		return strings.TrimRight(text[:i], "\n")
	}
	return text
}

func readabilityFromDocument(doc *html.Node, pageURL *nurl.URL) (node *html.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			node, err = nil, fmt.Errorf("extract: readability panicked: %v", r)
		}
	}()
	art, err := readability.FromDocument(doc, pageURL)
	if err != nil {
		return nil, fmt.Errorf("extract: readability: %w", err)
	}
	return art.Node, nil
}

func runReadability(raw *html.Node, pageURL *nurl.URL) (string, error) {
	n, err := readabilityFromDocument(cloneTree(raw), pageURL)
	if err != nil || n == nil {
		return "", err
	}
	return nodeText(n), nil
}

// cloneTree copies the tree under n (n included), iteratively. Copying is a
// fraction of the cost of rendering and parsing the page again, which is how
// each extractor used to get its own tree.
func cloneTree(n *html.Node) *html.Node {
	root := cloneNode(n)
	type pair struct{ src, dst *html.Node }
	stack := []pair{{n, root}}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for c := p.src.FirstChild; c != nil; c = c.NextSibling {
			d := cloneNode(c)
			p.dst.AppendChild(d)
			if c.FirstChild != nil {
				stack = append(stack, pair{c, d})
			}
		}
	}
	return root
}

func cloneNode(n *html.Node) *html.Node {
	c := &html.Node{Type: n.Type, DataAtom: n.DataAtom, Data: n.Data, Namespace: n.Namespace}
	if len(n.Attr) > 0 {
		c.Attr = make([]html.Attribute, len(n.Attr))
		copy(c.Attr, n.Attr)
	}
	return c
}
