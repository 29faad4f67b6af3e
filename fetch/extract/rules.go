package extract

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/goccy/go-yaml"
	"golang.org/x/net/html"

	"github.com/wirewatch/wirewatch/configs"
	"github.com/wirewatch/wirewatch/model"
)

// Rules holds the site rules of a catalogue, looked up by page host.
type Rules struct {
	rules []model.SiteRule
	// compiled holds the rules' selectors ready for matching, by index.
	compiled []compiledRule
}

// compiledRule holds a site rule's selectors compiled once: each of its
// selector lists split into its alternatives (splitSelectors), and the
// remove list as a whole.
type compiledRule struct {
	title, body, date, byline []goquery.Matcher
	remove                    goquery.Matcher
}

func compileRule(r *model.SiteRule) compiledRule {
	c := compiledRule{
		title:  compileList(r.Title),
		body:   compileList(r.Body),
		date:   compileList(r.Date),
		byline: compileList(r.Byline),
	}
	if r.Remove != "" {
		c.remove = compileSelector(r.Remove)
	}
	return c
}

func compileList(group string) []goquery.Matcher {
	var out []goquery.Matcher
	for _, sel := range splitSelectors(group) {
		out = append(out, compileSelector(sel))
	}
	return out
}

// compileSelector compiles sel as goquery's Find(sel) does: a selector that
// does not compile matches nothing.
func compileSelector(sel string) goquery.Matcher {
	m, err := cascadia.Compile(sel)
	if err != nil {
		return noMatch{}
	}
	return m
}

// noMatch is a goquery.Matcher that matches nothing.
type noMatch struct{}

func (noMatch) Match(*html.Node) bool            { return false }
func (noMatch) MatchAll(*html.Node) []*html.Node { return nil }
func (noMatch) Filter([]*html.Node) []*html.Node { return nil }

// NewRules checks the selectors of rules and returns them ready for lookup,
// compiled. rules must not be changed afterwards.
func NewRules(rules []model.SiteRule) (*Rules, error) {
	var errs []error
	for i, r := range rules {
		if len(r.Hosts) == 0 {
			errs = append(errs, fmt.Errorf("site rule %d (%s): no hosts", i, r.Outlet))
		}
		for _, h := range r.Hosts {
			if h != strings.ToLower(strings.TrimSpace(h)) || h == "" || strings.ContainsAny(h, "/:") {
				errs = append(errs, fmt.Errorf("site rule %d (%s): host %q must be a lower-case host name", i, r.Outlet, h))
			}
		}
		if r.Body == "" {
			errs = append(errs, fmt.Errorf("site rule %d (%s): no body selector", i, r.Outlet))
		}
		for field, sel := range map[string]string{"title": r.Title, "body": r.Body, "date": r.Date, "byline": r.Byline, "remove": r.Remove} {
			if sel == "" {
				continue
			}
			if _, err := cascadia.ParseGroup(sel); err != nil {
				errs = append(errs, fmt.Errorf("site rule %d (%s): %s selector %q: %w", i, r.Outlet, field, sel, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("extract: invalid site rules: %w", err)
	}
	c := make([]compiledRule, len(rules))
	for i := range rules {
		c[i] = compileRule(&rules[i])
	}
	return &Rules{rules: rules, compiled: c}, nil
}

// catalogue is the part of a sources.yaml document LoadRules reads.
type catalogue struct {
	SiteRules []model.SiteRule `yaml:"site_rules"`
}

// LoadRules reads the site_rules list of a sources.yaml-shaped document,
// ignoring its other keys, and checks that every selector compiles.
func LoadRules(data []byte) (*Rules, error) {
	var c catalogue
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("extract: parse site rules: %w", err)
	}
	return NewRules(c.SiteRules)
}

// DefaultRules returns the site rules of the catalogue embedded in the binary
// (configs/sources.yaml).
func DefaultRules() (*Rules, error) {
	data, err := fs.ReadFile(configs.FS, "sources.yaml")
	if err != nil {
		return nil, fmt.Errorf("extract: read embedded sources.yaml: %w", err)
	}
	return LoadRules(data)
}

// Len returns the number of rules.
func (r *Rules) Len() int {
	if r == nil {
		return 0
	}
	return len(r.rules)
}

// All returns a copy of the rules.
func (r *Rules) All() []model.SiteRule {
	if r == nil {
		return nil
	}
	return append([]model.SiteRule(nil), r.rules...)
}

// compiledFor returns the compiled selectors of rule, one of r's rules (as
// For returns them), compiling them when rule is not one of r's.
func (r *Rules) compiledFor(rule *model.SiteRule) *compiledRule {
	if r != nil {
		for i := range r.rules {
			if &r.rules[i] == rule {
				return &r.compiled[i]
			}
		}
	}
	c := compileRule(rule)
	return &c
}

// For returns the rule for host, or nil. A rule's host matches itself and
// its subdomains; when several match, the longest (most specific) host wins.
func (r *Rules) For(host string) *model.SiteRule {
	if r == nil {
		return nil
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	var best *model.SiteRule
	bestLen := 0
	for i := range r.rules {
		for _, h := range r.rules[i].Hosts {
			if (host == h || strings.HasSuffix(host, "."+h)) && len(h) > bestLen {
				best, bestLen = &r.rules[i], len(h)
			}
		}
	}
	return best
}
