package daemon

import (
	"context"
	"fmt"
	"time"
)

// Stats counts what PollOnce did.
type Stats struct {
	Sources  int
	Articles int
	// Alerts is the messages sent.
	Alerts int
}

// PollOnce runs one full cycle: every stage of the pipeline in turn is
// drained, so every due source is polled, then every due article is fetched
// (including those the polls just found), extracted, classified and
// stored, then due alerts are sent. It returns when the cycle is done.
func (d *Daemon) PollOnce(ctx context.Context) (Stats, error) {
	var st Stats
	n, err := d.drain(ctx, pollStage)
	st.Sources = n
	if err != nil {
		return st, fmt.Errorf("poll sources: %w", err)
	}
	n, err = d.drain(ctx, fetchStage)
	st.Articles = n
	if err != nil {
		return st, fmt.Errorf("fetch articles: %w", err)
	}
	if s := d.pipeline[deliverStage]; s.claim != nil {
		d.housekept = time.Time{} // open the digests due now
		sent := d.sent.Load()
		_, err := d.drain(ctx, deliverStage)
		st.Alerts = int(d.sent.Load() - sent)
		if err != nil {
			return st, fmt.Errorf("send alerts: %w", err)
		}
	}
	_, err = d.st.ReleaseLeases(context.WithoutCancel(ctx), d.owner)
	return st, err
}
