package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wirewatch/wirewatch/classify"
	"github.com/wirewatch/wirewatch/daemon"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("classify", "classify JSON lines from stdin ({id,title,summary,body,lang}) → JSON lines on stdout", runClassify)
	register("reclassify", "re-run the current taxonomy over stored articles and report changed decisions", runReclassify)
}

func runClassify(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("classify")
	threshold := fs.Float64("threshold", 0, "relevance threshold (default: classify.threshold from the configuration)")
	topics := fs.String("topics", "", "topic taxonomy file (default: classify.topics_file, else the built-in one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, _, err := g.load(e)
	if err != nil {
		return err
	}
	if *threshold > 0 {
		cfg.Classify.Threshold = *threshold
	}
	if *topics != "" {
		cfg.Classify.TopicsFile = *topics
	}
	if err := cfg.Classify.Validate(); err != nil {
		return err
	}
	c, err := daemon.LoadClassifier(cfg.Classify)
	if err != nil {
		return err
	}
	return classify.RunJSONL(ctx, c, e.stdin, e.stdout)
}

func runReclassify(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("reclassify")
	since := fs.String("since", "", "only articles first seen on or after this date (YYYY-MM-DD)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// (Alike by design: flags, day and store open as in reextract.go and alert.go; each step is
	// already one call, and what follows differs.)
	from, err := parseDay("since", *since)
	if err != nil {
		return err
	}
	cfg, _, st, err := g.loadStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := daemon.LoadClassifier(cfg.Classify)
	if err != nil {
		return err
	}
	start := time.Now()
	// Queue alerts for changed decisions, for the subscribers the daemon
	// stored (this command does not sync its own configuration's).
	// Progress on stderr: a line every 2 s at most.
	last := start
	rep, err := daemon.Reclassify(ctx, st, daemon.NewClassifier(c), from, true, cfg.Alert.Backfill, func(r daemon.ReclassifyReport) {
		if time.Since(last) >= 2*time.Second {
			last = time.Now()
			fmt.Fprintf(e.stderr, "reclassify: %d article(s) done, %d now relevant, %d no longer relevant (%s)\n",
				r.Articles, r.BecameRelevant, r.NoLongerRelevant, time.Since(start).Round(time.Second))
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "reclassified %d article(s) with %s in %s: %d decision(s) changed (%d now relevant, %d no longer relevant)\n",
		rep.Articles, c.Version(), time.Since(start).Round(time.Millisecond), rep.BecameRelevant+rep.NoLongerRelevant, rep.BecameRelevant, rep.NoLongerRelevant)
	return nil
}
