package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/fetch"
	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/model"
)

func init() {
	register("sources", "the source catalogue: check (fetch each source and an article), import FILE.opml, export --format opml|yaml", runSources)
}

// sourceReport is what checking one source found.
type sourceReport struct {
	spec     model.Source
	items    []model.Item
	status   int
	err      error
	article  *model.Extracted
	artURL   string
	artErr   error
	problems []string
	warnings []string
	took     time.Duration
}

func runSources(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && (args[0] == "import" || args[0] == "export") {
		return runSourcesOPML(ctx, e, args[0], args[1:]) // opml.go
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(e.stdout, "Usage: wirewatch sources check [--source NAME] [--articles N] [--config FILE]")
		fmt.Fprintln(e.stdout, "       wirewatch sources import [flags] FILE.opml   (sources import -h)")
		fmt.Fprintln(e.stdout, "       wirewatch sources export [--format opml|yaml] [--config FILE]")
		fmt.Fprintln(e.stdout, "Fetches each catalogue source and its first articles, and reports what looks broken.")
		return nil
	}
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("%w: want 'wirewatch sources check|import|export' (sources -h)", errUsage)
	}
	var g globalFlags
	fs := e.newFlags("sources check")
	g.add(fs)
	only := fs.String("source", "", "check only this source (by name)")
	articles := fs.Int("articles", 1, "how many of each source's items to fetch and extract")
	parallel := fs.Int("parallel", 4, "sources checked at once")
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

	var srcs []model.Source
	for _, s := range cat.Sources {
		if *only != "" && s.Name != *only {
			continue
		}
		srcs = append(srcs, s.Source())
	}
	if len(srcs) == 0 {
		return fmt.Errorf("%w: no source named %q in the catalogue", errUsage, *only)
	}
	reports := make([]*sourceReport, len(srcs))
	sem := make(chan struct{}, max(*parallel, 1))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			reports[i] = checkSource(ctx, client, rules, src, *articles)
		})
	}
	wg.Wait()
	broken := 0
	for _, r := range reports {
		printReport(e.stdout, r)
		if len(r.problems) > 0 {
			broken++
		}
	}
	fmt.Fprintf(e.stdout, "\n%d source(s) checked, %d look broken\n", len(reports), broken)
	if broken > 0 {
		return fmt.Errorf("%d of %d source(s) look broken", broken, len(reports))
	}
	return nil
}

func checkSource(ctx context.Context, c *fetch.Client, rules *extract.Rules, src model.Source, articles int) *sourceReport {
	r := &sourceReport{spec: src}
	start := time.Now()
	defer func() { r.took = time.Since(start) }()
	res, err := c.Poll(ctx, src)
	r.status, r.items, r.err = res.Status, res.Items, err
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: %v", fetch.ErrorKind(err), err))
		return r
	}
	if len(res.Items) == 0 {
		r.problems = append(r.problems, "no items: the feed is empty or the listing selectors match nothing")
		return r
	}
	undated := 0
	for _, it := range res.Items {
		if it.Published == nil {
			undated++
		}
	}
	if undated == len(res.Items) {
		r.problems = append(r.problems, "no item has a date (check the date selector or layout)")
	}
	for i := 0; i < articles && i < len(res.Items); i++ {
		it := res.Items[i]
		r.artURL = it.URL
		resp, err := c.Get(ctx, it.URL, fetch.Conditional{IgnoreRobots: !src.RespectRobots})
		if err != nil {
			r.artErr = err
			r.problems = append(r.problems, fmt.Sprintf("article %s: %v", it.URL, err))
			continue
		}
		ex, err := extract.Page(resp.Body, resp.Header.Get("Content-Type"), resp.URL, rules)
		if err != nil {
			r.artErr = err
			r.problems = append(r.problems, fmt.Sprintf("article %s: extraction: %v", it.URL, err))
			continue
		}
		r.article = &ex
		switch {
		case utf8.RuneCountInString(ex.Text) < 200:
			r.problems = append(r.problems, fmt.Sprintf("article %s: only %d characters of text", it.URL, utf8.RuneCountInString(ex.Text)))
		case rules.For(hostOf(resp.URL)) != nil && ex.Method != "rule":
			r.problems = append(r.problems, fmt.Sprintf("article %s: the site rule for %s matched no text (the generic extractor was used)", it.URL, hostOf(resp.URL)))
		}
		if ex.Published == nil {
			r.warnings = append(r.warnings, fmt.Sprintf("article %s: no publication date on the page (the feed's date is used)", it.URL))
		}
	}
	return r
}

func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return strings.ToLower(host)
}

func printReport(w io.Writer, r *sourceReport) {
	state := "OK"
	if len(r.problems) > 0 {
		state = "BROKEN"
	}
	fmt.Fprintf(w, "\n%s  %s  [%s, %s]  %s\n", state, r.spec.Name, r.spec.Outlet, r.spec.Kind, r.spec.URL)
	fmt.Fprintf(w, "  status %d, %d item(s), %s\n", r.status, len(r.items), r.took.Round(time.Millisecond))
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
	if r.article != nil {
		fmt.Fprintf(w, "  article: %s — method %s, %d characters, lang %s\n", truncate(r.article.Title, 70), r.article.Method, utf8.RuneCountInString(r.article.Text), r.article.Lang)
	}
	for _, p := range r.problems {
		fmt.Fprintf(w, "  ! %s\n", p)
	}
	for _, p := range r.warnings {
		fmt.Fprintf(w, "  ~ %s\n", p)
	}
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
