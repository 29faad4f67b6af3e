package fetch

import (
	"bytes"
	"fmt"
	"net/url"
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

// ParseListing reads the articles of an HTML listing page with the source's
// selectors. The page is decoded to UTF-8 first (charset.DecodeHTML); links
// are resolved against <base href> or the page URL and canonicalised. It
// returns the page title and the items; when the selectors find no item with
// a usable link the error wraps ErrListingEmpty (the page changed: the source
// is broken and must be reported, not silently polled).
func ParseListing(body []byte, contentType string, page *url.URL, l *model.Listing, opts ListingOptions) (string, []model.Item, error) {
	if l == nil || strings.TrimSpace(l.Item) == "" {
		return parseDiscovered(body, contentType, page, opts)
	}
	sel, err := compileListing(l)
	if err != nil {
		return "", nil, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	doc, _, err := charset.DecodeHTML(body, contentType)
	if err != nil {
		return "", nil, fmt.Errorf("%w: listing: %w", ErrListingEmpty, err)
	}
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(doc))
	if err != nil {
		return "", nil, fmt.Errorf("%w: listing: %w", ErrParse, err)
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
	seen := map[string]bool{}
	containers.Each(func(_ int, s *goquery.Selection) {
		a := listingLink(s, sel.link)
		if a == nil {
			return
		}
		href, _ := a.Attr("href")
		link, err := urlnorm.Canonical(strings.TrimSpace(href), base)
		if err != nil || seen[link] {
			return
		}
		seen[link] = true
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
		items = append(items, it)
	})
	if len(items) == 0 {
		return title, nil, fmt.Errorf("%w: item selector %q matched %d elements, none with a usable link", ErrListingEmpty, l.Item, containers.Length())
	}
	return title, items, nil
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
