package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/fetch"
	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/fetch/urlnorm"
	"github.com/wirewatch/wirewatch/model"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("sources", "the source catalogue: check (fetch each source and an article), import FILE.opml, export --format opml|yaml", runSources)
}

// sourceReport is what checking one source found; its JSON form is the
// output of `sources check --json` (one object per line).
type sourceReport struct {
	Name   string `json:"name"`
	Outlet string `json:"outlet"`
	Kind   string `json:"kind"`
	URL    string `json:"url"`
	// Status is the HTTP status of the poll (0: no response).
	Status int `json:"status"`
	// State is ok, stale, broken, blocked, challenge, or failing (an
	// error that says nothing about the site, such as a timeout).
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// ErrorKind classifies the poll's error (fetch.ErrorKind).
	ErrorKind string `json:"error_kind,omitempty"`
	Items     int    `json:"items"`
	// NewestItem and NewestAgeHours describe the newest dated item.
	NewestItem     *time.Time `json:"newest_item,omitempty"`
	NewestAgeHours *float64   `json:"newest_age_hours,omitempty"`
	// Listing counts what the listing's selectors matched.
	Listing *fetch.ListingStats `json:"listing,omitempty"`
	// ArticlesChecked articles were fetched; RuleHits of them were
	// extracted by their site rule (of RuleArticles that have one).
	ArticlesChecked int      `json:"articles_checked"`
	RuleArticles    int      `json:"rule_articles"`
	RuleHits        int      `json:"rule_hits"`
	NextStep        string   `json:"next_step,omitempty"`
	Problems        []string `json:"problems,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`
	TookMillis      int64    `json:"took_ms"`

	spec    model.Source
	items   []model.Item
	article *model.Extracted
}

// stateFailing is a poll error that says nothing about the site itself.
const stateFailing = "failing"

func runSources(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && (args[0] == "import" || args[0] == "export") {
		return runSourcesOPML(ctx, e, args[0], args[1:]) // opml.go
	}
	// (Alike by design: a command with a sub-command prints its own help, as alert does.)
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(e.stdout, "Usage: wirewatch sources check [--source NAME] [--articles N] [--json] [--config FILE]")
		fmt.Fprintln(e.stdout, "       wirewatch sources import [flags] FILE.opml   (sources import -h)")
		fmt.Fprintln(e.stdout, "       wirewatch sources export [--format opml|yaml] [--config FILE]")
		fmt.Fprintln(e.stdout, "Fetches each catalogue source and its first articles, and reports its state (ok, stale, broken, blocked, challenge, failing) and the next step to try.")
		return nil
	}
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("%w: want 'wirewatch sources check|import|export' (sources -h)", errUsage)
	}
	fs, g := e.commandFlags("sources check")
	only := fs.String("source", "", "check only this source (by name)")
	articles := fs.Int("articles", 3, "how many of each source's items to fetch and extract")
	parallel := fs.Int("parallel", 4, "sources checked at once")
	asJSON := fs.Bool("json", false, "print one JSON object per source instead of text")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, logger, err := g.load(e)
	if err != nil {
		return err
	}
	cat, rules, err := daemon.LoadRules(cfg)
	if err != nil {
		return err
	}
	client, err := fetch.NewClient(cfg.Fetch, logger, nil)
	if err != nil {
		return err
	}
	defer client.Close()

	var all, srcs []model.Source
	for _, s := range cat.Sources {
		all = append(all, s.Source())
		if *only != "" && s.Name != *only {
			continue
		}
		srcs = append(srcs, s.Source())
	}
	if len(srcs) == 0 {
		return fmt.Errorf("%w: no source named %q in the catalogue", errUsage, *only)
	}
	if err := client.UseSources(all); err != nil {
		return err
	}
	lim := fetch.StateLimits{StaleAfter: cfg.Fetch.StaleAfter, StaleGapFactor: cfg.Fetch.StaleGapFactor, RuleMissLimit: cfg.Fetch.RuleMissLimit}
	reports := make([]*sourceReport, len(srcs))
	sem := make(chan struct{}, max(*parallel, 1))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			reports[i] = checkSource(ctx, client, rules, src, *articles, lim)
		})
	}
	wg.Wait()
	counts := map[string]int{}
	bad := 0
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, r := range reports {
		counts[r.State]++
		if r.State != string(fetch.StateOK) {
			bad++
		}
		if *asJSON {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("sources check: %w", err)
			}
			continue
		}
		printReport(e.stdout, r)
	}
	if !*asJSON {
		var parts []string
		for _, st := range []string{"ok", "stale", "broken", "blocked", "challenge", stateFailing} {
			if counts[st] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
			}
		}
		fmt.Fprintf(e.stdout, "\n%d source(s) checked: %s; %d look broken\n", len(reports), strings.Join(parts, ", "), bad)
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d source(s) look broken", bad, len(reports))
	}
	return nil
}

func checkSource(ctx context.Context, c *fetch.Client, rules *extract.Rules, src model.Source, articles int, lim fetch.StateLimits) *sourceReport {
	r := &sourceReport{Name: src.Name, Outlet: src.Outlet, Kind: string(src.Kind), URL: src.URL, spec: src}
	start := time.Now()
	defer func() { r.TookMillis = time.Since(start).Milliseconds() }()
	res, err := c.Poll(ctx, src)
	r.Status, r.items, r.Items, r.Listing = res.Status, res.Items, len(res.Items), res.Listing
	v := fetch.JudgeSource(fetch.StateInput{Err: err, Items: res.Items}, lim, time.Now())
	if v.Newest != nil {
		r.NewestItem = v.Newest
		age := time.Since(*v.Newest).Hours()
		r.NewestAgeHours = &age
	}
	if err != nil {
		r.ErrorKind = fetch.ErrorKind(err)
		r.Problems = append(r.Problems, fmt.Sprintf("%s: %v", r.ErrorKind, err))
		r.State, r.Reason = stateFailing, err.Error()
		if v.Known {
			r.State, r.Reason = string(v.State), v.Reason
		}
		r.NextStep = nextStep(r)
		return r
	}
	r.State, r.Reason = string(v.State), v.Reason
	undated := 0
	for _, it := range res.Items {
		if it.Published == nil {
			undated++
		}
	}
	if undated == len(res.Items) && len(res.Items) > 0 {
		r.Warnings = append(r.Warnings, "no item has a date (check the date selector or layout): staleness cannot be judged")
	}
	for i := 0; i < articles && i < len(res.Items); i++ {
		it := res.Items[i]
		resp, err := c.Get(ctx, it.URL, fetch.Conditional{IgnoreRobots: !src.RespectRobots, Source: src.Name})
		r.ArticlesChecked++
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("article %s: %s: %v", it.URL, fetch.ErrorKind(err), err))
			if k := fetch.ErrorKind(err); (k == fetch.KindChallenge || k == fetch.KindBlocked) && r.State == string(fetch.StateOK) {
				r.State, r.Reason = k, "article pages: "+err.Error()
			}
			continue
		}
		ex, err := extract.Page(resp.Body, resp.Header.Get("Content-Type"), resp.URL, rules)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("article %s: extraction: %v", it.URL, err))
			continue
		}
		if r.article == nil {
			r.article = &ex
		}
		var pageHost string
		if u, err := url.Parse(resp.URL); err == nil {
			pageHost = u.Hostname()
		}
		if rules.For(pageHost) != nil {
			r.RuleArticles++
			if ex.Method == "rule" {
				r.RuleHits++
			} else {
				r.Problems = append(r.Problems, fmt.Sprintf("article %s: the site rule for %s matched no text (the generic extractor was used)", it.URL, pageHost))
			}
		}
		if n := utf8.RuneCountInString(ex.Text); n < 200 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("article %s: only %d characters of text", it.URL, n))
		}
		if ex.Published == nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("article %s: no publication date on the page (the listing's date is used)", it.URL))
		}
	}
	if r.RuleArticles > 0 && r.RuleHits == 0 && r.State == string(fetch.StateOK) {
		r.State = string(fetch.StateBroken)
		r.Reason = fmt.Sprintf("the site rule's body selector yielded nothing on %d article(s)", r.RuleArticles)
	}
	r.NextStep = nextStep(r)
	return r
}

// nextStep suggests what an operator should try for a report's state.
func nextStep(r *sourceReport) string {
	switch r.State {
	case string(fetch.StateChallenge):
		return "the site wants a cookie or JavaScript: try cookies: true; if the cookie is made by a script, via: browser; from outside China a proxy: in China often helps"
	case string(fetch.StateBlocked):
		return "the site refuses this client: try a proxy: (an address in China for government sites) or a browser user_agent with headers"
	case string(fetch.StateStale):
		return "the source answers but its newest item is old: the feed or section may be abandoned; look for the current section page in the evidence named in the notes"
	case string(fetch.StateBroken):
		if r.RuleArticles > 0 && r.RuleHits == 0 {
			return "update the site rule's body selector for " + urlnorm.Host(r.URL) + " (open an article page and find the element holding the text)"
		}
		if r.Kind == string(model.KindListing) {
			return "the listing matches nothing: open the page and update listing.item/link (or the JSON paths); compare with the evidence in the notes"
		}
		return "the feed is empty or not a feed: check the URL; the outlet may have dropped the feed (poll its section page as a listing instead)"
	case stateFailing:
		switch r.ErrorKind {
		case fetch.KindDNS, fetch.KindTimeout, fetch.KindTLS:
			return "the site is unreachable from here (" + r.ErrorKind + "): check DNS and routing; a proxy: may reach it"
		case fetch.KindHTTP4xx:
			return "the URL answers " + strconv.Itoa(r.Status) + ": the page moved; find its new address"
		case fetch.KindRobots:
			return "robots.txt forbids the URL: choose another page, or set robots: false only if the outlet agrees"
		}
		return "retry later; if it persists, check the URL in a browser"
	}
	if len(r.Warnings) > 0 {
		return "works; see the warnings"
	}
	return ""
}

func printReport(w io.Writer, r *sourceReport) {
	fmt.Fprintf(w, "\n%s  %s  [%s, %s]  %s\n", strings.ToUpper(r.State), r.Name, r.Outlet, r.Kind, r.URL)
	newest := "no dated item"
	if r.NewestAgeHours != nil {
		newest = "newest item " + ageText(*r.NewestAgeHours) + " old"
	}
	fmt.Fprintf(w, "  status %d, %d item(s), %s, %s\n", r.Status, r.Items, newest, (time.Duration(r.TookMillis) * time.Millisecond).String())
	if r.Reason != "" {
		fmt.Fprintf(w, "  state: %s\n", r.Reason)
	}
	if l := r.Listing; l != nil {
		fmt.Fprintf(w, "  selectors: item matched %d, %d with a link, %d titled, %d dated\n", l.Containers, l.Links, l.Titled, l.Dated)
	}
	for i, it := range r.items {
		if i == 3 {
			break
		}
		date := "no date"
		if it.Published != nil {
			date = it.Published.Format("2006-01-02 15:04 -0700")
		}
		fmt.Fprintf(w, "  - %s  (%s)\n", truncate(it.Title, 90), date)
	}
	if r.RuleArticles > 0 {
		fmt.Fprintf(w, "  site rule hit on %d of %d article(s)\n", r.RuleHits, r.RuleArticles)
	}
	if r.article != nil {
		fmt.Fprintf(w, "  article: %s — method %s, %d characters, lang %s\n", truncate(r.article.Title, 70), r.article.Method, utf8.RuneCountInString(r.article.Text), r.article.Lang)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  ! %s\n", p)
	}
	for _, p := range r.Warnings {
		fmt.Fprintf(w, "  ~ %s\n", p)
	}
	if r.NextStep != "" {
		fmt.Fprintf(w, "  next: %s\n", r.NextStep)
	}
}

// ageText prints an age in hours as hours or days.
func ageText(h float64) string {
	if h < 48 {
		return fmt.Sprintf("%.0fh", h)
	}
	return fmt.Sprintf("%.0f days", h/24)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
