package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/fetch/dates"
	"github.com/wirewatch/wirewatch/fetch/urlnorm"
	"github.com/wirewatch/wirewatch/model"
)

// Limits on item text; feeds that put whole articles in the summary are cut.
const (
	maxTitleRunes   = 1000
	maxSummaryRunes = 4000
	maxFieldRunes   = 500
)

// FeedOptions tunes ParseFeed.
type FeedOptions struct {
	// Location is the zone for zone-less times and for "CST"; Beijing for
	// Chinese sources (see SourceLocation). Nil means Beijing when the feed
	// declares a Chinese language (<language>zh-cn</language>), else UTC.
	Location *time.Location
	// MaxDepth rejects documents nesting elements (or JSON values) deeper
	// than this. Default 100.
	MaxDepth int
	// MaxItems rejects feeds with more items. Default 5000.
	MaxItems int
	// Now is the reference for date plausibility. Default time.Now().
	Now time.Time
}

// Feed is a parsed feed.
type Feed struct {
	// Title is the feed's title as plain text.
	Title string
	// Items are the feed's entries with canonical URLs, in feed order,
	// without duplicates; entries without a usable http(s) link are dropped.
	Items []model.Item
	// Skipped counts entries dropped for lack of a usable link.
	Skipped int
}

// ParseFeed parses an RSS 0.9x/1.0 (RDF)/2.0, Atom or JSON Feed document.
// contentType is the HTTP Content-Type (may be empty) and base the feed's
// final URL, against which relative links are resolved.
//
// The body is transcoded to UTF-8 first (gofeed only honours the XML
// prolog), then pre-scanned without recursion so that a nesting bomb or a
// huge item count is rejected before gofeed, which recurses, sees it. A panic
// inside gofeed becomes an error wrapping ErrParse. An HTML page yields an
// error wrapping ErrNotFeed that names any feeds the page advertises.
func ParseFeed(body []byte, contentType string, base *url.URL, opts FeedOptions) (*Feed, error) {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 100
	}
	if opts.MaxItems <= 0 {
		opts.MaxItems = 5000
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrNotFeed)
	}
	doc, _, err := charset.DecodeXML(body, contentType)
	if err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrParse, err)
	}
	head := skipPreamble(doc)
	isJSON := len(head) > 0 && (head[0] == '{' || head[0] == '[')
	if !isJSON && isHTML(doc) {
		if alts := discoverFeeds(doc, base); len(alts) > 0 {
			return nil, fmt.Errorf("%w: got an HTML page advertising feeds %s", ErrNotFeed, strings.Join(alts, ", "))
		}
		return nil, fmt.Errorf("%w: got an HTML page", ErrNotFeed)
	}
	if isJSON {
		err = prescanJSON(doc, opts.MaxDepth)
	} else {
		doc = dropIllegalCharRefs(doc)
		err = prescanXML(doc, opts.MaxDepth, opts.MaxItems)
	}
	if err != nil {
		return nil, err
	}
	gf, err := parseGofeed(doc)
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, fmt.Errorf("%w: %w", ErrNotFeed, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	if len(gf.Items) > opts.MaxItems {
		return nil, fmt.Errorf("%w: %d items, more than %d", ErrParse, len(gf.Items), opts.MaxItems)
	}
	if opts.Location == nil {
		opts.Location = SourceLocation(gf.Language, "")
		if opts.Location == nil {
			opts.Location = time.UTC
		}
	}
	return convertFeed(gf, base, opts), nil
}

// parseGofeed runs gofeed, turning its panics (e.g. on {"items":[null]})
// into errors.
func parseGofeed(doc []byte) (f *gofeed.Feed, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("feed parser panicked: %v", p)
		}
	}()
	p := gofeed.NewParser()
	// The image scan runs an HTML parse per item for a field we never use.
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p.Parse(bytes.NewReader(doc))
}

func convertFeed(gf *gofeed.Feed, base *url.URL, opts FeedOptions) *Feed {
	out := &Feed{Title: PlainText(gf.Title, maxTitleRunes), Items: make([]model.Item, 0, len(gf.Items))}
	// A feed's own link is a better base than its URL for relative item
	// links (feeds served from a CDN or feed proxy).
	itemBase := base
	if gf.Link != "" {
		if l, err := urlnorm.Canonical(gf.Link, base); err == nil {
			if lu, err := url.Parse(l); err == nil {
				itemBase = lu
			}
		}
	}
	seen := make(map[string]bool, len(gf.Items))
	for _, it := range gf.Items {
		if it == nil {
			out.Skipped++
			continue
		}
		link := itemLink(it, itemBase)
		if link == "" || seen[link] {
			out.Skipped++
			continue
		}
		seen[link] = true
		summary := it.Description
		if strings.TrimSpace(summary) == "" {
			summary = it.Content
		}
		out.Items = append(out.Items, model.Item{
			URL:       link,
			Title:     PlainText(it.Title, maxTitleRunes),
			Summary:   PlainText(summary, maxSummaryRunes),
			Author:    itemAuthor(it),
			GUID:      cleanText(it.GUID, maxFieldRunes),
			Published: itemPublished(it, opts),
		})
	}
	return out
}

// itemLink picks the first usable http(s) link: <link>, other links, then a
// GUID that is a URL (RSS isPermaLink).
func itemLink(it *gofeed.Item, base *url.URL) string {
	cands := make([]string, 0, 2+len(it.Links))
	cands = append(cands, it.Link)
	cands = append(cands, it.Links...)
	if strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://") {
		cands = append(cands, it.GUID)
	}
	for _, c := range cands {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if u, err := urlnorm.Canonical(c, base); err == nil {
			return u
		}
	}
	return ""
}

func itemAuthor(it *gofeed.Item) string {
	for _, a := range it.Authors {
		if a == nil {
			continue
		}
		if s := PlainText(a.Name, maxFieldRunes); s != "" {
			return s
		}
		if s := PlainText(a.Email, maxFieldRunes); s != "" {
			return s
		}
	}
	if dc := it.DublinCoreExt; dc != nil {
		for _, c := range dc.Creator {
			if s := PlainText(c, maxFieldRunes); s != "" {
				return s
			}
		}
	}
	return ""
}

// itemPublished reads the item's date in the source's location (so zone-less
// times and "CST" of Chinese sources are Beijing time), falling back to
// gofeed's own parse, and drops implausible dates (before 1990, more than
// 48 hours ahead): the daemon then uses the time it first saw the item.
func itemPublished(it *gofeed.Item, opts FeedOptions) *time.Time {
	var t time.Time
	for _, raw := range []string{it.Published, it.Updated} {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		if p, err := dates.Parse(raw, "", opts.Location); err == nil {
			t = p
			break
		}
	}
	if t.IsZero() {
		switch {
		case it.PublishedParsed != nil:
			t = *it.PublishedParsed
		case it.UpdatedParsed != nil:
			t = *it.UpdatedParsed
		}
	}
	if t.IsZero() || !dates.Plausible(t, opts.Now) {
		return nil
	}
	return &t
}

// SourceLocation returns the zone for zone-less times of a source: Beijing
// time for Chinese-language sources and hosts under .cn, nil (unknown: let
// the document decide, else UTC) otherwise.
func SourceLocation(language, rawURL string) *time.Location {
	if strings.HasPrefix(strings.ToLower(language), "zh") {
		return dates.Beijing()
	}
	if u, err := url.Parse(rawURL); err == nil {
		if dates.ChineseHost(u.Hostname()) {
			return dates.Beijing()
		}
	}
	return nil
}

// skipPreamble skips a BOM, whitespace, the XML declaration, processing
// instructions, comments and a doctype, returning the document from its
// root element (or the first JSON byte).
func skipPreamble(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return nil
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b, []byte("-->"))
			if i < 0 {
				return nil
			}
			b = b[i+3:]
		case bytes.HasPrefix(b, []byte("<!")):
			i := bytes.IndexByte(b, '>')
			if i < 0 {
				return nil
			}
			b = b[i+1:]
		default:
			return b
		}
	}
}

// isHTML reports whether the document is an HTML page: an HTML doctype or an
// <html> root.
func isHTML(doc []byte) bool {
	head := doc[:min(len(doc), 2048)]
	lower := bytes.ToLower(head)
	if bytes.Contains(lower, []byte("<!doctype html")) {
		return true
	}
	root := skipPreamble(doc)
	root = root[:min(len(root), 16)]
	return bytes.HasPrefix(bytes.ToLower(root), []byte("<html"))
}

var (
	reLinkTag = regexp.MustCompile(`(?is)<link\b[^>]*>`)
	reAttr    = regexp.MustCompile(`(?is)\b(rel|type|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)
)

// discoverFeeds lists the feeds an HTML page advertises with
// <link rel="alternate" type="application/rss+xml|atom+xml|feed+json">.
func discoverFeeds(doc []byte, base *url.URL) []string {
	head := doc[:min(len(doc), 256<<10)]
	var out []string
	for _, tag := range reLinkTag.FindAll(head, 50) {
		attrs := map[string]string{}
		for _, m := range reAttr.FindAllSubmatch(tag, -1) {
			attrs[strings.ToLower(string(m[1]))] = string(bytes.Join([][]byte{m[2], m[3], m[4]}, nil))
		}
		typ := strings.ToLower(attrs["type"])
		if !strings.Contains(strings.ToLower(attrs["rel"]), "alternate") ||
			!(strings.Contains(typ, "rss") || strings.Contains(typ, "atom") || strings.Contains(typ, "feed+json") || strings.Contains(typ, "rdf")) {
			continue
		}
		if u, err := urlnorm.Canonical(attrs["href"], base); err == nil {
			out = append(out, u)
		}
		if len(out) == 5 {
			break
		}
	}
	return out
}

// prescanXML walks the document's tags with a byte scanner, without
// recursion or allocation, and rejects nesting deeper than maxDepth and more
// than maxItems <item>/<entry> elements. It follows what encoding/xml (which
// gofeed uses, non-strict) would see closely enough: comments, CDATA, PIs and
// quoted attribute values are skipped; malformed input is left for the
// parser to report.
func prescanXML(b []byte, maxDepth, maxItems int) error {
	depth, items := 0, 0
	i := 0
	for {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return nil
		}
		i += j + 1
		if i >= len(b) {
			return nil
		}
		switch c := b[i]; {
		case c == '?':
			k := bytes.Index(b[i:], []byte("?>"))
			if k < 0 {
				return nil
			}
			i += k + 2
		case c == '!':
			var end []byte
			switch {
			case bytes.HasPrefix(b[i:], []byte("!--")):
				end = []byte("-->")
			case bytes.HasPrefix(b[i:], []byte("![CDATA[")):
				end = []byte("]]>")
			default:
				end = []byte(">")
				// A doctype's internal subset contains '>' itself.
				if k := bytes.IndexByte(b[i:], '>'); k >= 0 && bytes.IndexByte(b[i:i+k], '[') >= 0 {
					end = []byte("]>")
				}
			}
			k := bytes.Index(b[i:], end)
			if k < 0 {
				return nil
			}
			i += k + len(end)
		case c == '/':
			if depth > 0 {
				depth--
			}
			k := bytes.IndexByte(b[i:], '>')
			if k < 0 {
				return nil
			}
			i += k + 1
		case isNameStart(c):
			start := i
			for i < len(b) && !isSpaceOrTagEnd(b[i]) {
				i++
			}
			name := b[start:i]
			// Skip attributes, honouring quotes, to the end of the tag.
			var quote byte
			selfClosing := false
			for ; i < len(b); i++ {
				ch := b[i]
				if quote != 0 {
					if ch == quote {
						quote = 0
					}
					continue
				}
				if ch == '"' || ch == '\'' {
					quote = ch
					continue
				}
				if ch == '>' {
					selfClosing = i > start && b[i-1] == '/'
					break
				}
			}
			if selfClosing {
				continue
			}
			depth++
			if depth > maxDepth {
				return fmt.Errorf("%w: elements nested deeper than %d", ErrParse, maxDepth)
			}
			if k := bytes.LastIndexByte(name, ':'); k >= 0 {
				name = name[k+1:]
			}
			if string(name) == "item" || string(name) == "entry" {
				items++
				if items > maxItems {
					return fmt.Errorf("%w: more than %d items", ErrParse, maxItems)
				}
			}
		}
	}
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isSpaceOrTagEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/'
}

// prescanJSON rejects JSON nested deeper than maxDepth.
func prescanJSON(b []byte, maxDepth int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return fmt.Errorf("%w: JSON nested deeper than %d", ErrParse, maxDepth)
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// dropIllegalCharRefs removes character references to code points XML
// forbids (&#0;, &#x1;, &#xFFFE;, surrogates…). encoding/xml rejects the
// whole document on one of them, and a stray "&#0;" in one title must not
// cost the whole feed.
func dropIllegalCharRefs(b []byte) []byte {
	i := bytes.Index(b, []byte("&#"))
	if i < 0 {
		return b
	}
	var out []byte
	last := 0
	for i >= 0 {
		j := i + 2
		hex := j < len(b) && (b[j] == 'x' || b[j] == 'X')
		if hex {
			j++
		}
		start := j
		var v uint64
		for ; j < len(b) && j-start < 10; j++ {
			d, ok := digitValue(b[j], hex)
			if !ok {
				break
			}
			if hex {
				v = v*16 + d
			} else {
				v = v*10 + d
			}
		}
		if j > start && j < len(b) && b[j] == ';' && !legalXMLChar(v) {
			out = append(out, b[last:i]...)
			last = j + 1
		}
		k := bytes.Index(b[i+2:], []byte("&#"))
		if k < 0 {
			break
		}
		i += 2 + k
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// legalXMLChar reports whether v is a Char in the XML 1.0 grammar.
func legalXMLChar(v uint64) bool {
	return v == 0x9 || v == 0xA || v == 0xD ||
		v >= 0x20 && v <= 0xD7FF ||
		v >= 0xE000 && v <= 0xFFFD ||
		v >= 0x10000 && v <= 0x10FFFF
}

func digitValue(c byte, hex bool) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case hex && c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case hex && c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}
