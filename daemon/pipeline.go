package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon/deliver"
	"github.com/wirewatch/wirewatch/store"
)

// The pipeline, top to bottom. Data flows one way:
//
//	poll     due sources      fetch the feed or listing page; queue new article URLs   → wakes fetch
//	fetch    due articles     download; then, daemon.fetch_workers at a time, extract,
//	                          classify, and in one transaction store the article, its
//	                          decision and the deliveries alert planned                → wakes deliver
//	deliver  due deliveries   render and send on the message's channel (email,
//	         and digests      webhook); record the outcome
//
// Every stage is the same mechanism (run, or drain for `poll --once`): it
// claims due rows from the database under a lease (UPDATE … FOR UPDATE SKIP
// LOCKED, so replicas share the work), runs each claimed job on a bounded
// pool of workers, and claims again when a worker frees, the tick passes or
// the stage before wakes it. While the database is down it backs off
// (config.DefaultBackoffFloor doubling to database.retry_max); at shutdown
// it stops claiming and its jobs get daemon.shutdown_grace to finish.

// The stages, in pipeline order.
const (
	pollStage = iota
	fetchStage
	deliverStage
)

// stage is one step of the pipeline.
type stage struct {
	name    string
	workers int
	// claim leases up to n due jobs; nil turns the stage off.
	claim claimFunc
	// wake is signalled when the stage before queued work for this one.
	wake chan struct{}
}

// claimFunc claims up to n jobs and returns them as closures to run.
type claimFunc func(ctx context.Context, n int) ([]func(context.Context), error)

// signal wakes the stage without waiting for the next tick.
func (s *stage) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// newPipeline wires the stages. The delivery stage is off when nobody
// subscribes (Deps.Alerter is nil).
func (d *Daemon) newPipeline() []*stage {
	p := []*stage{
		pollStage:    {name: "poll", workers: d.cfg.Daemon.PollWorkers, claim: d.claimSources},
		fetchStage:   {name: "fetch", workers: d.downloads(), claim: d.claimArticles},
		deliverStage: {name: "deliver", workers: d.cfg.Daemon.DeliveryWorkers, claim: d.claimDeliveries},
	}
	if d.deps.Alerter == nil {
		p[deliverStage].claim = nil
	}
	for _, s := range p {
		s.wake = make(chan struct{}, 1)
	}
	return p
}

// downloads is how many article jobs run at once.
func (d *Daemon) downloads() int {
	return d.cfg.Daemon.FetchWorkers * config.DefaultDownloadsPerWorker
}

func (d *Daemon) claimSources(ctx context.Context, n int) ([]func(context.Context), error) {
	srcs, err := d.st.ClaimDueSources(ctx, d.owner, d.cfg.Daemon.Lease, n)
	return jobsOf(srcs, err, d.pollSource)
}

func (d *Daemon) claimArticles(ctx context.Context, n int) ([]func(context.Context), error) {
	// A host takes at most as many articles at once as it can be fetched
	// from (fetch.host_concurrency, or its burst when larger): the rest of
	// the workers stay free for the other hosts.
	perHost := max(d.cfg.Fetch.HostConcurrency, d.cfg.Fetch.HostBurst)
	arts, err := d.st.ClaimDueArticles(ctx, d.owner, d.cfg.Daemon.Lease, n, perHost)
	return jobsOf(arts, err, d.processArticle)
}

// jobsOf makes one job per claimed row.
func jobsOf[T any](rows []T, err error, work func(context.Context, T)) ([]func(context.Context), error) {
	if err != nil {
		return nil, err
	}
	jobs := make([]func(context.Context), len(rows))
	for i, row := range rows {
		jobs[i] = func(ctx context.Context) { work(ctx, row) }
	}
	return jobs, nil
}

// claimDeliveries lets the sender do its housekeeping (expired leases, due
// digests) at most once per daemon.tick, then claims due messages.
func (d *Daemon) claimDeliveries(ctx context.Context, n int) ([]func(context.Context), error) {
	if now := time.Now(); now.Sub(d.housekept) >= d.cfg.Daemon.Tick {
		if err := d.deps.Alerter.Housekeep(ctx); err != nil {
			return nil, err
		}
		d.housekept = now
	}
	msgs, err := d.deps.Alerter.Claim(ctx, n)
	return jobsOf(msgs, err, func(ctx context.Context, send deliver.Job) {
		if send(ctx) {
			d.sent.Add(1)
		}
	})
}

// Run works the pipeline until ctx is cancelled. Then it stops claiming,
// lets in-flight work finish within the shutdown grace period, cancels what
// is left, and releases its leases. A database outage pauses claiming (with
// backoff) and never ends Run.
func (d *Daemon) Run(ctx context.Context) error {
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	var wg sync.WaitGroup
	for _, s := range d.pipeline {
		if s.claim != nil {
			wg.Go(func() { d.run(ctx, workCtx, s) })
		}
	}

	<-ctx.Done()
	d.log.Info("shutting down: no new work is claimed", "grace", d.cfg.Daemon.ShutdownGrace)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.cfg.Daemon.ShutdownGrace):
		d.log.Warn("grace period over, cancelling in-flight work")
		cancelWork()
		<-done
	}
	relCtx, cancel := context.WithTimeout(context.Background(), config.DefaultReleaseTimeout)
	defer cancel()
	n, err := d.st.ReleaseLeases(relCtx, d.owner)
	if err != nil {
		d.log.Error("could not release leases; they expire on their own", "error", err, "lease", d.cfg.Daemon.Lease)
	} else {
		d.log.Info("stopped", "leases_released", n)
	}
	return nil
}

// run keeps up to s.workers jobs of one stage running. It claims with ctx
// (stops at shutdown) and runs jobs with workCtx (lives through the grace
// period). It returns when ctx is done and its jobs have finished.
func (d *Daemon) run(ctx, workCtx context.Context, s *stage) {
	sem := make(chan struct{}, s.workers)
	freed := make(chan struct{}, s.workers)
	var jobs sync.WaitGroup
	defer jobs.Wait()
	backoff := time.Duration(0)
	down := false
	tick := time.NewTicker(d.cfg.Daemon.Tick)
	defer tick.Stop()
	for {
		if ctx.Err() != nil {
			return
		}
		free := s.workers - len(sem)
		claimed := 0
		if free > 0 {
			cctx, cancel := context.WithTimeout(ctx, config.DefaultClaimTimeout)
			fns, err := s.claim(cctx, free)
			cancel()
			switch {
			case err != nil && ctx.Err() != nil:
				return
			case err != nil:
				d.m.dbErrors.Inc()
				backoff = store.Backoff(max(backoff, config.DefaultBackoffFloor), d.cfg.Database.RetryMax)
				if !down {
					d.log.Error("database unavailable: pausing work", "stage", s.name, "error", err)
				} else {
					d.log.Debug("database still unavailable", "stage", s.name, "error", err, "retry_in", backoff)
				}
				down = true
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				continue
			case down:
				d.log.Info("database back: resuming work", "stage", s.name)
				down, backoff = false, 0
			}
			claimed = len(fns)
			for _, fn := range fns {
				sem <- struct{}{}
				jobs.Go(func() {
					d.m.inflight.WithLabelValues(s.name).Inc()
					defer func() {
						d.m.inflight.WithLabelValues(s.name).Dec()
						<-sem
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					fn(workCtx)
				})
			}
		}
		if claimed > 0 && claimed == free {
			// There may be more due work: claim again as soon as a worker frees.
			select {
			case <-ctx.Done():
				return
			case <-freed:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.wake:
		case <-freed:
		}
	}
}

// drain runs one stage until none of its work is due, for PollOnce: it
// claims only as many jobs as it can start (once at least half the workers
// are free, to keep claims batched), so no claimed row waits behind others
// while its lease runs out. A finished job's row is no longer due (or is
// leased until it is), so nothing is claimed twice. It returns how many
// jobs ran.
func (d *Daemon) drain(ctx context.Context, s *stage) (int, error) {
	total, running := 0, 0
	done := make(chan struct{}, s.workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	threshold := max(1, s.workers/2)
	for {
		if free := s.workers - running; free >= threshold || running == 0 {
			fns, err := s.claim(ctx, free)
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
