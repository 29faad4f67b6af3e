package daemon

import (
	"context"
	"fmt"
	"sync"
)

// Stats counts what PollOnce did.
type Stats struct {
	Sources  int
	Articles int
	Alerts   int
}

// PollOnce runs one full cycle: every due source is polled, then every due
// article is fetched (including those the polls just found), then due
// alerts are sent. It returns when the cycle is done.
func (d *Daemon) PollOnce(ctx context.Context) (Stats, error) {
	var st Stats
	n, err := d.drain(ctx, d.cfg.Daemon.PollWorkers, d.claimSources)
	st.Sources = n
	if err != nil {
		return st, fmt.Errorf("poll sources: %w", err)
	}
	n, err = d.drain(ctx, d.cfg.Daemon.FetchWorkers, d.claimArticles)
	st.Articles = n
	if err != nil {
		return st, fmt.Errorf("fetch articles: %w", err)
	}
	if d.deps.Alerter != nil {
		sent, err := d.deps.Alerter.RunOnce(ctx)
		st.Alerts = sent
		if err != nil {
			return st, fmt.Errorf("send alerts: %w", err)
		}
	}
	_, err = d.st.ReleaseLeases(context.WithoutCancel(ctx), d.owner)
	return st, err
}

// drain claims and runs jobs with up to workers at once until none is due.
// Jobs that finish without leaving their row due (the normal case) are not
// claimed again; a job whose row stays due is picked up by the next drain
// round at most once per call.
func (d *Daemon) drain(ctx context.Context, workers int, claim claimFunc) (int, error) {
	total := 0
	for round := 0; round < 1000; round++ {
		fns, err := claim(ctx, workers*4)
		if err != nil {
			return total, err
		}
		if len(fns) == 0 {
			return total, nil
		}
		total += len(fns)
		sem := make(chan struct{}, workers)
		var wg sync.WaitGroup
		for _, fn := range fns {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				fn(ctx)
			})
		}
		wg.Wait()
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
	return total, nil
}
