package fetch

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/fetch/discover"
	"github.com/wirewatch/wirewatch/model"
)

// parseDiscovered reads a listing page that has no selectors: its article
// links are found from the page itself (discover.Links), helped by what
// opts.Profile learned on earlier polls, which it then updates. A page
// without any article link is ErrListingEmpty, as with selectors.
func parseDiscovered(body []byte, contentType string, page *url.URL, opts ListingOptions) (string, []model.Item, error) {
	doc, _, err := charset.DecodeHTML(body, contentType)
	if err != nil {
		return "", nil, fmt.Errorf("%w: listing: %w", ErrListingEmpty, err)
	}
	title := PlainText(pageTitle(doc), maxTitleRunes)
	links, err := discover.Links(doc, page, opts.Profile)
	if err != nil {
		return title, nil, fmt.Errorf("%w: listing: %w", ErrParse, err)
	}
	if len(links) == 0 {
		return title, nil, fmt.Errorf("%w: no article links found on the page (the source has no selectors)", ErrListingEmpty)
	}
	opts.Profile.Learn(links)
	items := make([]model.Item, 0, len(links))
	for _, l := range links {
		items = append(items, model.Item{URL: l.URL, Title: PlainText(l.Title, maxTitleRunes)})
	}
	return title, items, nil
}

// pageTitle is the text of the first <title>, read with the tokenizer
// (the discovery parses the page itself).
func pageTitle(doc []byte) string {
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			name, _ := z.TagName()
			if atom.Lookup(name) == atom.Title {
				if z.Next() == html.TextToken {
					return string(z.Text())
				}
				return ""
			}
			if atom.Lookup(name) == atom.Body {
				return ""
			}
		}
	}
}

// maxProfiles bounds the profiles a client keeps (one per listing source
// without selectors); past it, new sources are polled without one.
const maxProfiles = 10000

// profileTable keeps one discovery profile per listing source without
// selectors, for the life of the process (a restart relearns in a few
// polls). The zero value is ready.
type profileTable struct {
	mu sync.Mutex
	m  map[string]*discover.Profile
}

// get returns src's profile, or nil for a source that has selectors.
func (t *profileTable) get(src model.Source) *discover.Profile {
	if src.Kind != model.KindListing || (src.Listing != nil && strings.TrimSpace(src.Listing.Item) != "") {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.m[src.URL]; ok {
		return p
	}
	if len(t.m) >= maxProfiles {
		return nil
	}
	if t.m == nil {
		t.m = map[string]*discover.Profile{}
	}
	p := discover.NewProfile()
	t.m[src.URL] = p
	return p
}

// countTitled is how many items have a title.
func countTitled(items []model.Item) int {
	n := 0
	for _, it := range items {
		if it.Title != "" {
			n++
		}
	}
	return n
}
