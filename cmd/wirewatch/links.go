package main

import (
	"bufio"
	"context"
	"fmt"
	"github.com/wirewatch/wirewatch/config"
	"io"
	"net/url"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/fetch/discover"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("links", "print the article links a listing page without selectors would give: an HTML page on stdin → one URL per line", runLinks)
}

func runLinks(_ context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("links")
	pageURL := fs.String("url", "", "the page's address (required: links are resolved against it and judged by its site)")
	contentType := fs.String("content-type", "", "the Content-Type header the page came with (for its charset)")
	verbose := fs.Bool("v", false, "also print why each link was taken and its title, tab-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The discovery needs no setting, but a bad --config is still refused.
	if _, _, err := g.load(e); err != nil {
		return err
	}
	u, err := url.Parse(*pageURL)
	if *pageURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: --url wants the page's absolute http(s) address, got %q", errUsage, *pageURL)
	}
	raw, err := io.ReadAll(io.LimitReader(e.stdin, config.DefaultExtractInput))
	if err != nil {
		return fmt.Errorf("read page from stdin: %w", err)
	}
	page, _, err := charset.DecodeHTML(raw, *contentType)
	if err != nil {
		return fmt.Errorf("links: %w", err)
	}
	links, err := discover.Links(page, u, nil)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	for _, l := range links {
		if *verbose {
			fmt.Fprintf(w, "%s\t%s\t%s\n", l.URL, l.Reason, l.Title)
		} else {
			fmt.Fprintln(w, l.URL)
		}
	}
	return w.Flush()
}
