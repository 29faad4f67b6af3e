package fetch

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/fetch/dates"
	"github.com/wirewatch/wirewatch/fetch/discover"
	"github.com/wirewatch/wirewatch/fetch/urlnorm"
	"github.com/wirewatch/wirewatch/model"
)

// ListingOptions tunes ParseListing.
type ListingOptions struct {
	// Location is the zone for zone-less dates; see SourceLocation. Nil
	// means Beijing for <html lang="zh…"> pages and .cn hosts, else UTC.
	Location *time.Location
	// Now is the reference for date plausibility. Default time.Now().
	Now time.Time
	// Profile is what earlier polls of the source taught the discovery of
	// links on a listing without selectors (listing_discover.go); nil
	// means none.
	Profile *discover.Profile
}

// listingSelectors are a Listing's compiled selectors; nil means unset.
type listingSelectors struct {
	item, link, title, date cascadia.Selector
}

func compileListing(l *model.Listing) (*listingSelectors, error) {
	if l == nil || strings.TrimSpace(l.Item) == "" {
		return nil, fmt.Errorf("%w: listing source without an item selector", ErrParse)
	}
	var s listingSelectors
	for _, f := range []struct {
		name, sel string
		dst       *cascadia.Selector
	}{{"item", l.Item, &s.item}, {"link", l.Link, &s.link}, {"title", l.Title, &s.title}, {"date", l.Date, &s.date}} {
		if strings.TrimSpace(f.sel) == "" {
			continue
		}
		c, err := cascadia.Compile(f.sel)
		if err != nil {
			return nil, fmt.Errorf("%w: %s selector %q: %w", ErrParse, f.name, f.sel, err)
		}
		*f.dst = c
	}
	return &s, nil
}

// ListingStats counts what a listing's selectors matched, for `wirewatch
// sources check` and for telling a changed page from an empty one.
type ListingStats struct {
	// Containers is how many elements (or JSON entries) the item
	// selector (path) matched.
	Containers int `json:"containers"`
	// Links is how many of them gave a usable link (after LinkPattern).
	Links int `json:"links"`
	// Titled is how many items have a title.
	Titled int `json:"titled"`
	// Dated is how many items have a date.
	Dated int `json:"dated"`
}

// ListingResult is what ReadListing found.
type ListingResult struct {
	Title string
	Items []model.Item
	Stats ListingStats
}

// ReadListing reads a listing page, HTML (ParseListing) or a JSON data file
// (listing format "json", ParseJSONListing), and counts what the selectors
// matched. On ErrListingEmpty the stats say how far the selectors got.
func ReadListing(body []byte, contentType string, page *url.URL, l *model.Listing, opts ListingOptions) (ListingResult, error) {
	if l != nil && l.Format == model.ListingFormatJSON {
		return ParseJSONListing(body, page, l, opts)
	}
	return parseHTMLListing(body, contentType, page, l, opts)
}

// ParseListing reads the articles of an HTML listing page with the source's
// selectors. The page is decoded to UTF-8 first (charset.DecodeHTML); links
// are resolved against <base href> or the page URL and canonicalised. It
// returns the page title and the items; when the selectors find no item with
// a usable link the error wraps ErrListingEmpty (the page changed: the source
// is broken and must be reported, not silently polled).
func ParseListing(body []byte, contentType string, page *url.URL, l *model.Listing, opts ListingOptions) (string, []model.Item, error) {
	r, err := parseHTMLListing(body, contentType, page, l, opts)
	return r.Title, r.Items, err
}

func parseHTMLListing(body []byte, contentType string, page *url.URL, l *model.Listing, opts ListingOptions) (ListingResult, error) {
	var res ListingResult
	if l == nil || strings.TrimSpace(l.Item) == "" {
		title, items, err := parseDiscovered(body, contentType, page, opts)
		res.Title, res.Items = title, items
		res.Stats = ListingStats{Containers: len(items), Links: len(items), Titled: countTitled(items)}
		return res, err
	}
	sel, err := compileListing(l)
	if err != nil {
		return res, err
	}
	pattern, err := linkPattern(l)
	if err != nil {
		return res, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	doc, _, err := charset.DecodeHTML(body, contentType)
	if err != nil {
		return res, fmt.Errorf("%w: listing: %w", ErrListingEmpty, err)
	}
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(doc))
	if err != nil {
		return res, fmt.Errorf("%w: listing: %w", ErrParse, err)
	}
	base := page
	if href, ok := d.Find("base[href]").First().Attr("href"); ok {
		if b, err := page.Parse(strings.TrimSpace(href)); err == nil && (b.Scheme == "http" || b.Scheme == "https") {
			base = b
		}
	}
	title := PlainText(d.Find("title").First().Text(), maxTitleRunes)
	if opts.Location == nil {
		opts.Location = SourceLocation(d.Find("html").AttrOr("lang", ""), page.String())
		if opts.Location == nil {
			opts.Location = time.UTC
		}
	}

	containers := d.FindMatcher(sel.item)
	var items []model.Item
	// seen maps a link to its item, so that an image link listed before
	// the text link to the same article lends its title from the second.
	seen := map[string]int{}
	containers.Each(func(_ int, s *goquery.Selection) {
		a := listingLink(s, sel.link)
		if a == nil {
			return
		}
		href, _ := a.Attr("href")
		if strings.TrimSpace(a.Text()) == "" {
			// An image link: the text link to the same page, when the
			// item has one, gives the title.
			s.Find("a[href]").EachWithBreak(func(_ int, b *goquery.Selection) bool {
				if b.AttrOr("href", "") == href && strings.TrimSpace(b.Text()) != "" {
					a = b
					return false
				}
				return true
			})
		}
		link, err := urlnorm.Canonical(strings.TrimSpace(href), base)
		if err != nil || (pattern != nil && !pattern.MatchString(link)) {
			return
		}
		if i, ok := seen[link]; ok {
			if items[i].Title == "" {
				items[i].Title = PlainText(a.Text(), maxTitleRunes)
			}
			return
		}
		seen[link] = len(items)
		it := model.Item{URL: link}
		if sel.title != nil {
			it.Title = PlainText(s.FindMatcher(sel.title).First().Text(), maxTitleRunes)
		}
		if it.Title == "" {
			it.Title = PlainText(a.Text(), maxTitleRunes)
		}
		if it.Title == "" {
			it.Title = PlainText(a.AttrOr("title", ""), maxTitleRunes)
		}
		if sel.date != nil {
			it.Published = listingDate(s.FindMatcher(sel.date).First(), l.DateLayout, opts)
		}
		if it.Published == nil && l.DateFromURL {
			it.Published = DateFromURL(link, opts.Location, opts.Now)
		}
		items = append(items, it)
	})
	res.Title, res.Items = title, items
	if len(items) == 0 && l.DataSource != "" {
		if ds := dataSourceURL(d, l.DataSource, base); ds != "" {
			res.Stats = countListing(containers.Length(), nil)
			return res, &DataSourceError{URL: ds}
		}
	}
	res.Stats = countListing(containers.Length(), items)
	if len(items) == 0 {
		return res, fmt.Errorf("%w: item selector %q matched %d elements, none with a usable link", ErrListingEmpty, l.Item, containers.Length())
	}
	return res, nil
}

// urlDate finds a date in an article URL: /2026-12/05/, /202612/05/,
// /2026/1205/ or /20261205/.
var urlDate = regexp.MustCompile(`/(20\d{2})-?(\d{2})/(\d{2})/|/(20\d{2})/(\d{2})(\d{2})/|/(20\d{2})(\d{2})(\d{2})/`)

// DateFromURL returns the date an article URL carries, at midnight in loc,
// or nil when it has none or an implausible one.
func DateFromURL(link string, loc *time.Location, now time.Time) *time.Time {
	m := urlDate.FindStringSubmatch(link)
	if m == nil {
		return nil
	}
	var parts []string
	for _, g := range m[1:] {
		if g != "" {
			parts = append(parts, g)
		}
	}
	if len(parts) != 3 {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	t, err := time.ParseInLocation("2006-01-02", parts[0]+"-"+parts[1]+"-"+parts[2], loc)
	if err != nil || !dates.Plausible(t, now) {
		return nil
	}
	return &t
}

// DataSourceError says that an HTML listing is filled by a data file: the
// caller reads URL as a JSON listing instead.
type DataSourceError struct{ URL string }

// Error implements error.
func (e *DataSourceError) Error() string { return "the list is filled from the data file " + e.URL }

// Unwrap makes the error an empty listing for callers that do not follow.
func (e *DataSourceError) Unwrap() error { return ErrListingEmpty }

// dataSourceURL reads "datasource:<id>" from the data attribute of the first
// element matching sel and returns the data file's URL ("" when none).
func dataSourceURL(d *goquery.Document, sel string, base *url.URL) string {
	v, ok := d.Find(sel).First().Attr("data")
	if !ok {
		return ""
	}
	id := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "datasource:"))
	if id == "" || strings.ContainsAny(id, "/?#\\ ") {
		return ""
	}
	u, err := base.Parse("ds_" + id + ".json")
	if err != nil {
		return ""
	}
	return u.String()
}

// NewsCNDataListing is how a news.cn data file is read.
var NewsCNDataListing = model.Listing{Format: model.ListingFormatJSON, Item: "datasource", Link: "publishUrl", Title: "title", Date: "publishTime"}

// countListing fills the stats of a listing's items.
func countListing(containers int, items []model.Item) ListingStats {
	st := ListingStats{Containers: containers, Links: len(items)}
	for _, it := range items {
		if it.Title != "" {
			st.Titled++
		}
		if it.Published != nil {
			st.Dated++
		}
	}
	return st
}

// linkPattern compiles a listing's LinkPattern (nil when unset).
func linkPattern(l *model.Listing) (*regexp.Regexp, error) {
	if l == nil || l.LinkPattern == "" {
		return nil, nil
	}
	re, err := regexp.Compile(l.LinkPattern)
	if err != nil {
		return nil, fmt.Errorf("%w: link_pattern %q: %w", ErrParse, l.LinkPattern, err)
	}
	return re, nil
}

// listingLink finds an item's link: the link selector, the item itself when
// it is an <a href>, or its first <a href>.
func listingLink(s *goquery.Selection, link cascadia.Selector) *goquery.Selection {
	if link != nil {
		m := s.FindMatcher(link)
		if s.Is("a[href]") && link.Match(s.Get(0)) {
			return s
		}
		if a := m.Filter("a[href]").First(); a.Length() > 0 {
			return a
		}
		if a := m.Find("a[href]").First(); a.Length() > 0 {
			return a
		}
		return nil
	}
	if s.Is("a[href]") {
		return s
	}
	if a := s.Find("a[href]").First(); a.Length() > 0 {
		return a
	}
	return nil
}

// listingDate reads a date from a <time datetime>, a title or data attribute,
// or the element's text.
func listingDate(s *goquery.Selection, layout string, opts ListingOptions) *time.Time {
	if s.Length() == 0 {
		return nil
	}
	cands := []string{s.AttrOr("datetime", ""), s.Text(), s.AttrOr("title", ""), s.AttrOr("content", "")}
	for _, c := range cands {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		t, err := dates.Parse(c, layout, opts.Location)
		if err != nil || !dates.Plausible(t, opts.Now) {
			continue
		}
		return &t
	}
	return nil
}
