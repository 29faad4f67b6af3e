package extract

import (
	"encoding/json"
	nurl "net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"github.com/abadojack/whatlanggo"
	"golang.org/x/net/publicsuffix"

	"github.com/wirewatch/wirewatch/fetch/dates"
	"github.com/wirewatch/wirewatch/model"
)

var (
	// reTitleSep splits "Headline - Xinhua", "标题_新华网", "Headline | Global Times".
	reTitleSep = regexp.MustCompile(`\s+[-|–—]\s+|\s*[|_｜–—]\s*`)
	// reHanDash spaces out "标题-中国日报网" so that reTitleSep sees it.
	reHanDash = regexp.MustCompile(`(\p{Han})-{1,2}(\p{Han})`)
	// reChineseDate finds Chinese and numeric dates in page text.
	reChineseDate = regexp.MustCompile(`\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-/.]\d{1,2}[-/.]\d{1,2})(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?`)
)

// metaContent returns the content of the first <meta> whose name, property or
// itemprop is one of keys (case-insensitive), in order of keys.
func metaContent(doc *goquery.Document, keys ...string) string {
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

// jsonLD collects the fields we use from JSON-LD blocks.
type jsonLD struct {
	headline, datePublished, author string
}

func readJSONLD(doc *goquery.Document) jsonLD {
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

func walkJSONLD(v any, out *jsonLD, depth int) {
	if depth > 8 {
		return
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			walkJSONLD(e, out, depth+1)
		}
	case map[string]any:
		if s, ok := x["datePublished"].(string); ok && out.datePublished == "" {
			out.datePublished = s
		}
		if s, ok := x["headline"].(string); ok && out.headline == "" {
			out.headline = s
		}
		if out.author == "" {
			out.author = authorName(x["author"])
		}
		if g, ok := x["@graph"]; ok {
			walkJSONLD(g, out, depth+1)
		}
	}
}

func authorName(v any) string {
	switch a := v.(type) {
	case string:
		return cleanLine(a)
	case map[string]any:
		if s, ok := a["name"].(string); ok {
			return cleanLine(s)
		}
	case []any:
		var names []string
		for _, e := range a {
			if n := authorName(e); n != "" {
				names = append(names, n)
			}
		}
		return strings.Join(names, ", ")
	}
	return ""
}

// readMetadata reads title, byline, publication time, language and the
// canonical URL. now bounds plausible dates.
func readMetadata(doc *goquery.Document, u *nurl.URL, rule *model.SiteRule, now time.Time) model.Extracted {
	var out model.Extracted
	ld := readJSONLD(doc)

	htmlLang := strings.TrimSpace(doc.Find("html").AttrOr("lang", ""))
	if htmlLang == "" {
		htmlLang = metaContent(doc, "content-language", "og:locale", "dc.language", "language")
	}
	out.Lang = normLang(htmlLang)

	// Title.
	docTitle := cleanLine(doc.Find("title").First().Text())
	var candidates []string
	if rule != nil && rule.Title != "" {
		candidates = append(candidates, ruleField(doc, rule.Title))
	}
	candidates = append(candidates,
		metaContent(doc, "og:title", "twitter:title"),
		cleanLine(ld.headline),
		cleanLine(doc.Find("h1").First().Text()),
		cleanTitle(docTitle),
	)
	for _, c := range candidates {
		if c != "" {
			out.Title = cleanTitle(c)
			break
		}
	}

	// Byline.
	if rule != nil && rule.Byline != "" {
		out.Byline = ruleField(doc, rule.Byline)
	}
	if out.Byline == "" {
		out.Byline = metaContent(doc, "author", "article:author", "dc.creator", "byl", "sailthru.author")
		if strings.HasPrefix(out.Byline, "http") {
			out.Byline = ""
		}
	}
	if out.Byline == "" {
		out.Byline = ld.author
	}

	// Publication time: Chinese outlets print Beijing time without a zone.
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
	case rule != nil && rule.Date != "" && tryAll(doc, rule.Date, func(s string) bool { return try(s, rule.DateLayout) }):
	case try(metaContent(doc, "article:published_time", "og:article:published_time", "datePublished", "publishdate", "PubDate", "pubdate", "publish-date", "dc.date.issued", "dc.date", "date", "sailthru.date", "parsely-pub-date"), ""):
	case try(ld.datePublished, ""):
	case try(doc.Find("time[datetime]").First().AttrOr("datetime", ""), ""):
	default:
		// Chinese pages print "2025年03月04日 10:00" or "2025-03-04 10:00" near
		// the headline; take the first plausible one in the body.
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

	// Canonical URL, only on the same registrable site.
	if href, ok := doc.Find(`link[rel="canonical"]`).First().Attr("href"); ok && u != nil {
		if c, err := u.Parse(strings.TrimSpace(href)); err == nil && (c.Scheme == "http" || c.Scheme == "https") && sameSite(u.Hostname(), c.Hostname()) {
			c.Fragment = ""
			out.CanonicalURL = c.String()
		}
	}
	return out
}

// tryAll calls try on the text of each element a selector list matches, in
// order, until it returns true (a rule's date selector often also matches a
// sibling holding only "来源：").
func tryAll(doc *goquery.Document, selectors string, try func(string) bool) bool {
	for _, sel := range splitSelectors(selectors) {
		ok := false
		doc.Find(sel).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			ok = try(cleanLine(nodeText(s.Nodes...)))
			return !ok
		})
		if ok {
			return true
		}
	}
	return false
}

// chineseHost reports hosts under .cn or of the outlets we watch that are
// not under .cn (their pages print Beijing time).
func chineseHost(h string) bool { return dates.ChineseHost(h) }

func sameSite(a, b string) bool {
	if a == b {
		return true
	}
	ea, err1 := publicsuffix.EffectiveTLDPlusOne(a)
	eb, err2 := publicsuffix.EffectiveTLDPlusOne(b)
	return err1 == nil && err2 == nil && ea == eb
}

// normLang reduces "zh-CN", "en_US", "zh-Hans" to a lower-case two-letter code.
func normLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	if len(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z' {
		return ""
	}
	return s
}

// scriptLang decides the language of text by script: a fair share of Han
// characters means Chinese; Latin text goes to whatlanggo, with "en" when
// unsure.
func scriptLang(text string) string {
	var han, latin, other int
	for i, r := range text {
		if i > 20000 {
			break
		}
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.Is(unicode.Latin, r):
			latin++
		case unicode.IsLetter(r):
			other++
		}
	}
	if han+latin+other == 0 {
		return ""
	}
	// One Han character carries about as much as a Latin word (~5 letters).
	if han*5 >= latin && han >= other {
		return "zh"
	}
	if info := whatlanggo.Detect(text); info.IsReliable() {
		if code := info.Lang.Iso6391(); code != "" {
			return code
		}
	}
	if latin >= other {
		return "en"
	}
	return ""
}

// cleanTitle removes a trailing (or leading) site name: "Headline - Xinhua",
// "标题_新华网", "Global Times | Headline" keep only the headline: the longest
// segment, when the others are short.
func cleanTitle(t string) string {
	orig := cleanLine(t)
	t = reHanDash.ReplaceAllString(orig, "$1 - $2")
	parts := reTitleSep.Split(t, -1)
	if len(parts) < 2 {
		return orig
	}
	// Keep everything up to the last separator when what follows looks like
	// a site name (short); the same at the front.
	locs := reTitleSep.FindAllStringIndex(t, -1)
	last := locs[len(locs)-1]
	tail := t[last[1]:]
	if isSiteName(tail) && runeCount(t[:last[0]]) >= 2*runeCount(tail)/3 && runeCount(t[:last[0]]) > 4 {
		return cleanTitle(strings.TrimSpace(t[:last[0]]))
	}
	first := locs[0]
	head := t[:first[0]]
	if isSiteName(head) && runeCount(t[first[1]:]) > 2*runeCount(head) {
		return strings.TrimSpace(t[first[1]:])
	}
	return orig
}

// isSiteName guesses whether s is a site or section name rather than part
// of a headline.
func isSiteName(s string) bool {
	n := runeCount(s)
	if n == 0 {
		return false
	}
	han := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			han++
		}
	}
	if han > 0 {
		return n <= 12
	}
	return len(strings.Fields(s)) <= 4 && n <= 30
}
