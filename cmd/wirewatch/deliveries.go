package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("deliveries", "list delivery state (--status failed, --subscriber NAME)", runDeliveries)
}

func runDeliveries(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("deliveries")
	status := fs.String("status", "", "only deliveries with this status: pending, sending, sent, failed or cancelled")
	subscriber := fs.String("subscriber", "", "only this subscriber's deliveries")
	limit := fs.Int("limit", 100, "show at most this many (the newest)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *status {
	case "", model.StatusPending, model.StatusSending, model.StatusSent, model.StatusFailed, model.StatusCancelled:
	default:
		return fmt.Errorf("%w: --status wants pending, sending, sent, failed or cancelled, got %q", errUsage, *status)
	}
	_, _, st, err := g.loadStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.ListDeliveries(ctx, *status, *subscriber, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSUBSCRIBER\tCHANNEL\tMODE\tEVENT\tSTATUS\tATTEMPTS\tWHEN\tARTICLE\tERROR")
	for _, d := range rows {
		when := "next " + d.NextAttemptAt.Local().Format(time.DateTime)
		if d.SentAt != nil {
			when = "sent " + d.SentAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d %s\t%s\n", d.ID, d.Subscriber, d.Channel, d.Mode, d.Event,
			d.Status, d.Attempts, when, d.ArticleID, clipCell(d.Title, 50), clipCell(d.Error, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stderr, "no deliveries")
	}
	return nil
}

// clipCell shortens s to n runes for a table cell, on one line.
func clipCell(s string, n int) string {
	r := []rune(alertOneLine(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

func alertOneLine(s string) string {
	out := []rune(s)
	for i, c := range out {
		if c < 0x20 || c == 0x7f {
			out[i] = ' '
		}
	}
	return string(out)
}
