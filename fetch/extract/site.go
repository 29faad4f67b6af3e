package extract

import (
	nurl "net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"

	"github.com/wirewatch/wirewatch/model"
)

// When the caller does not know the page's address (`wirewatch extract`
// without --url, a page read from a file), the site rule would never apply.
// The page usually says where it lives: its declared address (og:url,
// canonical link, <base>), or else the links and images of an outlet's page
// point overwhelmingly to the outlet's own hosts.

// Link-vote thresholds: the rule's hosts must take at least voteMin of the
// page's absolute <a href> and <img src> addresses and at least
// voteShare of them. State-media pages score 80-95 %; a page that only
// cites an outlet stays far below.
const (
	voteMin   = 10
	voteShare = 0.5
)

// declaredURL returns the absolute http(s) address the page declares for
// itself, or nil.
// (Duplicate by design: fetch/extract/reference_test.go keeps the code this replaced, frozen, as
// the reference the equivalence tests compare it with.)
func declaredURL(ix *pageIndex) *nurl.URL {
	cands := []string{
		metaContent(ix, "og:url", "twitter:url"),
		attrOr(ix.canonical, "href"),
		attrOr(ix.base, "href"),
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

// voteRule returns the site rule whose hosts most of the page's absolute
// links and images point to, when they are a clear majority.
func voteRule(doc *goquery.Document, rules *Rules) *model.SiteRule {
	if rules.Len() == 0 {
		return nil
	}
	votes := map[*model.SiteRule]int{}
	total := 0
	count := func(ref string) {
		ref = strings.TrimSpace(ref)
		var host string
		switch {
		case strings.HasPrefix(ref, "//"):
			host = ref[2:]
		case strings.HasPrefix(strings.ToLower(ref), "http://"), strings.HasPrefix(strings.ToLower(ref), "https://"):
			_, host, _ = strings.Cut(ref, "://")
		default:
			return
		}
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if host == "" {
			return
		}
		total++
		if r := rules.For(host); r != nil {
			votes[r]++
		}
	}
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) { count(s.AttrOr("href", "")) })
	doc.Find("img[src]").Each(func(_ int, s *goquery.Selection) { count(s.AttrOr("src", "")) })
	var best *model.SiteRule
	n := 0
	for r, v := range votes {
		if v > n {
			best, n = r, v
		}
	}
	if n >= voteMin && float64(n) >= voteShare*float64(total) {
		return best
	}
	return nil
}
