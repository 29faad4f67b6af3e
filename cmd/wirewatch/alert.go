package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wirewatch/wirewatch/daemon"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("alert", "alert replay --since T: send alerts alert.backfill held back", runAlert)
}

func runAlert(ctx context.Context, e *env, args []string) error {
	// (Alike by design: a command with a sub-command prints its own help, as sources does.)
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(e.stdout, "Usage: wirewatch alert replay --since YYYY-MM-DD|RFC3339|DURATION [--config FILE]")
		fmt.Fprintln(e.stdout, "Queues alerts for the relevant articles published since then that subscribers have not had (those alert.backfill held back); the daemon sends them.")
		return nil
	}
	if len(args) == 0 || args[0] != "replay" {
		return fmt.Errorf("%w: want `wirewatch alert replay --since YYYY-MM-DD|RFC3339|DURATION`", errUsage)
	}
	fs, g := e.commandFlags("alert replay")
	since := fs.String("since", "", "send relevant articles published since this date (YYYY-MM-DD, RFC 3339) or this long ago (e.g. 72h)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return err
	}
	// (Alike by design: the store opens as in every command that reads it; loadStore is the shared part.)
	_, _, st, err := g.loadStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := daemon.Replay(ctx, st, from)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d relevant article(s) published since %s: %d delivery(ies) queued; the daemon sends them\n",
		rep.Articles, from.Format(time.RFC3339), rep.Queued)
	return nil
}

// parseSince reads --since: a date, an RFC 3339 time, or a duration back
// from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%w: --since is required", errUsage)
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%w: --since wants YYYY-MM-DD, an RFC 3339 time or a duration such as 72h, got %q", errUsage, s)
}
