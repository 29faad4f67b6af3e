package main

import (
	"context"
	"fmt"
	"github.com/wirewatch/wirewatch/daemon"
	"io"
	"log/slog"
	"os"

	"github.com/wirewatch/wirewatch/classify"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon/deliver"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("digest", "render (--dry-run) or send (--send) a subscriber's next digest", runDigest)
}

func runDigest(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("digest")
	name := fs.String("subscriber", "", "subscriber name (required)")
	dryRun := fs.Bool("dry-run", false, "render the next digest to stdout without recording anything (the default)")
	send := fs.Bool("send", false, "send the digest now and record it")
	format := fs.String("format", "text", "dry-run output: html, text or eml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --subscriber is required", errUsage)
	}
	if *send && *dryRun {
		return fmt.Errorf("%w: --send and --dry-run exclude each other", errUsage)
	}
	if *format != "html" && *format != "text" && *format != "eml" {
		return fmt.Errorf("%w: --format wants html, text or eml, got %q", errUsage, *format)
	}
	cfg, logger, err := g.load(e)
	if err != nil {
		return err
	}
	// This command sees only its own configuration, which need not list
	// every subscriber the daemon serves: it touches the one named and
	// never prunes the others (that is the daemon's job at start-up).
	sub, err := deliver.ConfiguredSubscriber(cfg.Alert, *name)
	if err != nil {
		return err
	}
	if sub.Email == "" {
		// A webhook-only subscriber: there is no digest to show or send.
		what := "preview"
		if *send {
			what = "send"
		}
		return fmt.Errorf("subscriber %s has no email address: digests go by email only, and its webhook gets one POST per article as it arrives; nothing to %s",
			sub.Name, what)
	}
	st, err := openStore(ctx, cfg, logger, storeOpen{})
	if err != nil {
		return err
	}
	defer st.Close()
	labels, order := topicLabels(cfg.Classify, logger)
	svc, err := deliver.NewService(cfg.Alert, st, logger, nil, deliver.Options{
		ReplicaID: fmt.Sprintf("cli-digest-%d", os.Getpid()), TopicLabels: labels, TopicOrder: order,
	})
	if err != nil {
		return err
	}
	if *send {
		if err := st.UpsertSubscriber(ctx, sub); err != nil {
			return err
		}
		n, err := svc.SendDigestNow(ctx, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "sent a digest of %d article(s) to %s\n", n, *name)
		return nil
	}
	r, n, err := svc.PreviewDigest(ctx, *name)
	if err != nil {
		return err
	}
	logger.Debug("digest preview", "subscriber", *name, "items", n)
	switch *format {
	case "html":
		_, err = io.WriteString(e.stdout, r.HTML)
	case "eml":
		err = svc.WriteEML(ctx, e.stdout, *name, r)
	default:
		_, err = fmt.Fprintf(e.stdout, "Subject: %s\n\n%s", r.Subject, r.Text)
	}
	return err
}

// topicLabels reads the taxonomy's topic names and order for messages; ids
// are shown (in order of score) when it cannot be read.
func topicLabels(c config.Classify, logger *slog.Logger) (map[string]string, []string) {
	tax, err := classify.Config{TopicsFile: c.TopicsFile}.LoadTaxonomy()
	if err != nil {
		logger.Warn("topic names unavailable; showing ids", "error", err)
		return nil, nil
	}
	return daemon.TopicLabels(tax), daemon.TopicOrder(tax)
}
