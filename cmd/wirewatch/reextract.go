package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/daemon"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("reextract", "re-run extraction over the stored raw pages and report how many texts changed", runReextract)
}

func runReextract(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("reextract")
	since := fs.String("since", "", "only articles first seen on or after this date (YYYY-MM-DD)")
	dryRun := fs.Bool("dry-run", false, "count the texts that would change; write nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// (Alike by design: flags, day and store open as in classify.go; each step is already one call.)
	from, err := parseDay("since", *since)
	if err != nil {
		return err
	}
	cfg, _, st, err := g.loadStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	_, rules, err := daemon.LoadRules(cfg)
	if err != nil {
		return err
	}
	c, err := daemon.LoadClassifier(cfg.Classify)
	if err != nil {
		return err
	}
	start := time.Now()
	last := start
	rep, err := daemon.Reextract(ctx, st, daemon.NewExtractor(rules), daemon.NewClassifier(c), true, daemon.ReextractOptions{
		Since:    from,
		DryRun:   *dryRun,
		MaxRaw:   cfg.Fetch.MaxBodyBytes,
		Backfill: cfg.Alert.Backfill,
		Progress: func(done, total int, r daemon.ReextractReport) {
			// A line every 2 s at most, and the last one.
			if now := time.Now(); now.Sub(last) >= 2*time.Second || done == total {
				last = now
				fmt.Fprintf(e.stderr, "reextract: %d/%d pages, %d text(s) changed, %d failed\n", done, total, r.Changed, r.Failed)
			}
		},
	})
	if err != nil {
		return err
	}
	var methods []string
	for _, m := range slices.Sorted(maps.Keys(rep.Methods)) {
		methods = append(methods, fmt.Sprintf("%s %d", m, rep.Methods[m]))
	}
	verb := "changed"
	if *dryRun {
		verb = "would change (dry run: nothing written)"
	}
	fmt.Fprintf(e.stdout, "re-extracted %d stored page(s) in %s: %d text(s) %s", rep.Pages, time.Since(start).Round(time.Millisecond), rep.Changed, verb)
	if len(methods) > 0 {
		fmt.Fprintf(e.stdout, " (%s)", strings.Join(methods, ", "))
	}
	fmt.Fprintf(e.stdout, "; %d page(s) gave no text and kept theirs", rep.Failed)
	if !*dryRun {
		fmt.Fprintf(e.stdout, "; %d skipped (a newer revision arrived); re-classified: %d now relevant, %d no longer relevant", rep.Stale, rep.BecameRelevant, rep.NoLongerRelevant)
	}
	fmt.Fprintln(e.stdout)
	return nil
}
