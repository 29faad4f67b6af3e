package extract

import (
	"bytes"
	"fmt"
	nurl "net/url"

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
	// readability's (readeck) and its own baseline.
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
)

// defaultMode is what ModeDefault resolves to; chosen on extraction-dev.
const defaultMode = ModeTrafilaturaFallback

// shortText is the length (non-space runes) under which a generic result is
// considered a failure and a second extractor is consulted.
const shortText = 200

// generic runs the generic extractor on raw (UTF-8 HTML). It never panics.
func generic(raw []byte, pageURL *nurl.URL, mode GenericMode) (text string, err error) {
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
		return runTrafilatura(raw, pageURL, trafilatura.Balanced, true)
	case ModeTrafilaturaFallbackRecall:
		return runTrafilatura(raw, pageURL, trafilatura.FavorRecall, true)
	case ModeTrafilaturaFallbackPrecision:
		return runTrafilatura(raw, pageURL, trafilatura.FavorPrecision, true)
	default:
		return runTrafilatura(raw, pageURL, trafilatura.Balanced, false)
	}
}

func runTrafilatura(raw []byte, pageURL *nurl.URL, focus trafilatura.ExtractionFocus, fallback bool) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("extract: trafilatura panicked: %v", r)
		}
	}()
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("extract: parse HTML: %w", err)
	}
	opts := trafilatura.Options{
		OriginalURL:     pageURL,
		Focus:           focus,
		ExcludeComments: true,
		Deduplicate:     true,
		// Dates come from our own metadata code; htmldate's extensive mode
		// is the slowest part of trafilatura.
		HtmlDateMode: trafilatura.Disabled,
	}
	if fallback {
		opts.EnableFallback = true
		// Use readeck's maintained readability instead of the deprecated
		// go-shiori one trafilatura would run itself.
		rdoc, perr := html.Parse(bytes.NewReader(raw))
		if perr == nil {
			if art, rerr := readabilityFromDocument(rdoc, pageURL); rerr == nil && art != nil {
				opts.FallbackCandidates = &trafilatura.FallbackCandidates{Readability: art}
			}
		}
	}
	res, err := trafilatura.ExtractDocument(doc, opts)
	if err != nil {
		return "", fmt.Errorf("extract: trafilatura: %w", err)
	}
	if res == nil || res.ContentNode == nil {
		return "", nil
	}
	return nodeText(res.ContentNode), nil
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

func runReadability(raw []byte, pageURL *nurl.URL) (string, error) {
	doc, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("extract: parse HTML: %w", err)
	}
	n, err := readabilityFromDocument(doc, pageURL)
	if err != nil || n == nil {
		return "", err
	}
	return nodeText(n), nil
}
