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
	n, err = d.drain(ctx, d.downloads(), d.claimArticles)
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
// It claims only as many jobs as it can start (once at least half the
// workers are free, to keep claims batched), so no claimed row waits
// behind others while its lease runs out. A finished job's row is no longer
// due (or is leased until it is), so nothing is claimed twice.
func (d *Daemon) drain(ctx context.Context, workers int, claim claimFunc) (int, error) {
	total, running := 0, 0
	done := make(chan struct{}, workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	threshold := max(1, workers/2)
	for {
		if free := workers - running; free >= threshold || running == 0 {
			fns, err := claim(ctx, free)
			if err != nil {
				return total, err
			}
			if len(fns) == 0 && running == 0 {
				return total, nil
			}
			total += len(fns)
			for _, fn := range fns {
				running++
				wg.Go(func() {
					fn(ctx)
					done <- struct{}{}
				})
			}
		}
		if running == 0 {
			continue
		}
		select {
		case <-done:
			running--
		case <-ctx.Done():
			return total, ctx.Err()
		}
	}
}
