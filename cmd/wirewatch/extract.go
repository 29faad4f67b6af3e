package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/fetch/extract"
)

func init() {
	register("extract", "extract an article: an HTML page on stdin → one JSON object on stdout", runExtract)
}

func runExtract(_ context.Context, e *env, args []string) error {
	var g globalFlags
	fs := e.newFlags("extract")
	g.add(fs)
	pageURL := fs.String("url", "", "the page's address (picks the site rule, resolves links)")
	contentType := fs.String("content-type", "", "the Content-Type header the page came with (for its charset)")
	sources := fs.String("sources", "", "source catalogue with site rules (default: the configuration's sources_file, else the built-in one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, _, err := g.load(e)
	if err != nil {
		return err
	}
	if *sources != "" {
		cfg.SourcesFile = *sources
	}
	_, rules, err := daemon.LoadRules(cfg)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(e.stdin, 64<<20))
	if err != nil {
		return fmt.Errorf("read page from stdin: %w", err)
	}
	ex, err := extract.Page(raw, *contentType, *pageURL, rules)
	if err != nil {
		return err
	}
	out := struct {
		Title     string `json:"title"`
		Byline    string `json:"byline"`
		Published string `json:"published"`
		Lang      string `json:"lang"`
		Text      string `json:"text"`
		Method    string `json:"method"`
	}{Title: ex.Title, Byline: ex.Byline, Lang: ex.Lang, Text: ex.Text, Method: ex.Method}
	if ex.Published != nil {
		out.Published = ex.Published.Format(time.RFC3339)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
