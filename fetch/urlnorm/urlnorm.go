// Package urlnorm turns the links wirewatch discovers into canonical URLs, so
// that the same article reached through a feed, a listing page, a share link
// or a redirect is stored once.
//
// Parsing follows the WHATWG URL Standard (github.com/nlnwa/whatwg-url), the
// algorithm browsers use, so tabs, newlines, backslashes, IDNs and
// percent-encoding are treated the way the publishing site's own readers see
// them. On top of the standard the package applies its own rules:
//
//   - only http and https URLs are accepted (javascript:, mailto:, data:,
//     ftp: and the like are refused with ErrScheme);
//   - scheme and host are lower-cased, a trailing dot on the host is dropped,
//     default ports (:80 for http, :443 for https) are dropped, and an empty
//     path becomes "/";
//   - user info (user:password@) and the fragment are removed;
//   - tracking parameters (see IsTrackingParam) are removed and the remaining
//     query parameters are sorted by name, keeping their bytes as sent; an
//     empty query ("?") is removed.
package urlnorm

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	whatwg "github.com/nlnwa/whatwg-url/url"
	"golang.org/x/net/publicsuffix"
)

// ErrScheme is returned for URLs whose scheme is not http or https.
var ErrScheme = errors.New("urlnorm: scheme not allowed")

// ErrNoHost is returned for http(s) URLs without a host.
var ErrNoHost = errors.New("urlnorm: no host")

// ErrRelative is returned when a relative reference is given without a base.
var ErrRelative = errors.New("urlnorm: relative reference without a base")

// maxURLLength bounds the input; longer "links" are junk or attacks, and
// databases and servers commonly refuse URLs beyond a few kilobytes.
const maxURLLength = 8 << 10

// ErrTooLong is returned for URLs longer than 8 KiB.
var ErrTooLong = errors.New("urlnorm: URL longer than 8 KiB")

// parser is stateless and safe for concurrent use; it holds no configuration.
var parser = whatwg.NewParser()

// trackingExact lists query parameter names (lower-cased) that only identify
// a campaign, a share or a click and never select content.
//
// "from" is deliberately absent: many sites use it for paging or as a real
// selector. Only the WeChat share values of "from" are removed (see
// trackingFromValues).
var trackingExact = map[string]bool{
	"spm":                  true, // Alibaba/Taobao and many Chinese portals
	"spm_id_from":          true, // Bilibili
	"isappinstalled":       true, // WeChat share
	"wxfrom":               true, // WeChat share
	"wxshare_count":        true, // WeChat share
	"share_token":          true,
	"sharetoken":           true,
	"share_source":         true,
	"share_medium":         true,
	"share_from":           true,
	"share_tag":            true,
	"tt_from":              true, // Toutiao
	"fbclid":               true, // Facebook
	"gclid":                true, // Google Ads
	"gclsrc":               true,
	"dclid":                true,
	"msclkid":              true, // Microsoft Ads
	"yclid":                true, // Yandex
	"igshid":               true, // Instagram
	"mc_cid":               true, // Mailchimp
	"mc_eid":               true,
	"_hsenc":               true, // HubSpot
	"_hsmi":                true,
	"mkt_tok":              true, // Marketo
	"ref_src":              true, // Twitter
	"ref_url":              true, // Twitter
	"__twitter_impression": true,
}

// trackingFromValues are the values of "from" that WeChat appends to shared
// links; any other "from" is kept.
var trackingFromValues = map[string]bool{
	"timeline":      true,
	"singlemessage": true,
	"groupmessage":  true,
}

// IsTrackingParam reports whether the query parameter name=value is removed by
// Canonical: every utm_* parameter, the names in the list above (spm,
// spm_id_from, isappinstalled, wxfrom, share_token, fbclid, gclid, msclkid,
// igshid, mc_cid, …) and "from" only with the WeChat share values timeline,
// singlemessage and groupmessage. Names are compared case-insensitively.
func IsTrackingParam(name, value string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "utm_") {
		return true
	}
	if n == "from" {
		return trackingFromValues[strings.ToLower(value)]
	}
	return trackingExact[n]
}

// Canonical returns the canonical form of raw, resolved against base when raw
// is relative (base may be nil for absolute input). See the package comment
// for the rules. The error wraps ErrScheme, ErrNoHost, ErrRelative or
// ErrTooLong, or describes a parse failure.
func Canonical(raw string, base *url.URL) (string, error) {
	if len(raw) > maxURLLength {
		return "", fmt.Errorf("urlnorm: %w", ErrTooLong)
	}
	var (
		u   *whatwg.Url
		err error
	)
	if base != nil {
		u, err = parser.ParseRef(base.String(), raw)
	} else {
		u, err = parser.Parse(raw)
	}
	if err != nil {
		if base == nil && !hasScheme(raw) {
			return "", fmt.Errorf("urlnorm: %q: %w", truncate(raw), ErrRelative)
		}
		return "", fmt.Errorf("urlnorm: parse %q: %w", truncate(raw), err)
	}
	scheme := u.Scheme()
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("urlnorm: %q: %w (%s)", truncate(raw), ErrScheme, scheme)
	}
	// Every trailing dot goes: "a.." would otherwise become "a." and then
	// "a", and a host of dots alone ("http:..") is no host at all.
	host := strings.TrimRight(u.Hostname(), ".")
	if host == "" {
		return "", fmt.Errorf("urlnorm: %q: %w", truncate(raw), ErrNoHost)
	}

	var b strings.Builder
	b.Grow(len(raw) + 8)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host) // the WHATWG host parser has lower-cased it already
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		b.WriteByte(':')
		b.WriteString(p)
	}
	path := u.Pathname()
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	if q := cleanQuery(u.Query()); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	// Percent-encoding can grow a URL up to ninefold (an invalid byte
	// becomes %EF%BF%BD): the result obeys the same bound as the input, so
	// a canonical URL always canonicalizes to itself.
	if b.Len() > maxURLLength {
		return "", fmt.Errorf("urlnorm: %w (after encoding)", ErrTooLong)
	}
	if host != u.Hostname() {
		// The host parser read the host with its dots; without them it
		// may read it otherwise ("0.." is a name, "0" an IPv4 address), so
		// the result is parsed once more, to canonicalize to itself. It has
		// no trailing dot left, so this happens once.
		return Canonical(b.String(), nil)
	}
	return b.String(), nil
}

// cleanQuery drops tracking parameters and empty pairs and sorts the rest by
// decoded name (stable, so repeated names keep their order). The pairs keep
// their original encoding: re-encoding could change what the server sees.
func cleanQuery(q string) string {
	if q == "" {
		return ""
	}
	type pair struct{ raw, name string }
	parts := strings.Split(q, "&")
	pairs := make([]pair, 0, len(parts))
	for _, p := range parts {
		if p == "" {
			continue
		}
		name, value, _ := strings.Cut(p, "=")
		dn, dv := decode(name), decode(value)
		if IsTrackingParam(dn, dv) {
			continue
		}
		pairs = append(pairs, pair{raw: p, name: dn})
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.raw)
	}
	return b.String()
}

// decode percent-decodes a query component, leaving it as is when malformed.
func decode(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	d, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return d
}

// hasScheme reports whether s starts with something shaped like "scheme:".
func hasScheme(s string) bool {
	s = strings.TrimLeft(s, " \t\r\n\x00")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// SameSite reports whether a and b are on the same registrable domain
// (eTLD+1 by the public suffix list), e.g. www.news.cn and english.news.cn,
// but not a.github.io and b.github.io. IP addresses and single-label hosts
// must match exactly. Unparseable URLs are never the same site.
func SameSite(a, b string) bool {
	ha, ok := httpHostname(a)
	if !ok {
		return false
	}
	hb, ok := httpHostname(b)
	if !ok {
		return false
	}
	if ha == hb {
		return true
	}
	// (Alike by design: two calls, each with its error checked; an idiom, not shared logic.)
	ra, err := publicsuffix.EffectiveTLDPlusOne(ha)
	if err != nil {
		return false
	}
	rb, err := publicsuffix.EffectiveTLDPlusOne(hb)
	if err != nil {
		return false
	}
	return ra == rb
}

// httpHostname is the hostname (no port, no trailing dot) of an http(s) URL
// as a browser parses it, for SameSite; Host is the display form.
func httpHostname(s string) (string, bool) {
	u, err := parser.Parse(s)
	if err != nil {
		return "", false
	}
	if u.Scheme() != "http" && u.Scheme() != "https" {
		return "", false
	}
	h := strings.TrimSuffix(u.Hostname(), ".")
	return h, h != ""
}

// Host returns the lower-cased host, port included, of an absolute URL, for
// display and messages (web pages, `sources check` advice); "" when raw has
// no host. Unlike Canonical it accepts any scheme and keeps a default port.
func Host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
