package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/wirewatch/wirewatch/store"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("export", "stream archived articles as CSV or JSON lines", runExport)
}

const exportUsage = `Usage: wirewatch export --since TIME [--until TIME] [--relevant-only] --format csv|jsonl [--output FILE]

Streams articles (current text and classification), oldest first, to
standard output or FILE. Memory stays flat however many rows; a progress
bar shows on a terminal only. Times are UTC dates (2026-01-31), months
(2026-01), RFC 3339 times, or ages such as 36h, 7d, 2w.

Flags:
`

func runExport(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("export")
	since := fs.String("since", "", "articles published at or after this time (required; \"all\" for the whole archive)")
	until := fs.String("until", "", "articles published before this time")
	relevant := fs.Bool("relevant-only", false, "only articles the classifier judged relevant")
	format := fs.String("format", "", "csv or jsonl (required)")
	output := fs.String("output", "", "write to this file instead of standard output")
	noProgress := fs.Bool("no-progress", false, "no progress bar even on a terminal")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), exportUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *format != "csv" && *format != "jsonl" {
		return fmt.Errorf("%w: --format must be csv or jsonl", errUsage)
	}
	var f store.ExportFilter
	now := time.Now()
	var err error
	switch *since {
	case "":
		return fmt.Errorf("%w: --since is required (a time, or \"all\")", errUsage)
	case "all":
	default:
		if f.Since, err = parseWhen(*since, now); err != nil {
			return fmt.Errorf("%w: --since: %v", errUsage, err)
		}
	}
	if f.Until, err = parseWhen(*until, now); err != nil {
		return fmt.Errorf("%w: --until: %v", errUsage, err)
	}
	if !f.Until.IsZero() && !f.Since.IsZero() && !f.Until.After(f.Since) {
		return fmt.Errorf("%w: --until (%s) is not after --since (%s): nothing could be exported", errUsage,
			f.Until.UTC().Format(time.RFC3339), f.Since.UTC().Format(time.RFC3339))
	}
	f.RelevantOnly = *relevant

	_, logger, s, err := g.loadStore(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()

	out := e.stdout
	if *output != "" {
		file, err := os.Create(*output)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer file.Close()
		out = file
	}
	var bar *progressbar.ProgressBar
	if _, tty := terminalFd(e.stderr); tty && !*noProgress {
		total, err := s.CountExport(ctx, f)
		if err != nil {
			return err
		}
		bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("exporting"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	n, err := s.ExportTo(ctx, f, *format, out, func() {
		if bar != nil {
			_ = bar.Add(1)
		}
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	if file, ok := out.(*os.File); ok && *output != "" {
		if err := file.Close(); err != nil {
			return fmt.Errorf("export: close %s: %w", *output, err)
		}
	}
	logger.Debug("export finished", "rows", n, "format", *format)
	return nil
}
