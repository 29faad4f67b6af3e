// Package model holds the plain data types shared by the wirewatch packages.
// It imports nothing of the project, so every other package may depend on it.
package model

import "time"

// SourceKind says how a source is polled.
type SourceKind string

// The kinds of source.
const (
	// KindFeed is an RSS, Atom, RDF or JSON feed parsed with gofeed.
	KindFeed SourceKind = "feed"
	// KindListing is an HTML listing page read with CSS selectors.
	KindListing SourceKind = "listing"
)

// SourceKinds lists every kind the poller reads (fetch.Client.Poll): the
// catalogue accepts these. A new kind is a constant here, its case in
// fetch/poll.go and its reader in fetch/; the schema takes any lower-case
// name (migration 015).
var SourceKinds = []SourceKind{KindFeed, KindListing}

// Listing names the CSS selectors that find articles on a listing page.
// (Alike by design: Listing and SiteRule are both selector sets with yaml and json tags.)
type Listing struct {
	// Item selects one element per article (the container).
	Item string `yaml:"item" json:"item"`
	// Link selects the <a> inside an item; empty means the item itself or its first link.
	Link string `yaml:"link,omitempty" json:"link,omitempty"`
	// Title selects the title text inside an item; empty means the link text.
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// Date selects the element holding the date inside an item; empty means none.
	Date string `yaml:"date,omitempty" json:"date,omitempty"`
	// DateLayout is a Go time layout for Date; empty means the built-in guesses.
	DateLayout string `yaml:"date_layout,omitempty" json:"date_layout,omitempty"`
	// Format is "html" (default: the fields are CSS selectors) or "json":
	// the page is a JSON data file, Item is the dotted path to its array of
	// entries ("" or "." for a top-level array; e.g. "data.list") and Link,
	// Title and Date are dotted paths inside one entry.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// LinkPattern, when set, is a regular expression a link must match to
	// be kept (e.g. `/zhengce/.*content_\d+\.htm`), for lists that mix
	// articles with navigation links.
	LinkPattern string `yaml:"link_pattern,omitempty" json:"link_pattern,omitempty"`
	// DateFromURL dates an item whose listing shows no date from its URL
	// (/2026-12/05/, /202612/05/, /2026/1205/, /20261205/), at midnight in
	// the source's zone.
	DateFromURL bool `yaml:"date_from_url,omitempty" json:"date_from_url,omitempty"`
	// DataSource is a CSS selector for the element whose data attribute
	// names a news.cn data file ("datasource:<id>" → ds_<id>.json beside
	// the page); when the HTML list is empty the data file is read
	// instead ({"datasource": [{title, publishUrl, publishTime}]}).
	DataSource string `yaml:"data_source,omitempty" json:"data_source,omitempty"`
}

// ListingFormatJSON marks a listing whose page is a JSON data file.
const ListingFormatJSON = "json"

// FetchOptions are the HTTP settings of one source, beyond the shared
// client's. Zero values mean "as the global fetch settings say".
type FetchOptions struct {
	// UserAgent replaces fetch.user_agent for this source's host.
	UserAgent string `yaml:"user_agent,omitempty" json:"user_agent,omitempty"`
	// Headers are extra request headers (e.g. Referer); they cannot replace
	// the conditional-request headers.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Cookies keeps a cookie jar for the source's host across requests, so
	// sites that set a cookie and redirect (anti-bot checks) can be read.
	Cookies bool `yaml:"cookies,omitempty" json:"cookies,omitempty"`
	// Proxy is an http://, https:// or socks5:// proxy URL replacing
	// fetch.proxy; "direct" turns the global proxy off for the source.
	Proxy string `yaml:"proxy,omitempty" json:"proxy,omitempty"`
	// Via is "" (plain HTTP) or "browser" (headless Chromium, for pages that
	// set their cookie in JavaScript).
	Via string `yaml:"via,omitempty" json:"via,omitempty"`
}

// IsZero reports whether no option is set.
func (o FetchOptions) IsZero() bool {
	return o.UserAgent == "" && len(o.Headers) == 0 && !o.Cookies && o.Proxy == "" && o.Via == ""
}

// SiteRule names the CSS selectors that extract an article page of one outlet.
// Each field may list several selectors separated by commas; the first that
// matches non-empty text wins.
// (Alike by design: Listing and SiteRule are both selector sets with yaml and json tags.)
type SiteRule struct {
	// Outlet names the outlet the rule was written for (documentation and logs).
	Outlet string `yaml:"outlet,omitempty" json:"outlet,omitempty"`
	// Hosts lists the host names the rule applies to; a host matches itself
	// and its subdomains ("news.cn" matches "english.news.cn").
	Hosts []string `yaml:"hosts,omitempty" json:"hosts,omitempty"`
	// Title selects the headline.
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// Body selects the element(s) holding the article text.
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// Date selects the element holding the publication time.
	Date string `yaml:"date,omitempty" json:"date,omitempty"`
	// DateLayout is a Go time layout for Date; empty means the built-in guesses.
	DateLayout string `yaml:"date_layout,omitempty" json:"date_layout,omitempty"`
	// Byline selects the author or source line.
	Byline string `yaml:"byline,omitempty" json:"byline,omitempty"`
	// Remove selects elements dropped from Body before its text is taken.
	Remove string `yaml:"remove,omitempty" json:"remove,omitempty"`
}

// Source is one feed or listing page wirewatch polls.
type Source struct {
	ID       int64
	Name     string
	Outlet   string
	Kind     SourceKind
	URL      string
	Language string // "en", "zh" or "" (unknown)
	Listing  *Listing
	Rule     *SiteRule
	Interval time.Duration
	// RespectRobots is false only when the operator turned robots.txt off for this source.
	RespectRobots bool
	// Fetch holds the source's HTTP options (from the catalogue; not stored
	// in the database: fetch.Client.UseSources registers them by name and
	// host).
	Fetch FetchOptions

	// Poll state.
	ETag         string
	LastModified string
	Failures     int
	LastError    string
	LastOKAt     *time.Time
}

// Item is one entry discovered in a feed or on a listing page.
type Item struct {
	URL       string // canonical URL
	Title     string
	Summary   string // plain text
	Author    string
	GUID      string
	Published *time.Time
}

// Extracted is the result of extracting one article page.
type Extracted struct {
	Title     string     `json:"title"`
	Byline    string     `json:"byline"`
	Published *time.Time `json:"published"`
	Lang      string     `json:"lang"`
	Text      string     `json:"text"`
	// Method says what produced Text: "rule", "generic" or "summary".
	Method string `json:"method"`
	// CanonicalURL is the page's rel=canonical when it is on the same site.
	CanonicalURL string `json:"canonical_url,omitempty"`
}

// Evidence is one reason a topic scored: a matched term or phrase and where.
type Evidence struct {
	// Term is the taxonomy term or rule that matched.
	Term string `json:"term"`
	// Field is where it matched: "title", "summary" or "body".
	Field string `json:"field"`
	// Snippet is a short passage around the match.
	Snippet string `json:"snippet,omitempty"`
	// Weight is the contribution to the topic's raw score.
	Weight float64 `json:"weight"`
}

// TopicScore is one topic's score for an article.
type TopicScore struct {
	ID       string     `json:"id"`
	Score    float64    `json:"score"`
	Evidence []Evidence `json:"evidence"`
}

// Classification is the classifier's decision on one article.
type Classification struct {
	Version  string       `json:"version"`
	Relevant bool         `json:"relevant"`
	Score    float64      `json:"score"`
	Topics   []TopicScore `json:"topics"`
}
