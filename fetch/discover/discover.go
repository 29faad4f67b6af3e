// Package discover finds the article links of a listing or home page
// without CSS selectors, from the page itself: the shape of each link's
// address (a date or an id in the path, on the site's own hosts), the
// length of its text, the blocks of repeated siblings it sits in, and what
// earlier polls of the same source taught (Profile). Navigation, section,
// author, video-channel and static links are left out.
//
// It works on pages already decoded to UTF-8 (charset.DecodeHTML) and does
// no I/O.
package discover

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/publicsuffix"

	"github.com/wirewatch/wirewatch/fetch/urlnorm"
)

// Link is one article link found on a page.
type Link struct {
	// URL is the canonical absolute address (urlnorm.Canonical).
	URL string
	// Title is the longest text of the links to URL on the page (or their
	// title attribute), whitespace-normalised.
	Title string
	// Reason says which evidence admitted the link: "shape" (the address
	// looks like an article's), "block" (a block of repeated siblings
	// whose other links are articles) or "learned" (earlier polls).
	Reason string
}

// Limits of one page's analysis; a page beyond them is analysed in part.
const (
	// MaxInput is the most page bytes read.
	MaxInput = 5 << 20
	// MaxAnchors is the most <a href> elements considered.
	MaxAnchors = 20000
	// maxDepth bounds the tree walk.
	maxDepth = 256
)

// Thresholds, by measurement on the labelled pages (discover_test.go).
const (
	// minTitleRunes is the least text a link admitted only by its block
	// or by learning needs (a headline, not "More" or "Politics").
	minTitleRunes = 8
	// minBlock is the least number of links sharing a block signature for
	// the block to count as a list.
	minBlock = 3
	// blockShare is the least share of a block's links that must look
	// like articles for the rest of the block to be admitted.
	blockShare = 0.6
)

// anchor is one <a href> of the page.
type anchor struct {
	url   string
	u     *url.URL
	text  string
	sig   string
	shape shape
}

// Links returns the article links of page (UTF-8 HTML) found at pageURL, in
// document order, each once. prof may be nil; it is read, not changed (see
// Profile.Learn).
func Links(page []byte, pageURL *url.URL, prof *Profile) ([]Link, error) {
	if pageURL == nil || (pageURL.Scheme != "http" && pageURL.Scheme != "https") || pageURL.Host == "" {
		return nil, fmt.Errorf("discover: the page's address must be an absolute http(s) URL")
	}
	if len(page) > MaxInput {
		page = page[:MaxInput]
	}
	root, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("discover: parse HTML: %w", err)
	}
	base := pageURL
	anchors := collect(root, &base)
	family := siteFamily(pageURL.Hostname())

	// Classify each anchor's address.
	for i := range anchors {
		a := &anchors[i]
		a.shape = classify(a.u, family)
	}
	// Blocks of repeated siblings: anchors that share a signature, with
	// the places (first directory and depth) of their article links.
	type blockStat struct {
		n, articles int
		places      map[string]bool
	}
	blocks := map[string]*blockStat{}
	for _, a := range anchors {
		if a.shape == shapeForeign || a.shape == shapeStatic {
			continue
		}
		b := blocks[a.sig]
		if b == nil {
			b = &blockStat{places: map[string]bool{}}
			blocks[a.sig] = b
		}
		b.n++
		if a.shape == shapeArticle {
			b.articles++
			b.places[place(a.u)] = true
		}
	}
	var out []Link
	index := map[string]int{}
	for _, a := range anchors {
		reason := ""
		b := blocks[a.sig]
		long := utf8.RuneCountInString(a.text) >= minTitleRunes
		switch a.shape {
		case shapeArticle:
			// A lone short link in a bar of other links ("Mobile" beside
			// "APP" and "RSS") is a service page, whatever its address.
			if !long && b != nil && b.n >= minBlock && 2*b.articles < b.n {
				break
			}
			reason = "shape"
		case shapeMaybe:
			if long && b != nil && b.n >= minBlock && float64(b.articles) >= blockShare*float64(b.n) && b.places[place(a.u)] {
				reason = "block"
			} else if long && prof.knows(a.u) {
				reason = "learned"
			}
		}
		if reason == "" {
			continue
		}
		if i, ok := index[a.url]; ok {
			if utf8.RuneCountInString(a.text) > utf8.RuneCountInString(out[i].Title) {
				out[i].Title = a.text
			}
			continue
		}
		index[a.url] = len(out)
		out = append(out, Link{URL: a.url, Title: a.text, Reason: reason})
	}
	return out, nil
}

// collect walks the tree once and returns its anchors with resolved,
// canonical addresses; a <base href> seen on the way replaces *base.
func collect(root *html.Node, base **url.URL) []anchor {
	var out []anchor
	type item struct {
		n *html.Node
		d int
	}
	stack := []item{{root, 0}}
	for len(stack) > 0 && len(out) < MaxAnchors {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.n
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				continue
			case atom.Base:
				if href := attr(n, "href"); href != "" {
					if b, err := (*base).Parse(strings.TrimSpace(href)); err == nil && (b.Scheme == "http" || b.Scheme == "https") {
						*base = b
					}
				}
			case atom.A:
				if a, ok := newAnchor(n, *base); ok {
					out = append(out, a)
				}
				continue
			}
		}
		if it.d >= maxDepth {
			continue
		}
		// Children pushed in reverse, so they pop in document order.
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, item{c, it.d + 1})
		}
	}
	return out
}

func newAnchor(n *html.Node, base *url.URL) (anchor, bool) {
	href := strings.TrimSpace(attr(n, "href"))
	if href == "" || strings.HasPrefix(href, "#") {
		return anchor{}, false
	}
	canon, err := urlnorm.Canonical(href, base)
	if err != nil {
		return anchor{}, false
	}
	u, err := url.Parse(canon)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return anchor{}, false
	}
	text := textOf(n)
	if text == "" {
		text = strings.Join(strings.Fields(attr(n, "title")), " ")
	}
	return anchor{url: canon, u: u, text: text, sig: signature(n)}, true
}

// signature names an anchor's place in the page's structure: the element
// names and classes of its three nearest block ancestors. Links of one list
// (<li>s of one <ul>, cards of one grid) share it; a navigation bar's
// links share theirs.
func signature(n *html.Node) string {
	var b strings.Builder
	depth := 0
	for p := n.Parent; p != nil && p.Type == html.ElementNode && depth < 3; p = p.Parent {
		switch p.DataAtom {
		case atom.B, atom.Strong, atom.Em, atom.I, atom.Span, atom.Font, atom.Small, atom.Big, atom.U:
			continue
		}
		b.WriteString(p.Data)
		if c := attr(p, "class"); c != "" {
			b.WriteByte('.')
			b.WriteString(strings.Join(strings.Fields(c), "."))
		}
		b.WriteByte('/')
		depth++
	}
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// textOf is the visible text of n, whitespace-normalised.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node, int)
	walk = func(n *html.Node, d int) {
		if d > 32 {
			return
		}
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			b.WriteByte(' ')
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style:
				return
			case atom.Img:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, d+1)
		}
	}
	walk(n, 0)
	return strings.Join(strings.Fields(strings.ReplaceAll(b.String(), "\u00a0", " ")), " ")
}

// shape is what an address looks like.
type shape int

const (
	// shapeForeign: another site, or not http(s).
	shapeForeign shape = iota
	// shapeStatic: a file (image, document, script) or a non-page.
	shapeStatic
	// shapeSection: a home, section, tag, author, search or channel page.
	shapeSection
	// shapeMaybe: a page of the site that could be either.
	shapeMaybe
	// shapeArticle: a date or an id in the path of a page of the site.
	shapeArticle
)

var (
	// reDatePath finds a date in a path: /2018-03/17/, /2018/0317/,
	// /20180317/, /201803/t20180317_, /2018-03-21/, /03-21/ after a year.
	reDatePath = regexp.MustCompile(`(?:^|[/_-])(?:19|20)\d\d(?:[-/_]?(?:0[1-9]|1[0-2]))(?:[-/_]?(?:0[1-9]|[12]\d|3[01]))?(?:[/_-]|$)|/(?:19|20)\d\d/\d\d-\d\d/`)
	// reNumericID is a run of at least five digits in the last segment.
	reNumericID = regexp.MustCompile(`\d{5,}`)
	// reHexID is a long opaque token (CGTN's 3d49544e31516a4d, China
	// Daily's WS65571297a310d5acd876f404) with letters and digits.
	reHexID = regexp.MustCompile(`[0-9A-Za-z]{12,}`)
	// staticExt are file types that are never articles.
	staticExt = []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".zip", ".rar", ".mp3", ".mp4", ".flv", ".apk", ".exe", ".css", ".js", ".xml", ".rss", ".ico", ".swf"}
	// sectionWords are path segments of section, author, search, video
	// channel and service pages.
	sectionWords = map[string]bool{
		"author": true, "authors": true, "reporter": true, "column": true, "columns": true, "tag": true, "tags": true,
		"topic": true, "topics": true, "search": true, "login": true, "register": true, "subscribe": true,
		"about": true, "contact": true, "video": true, "videos": true, "live": true, "rss": true, "feed": true,
		"special": true, "special-coverage": true, "zt": true, "zhuanti": true,
	}
	// channelHosts are subdomains of video and service channels.
	channelHosts = []string{"v.", "video.", "tv.", "live.", "m.", "mail.", "passport.", "i.", "search.", "bbs.", "blog.", "weibo."}
)

// classify tells what u looks like, for a page of the given site family.
func classify(u *url.URL, family map[string]bool) shape {
	host := strings.ToLower(u.Hostname())
	if !family[registrable(host)] {
		return shapeForeign
	}
	path := u.EscapedPath()
	lower := strings.ToLower(path)
	for _, ext := range staticExt {
		if strings.HasSuffix(lower, ext) {
			return shapeStatic
		}
	}
	segs := strings.FieldsFunc(lower, func(r rune) bool { return r == '/' })
	if len(segs) == 0 {
		return shapeSection
	}
	last := segs[len(segs)-1]
	name := strings.TrimSuffix(last, pathExt(last))
	// A date in the path and an id in the name make an article even under
	// a section word or on a channel's host: /video/2018-03/14/c_129829617.htm
	// and tv.81.cn/jbmdm/2018-03/17/content_7975587.htm are video reports,
	// /video/index.htm and tv.81.cn/ the channels.
	dated := reDatePath.MatchString(lower) && len(segs) >= 2
	if !(dated && reNumericID.MatchString(name)) {
		for _, p := range channelHosts {
			if strings.HasPrefix(host, p) {
				return shapeSection
			}
		}
		for _, s := range segs[:len(segs)-1] {
			if sectionWords[s] {
				return shapeSection
			}
		}
	}
	// CMS index nodes (node_8002936.htm) carry an id but list articles.
	if strings.HasPrefix(name, "node") {
		return shapeSection
	}
	lastIsIndex := strings.HasPrefix(last, "index") || strings.HasPrefix(last, "default") || strings.HasPrefix(last, "list")
	trailingSlash := strings.HasSuffix(path, "/")
	if lastIsIndex || trailingSlash {
		// A section's index, unless the directory itself is an article's
		// opaque id (CGTN: /news/3d49544e31516a4d/index.html).
		dir := last
		if lastIsIndex {
			if len(segs) < 2 {
				return shapeSection
			}
			dir = segs[len(segs)-2]
		}
		if reHexID.MatchString(dir) && hasLetterAndDigit(dir) && (reDatePath.MatchString(lower) || len(dir) >= 16) {
			return shapeArticle
		}
		return shapeSection
	}
	if reNumericID.MatchString(name) || (reHexID.MatchString(name) && hasLetterAndDigit(name)) {
		return shapeArticle
	}
	if dated {
		return shapeArticle
	}
	// A detail script with a numeric id in its query:
	// fangtanDetail.do?pid=16700, show.php?id=12345.
	if hasWord(name, detailWords) && numericQuery(u.RawQuery) {
		return shapeArticle
	}
	return shapeMaybe
}

// detailWords name scripts that show one item.
var detailWords = []string{"detail", "content", "article", "show", "view", "news", "story"}

func hasWord(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// numericQuery reports a query parameter whose value is a number of at
// least four digits.
func numericQuery(q string) bool {
	for _, kv := range strings.Split(q, "&") {
		_, v, ok := strings.Cut(kv, "=")
		if !ok || len(v) < 4 {
			continue
		}
		digits := true
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				digits = false
				break
			}
		}
		if digits {
			return true
		}
	}
	return false
}

func pathExt(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 && len(s)-i <= 6 {
		return s[i:]
	}
	return ""
}

func hasLetterAndDigit(s string) bool {
	var l, d bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		l = l || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		d = d || ('0' <= c && c <= '9')
	}
	return l && d
}

// registrable is the host's registrable domain (eTLD+1), or the host.
func registrable(host string) string {
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// families are registrable domains one outlet publishes under.
var families = [][]string{
	{"news.cn", "xinhuanet.com", "xinhua.org"},
	{"people.com.cn", "people.cn"},
	{"cctv.com", "cntv.cn", "cctv.cn"},
	{"chinadaily.com.cn", "chinadaily.com"},
	{"cgtn.com"},
	{"gov.cn"},
	{"81.cn", "chinamil.com.cn"},
	{"chinanews.com", "chinanews.com.cn", "ecns.cn"},
	{"china.com.cn", "china.org.cn"},
}

// siteFamily is the set of registrable domains whose links count as the
// page's own site.
func siteFamily(host string) map[string]bool {
	r := registrable(strings.ToLower(host))
	out := map[string]bool{r: true}
	for _, f := range families {
		for _, d := range f {
			if d == r {
				for _, e := range f {
					out[e] = true
				}
			}
		}
	}
	return out
}

// place is an address's host, first directory and depth: article links of
// one list share it.
func place(u *url.URL) string {
	segs := strings.FieldsFunc(u.EscapedPath(), func(r rune) bool { return r == '/' })
	first := ""
	if len(segs) > 1 {
		first = segs[0]
	}
	return fmt.Sprintf("%s/%s/%d", strings.ToLower(u.Hostname()), first, len(segs))
}
