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
//	poll      due sources      fetch the feed or listing page; queue new article
//	                           URLs (store)                                       → wakes fetch
//	fetch     due articles     download the page                                  → extract queue
//	extract   fetched pages    extract the text (site rule, generic, summary);
//	                           merge a duplicate under its canonical address      → classify queue
//	classify  extracted texts  classify, and in one transaction store the
//	                           article, its decision, its story and the
//	                           deliveries alert planned                           → wakes deliver
//	deliver   due deliveries   render and send on the message's channel (email,
//	          and digests      webhook); record the outcome
//
// Every stage is the same mechanism: a bounded pool of workers, each
// running one job at a time. A stage is fed in one of two ways:
//
//   - from the database (poll, fetch, deliver): it claims due rows under a
//     lease (UPDATE … FOR UPDATE SKIP LOCKED, so replicas share the work),
//     as many as it has free workers, and claims again when a quarter of
//     its workers are free (claimBatch), the tick passes or the stage
//     before wakes it. While the database is
//     down it backs off (config.DefaultBackoffFloor doubling to
//     database.retry_max).
//   - by the stage before (extract, classify): through an in-memory queue
//     as long as its pool. A full queue blocks the job handing over, so the
//     stage before keeps its workers busy and claims nothing more: the
//     back-pressure reaches the database claims.
//
// An article keeps the lease its fetch claimed through extract and
// classify; the classify stage stores its result, and the store checks
// the lease's owner then (a lost lease drops the result, and the article
// is redone, never stored twice). The lease is not renewed: each queue
// holds one job per worker, so a downloaded article waits behind at most
// the downloads, extractions and transactions its stages hold (each a few
// milliseconds of work, a download that waits to hand over holds no
// connection), far inside daemon.lease.
//
// Shutdown runs down the pipeline in order: the claiming stages stop
// claiming and finish their jobs; then each queue-fed stage, once the
// stage before has stopped, empties its queue and stops. All of it gets
// daemon.shutdown_grace; past it, the work left is cancelled and its
// leases released. PollOnce drains the same way (see drain and once.go).

// The stages, in pipeline order.
const (
	pollStage = iota
	fetchStage
	extractStage
	classifyStage
	deliverStage
)

// stage is one step of the pipeline: a pool of workers fed either by claims
// (claim) or by the stage before (queued).
type stage struct {
	name    string
	workers int
	// claim leases up to n due jobs; nil for a stage fed by the one before.
	claim claimFunc
	// queued marks a stage fed by the stage before through in.
	queued bool
	// in is the queue of a queued stage, as long as its pool; made anew by
	// serve for each run.
	in chan func(context.Context)
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
		pollStage:     {name: "poll", workers: d.cfg.Daemon.PollWorkers, claim: d.claimSources},
		fetchStage:    {name: "fetch", workers: d.downloads(), claim: d.claimArticles},
		extractStage:  {name: "extract", workers: d.cfg.Daemon.FetchWorkers, queued: true},
		classifyStage: {name: "classify", workers: d.cfg.Daemon.FetchWorkers, queued: true},
		deliverStage:  {name: "deliver", workers: d.cfg.Daemon.DeliveryWorkers, claim: d.claimDeliveries},
	}
	if d.deps.Alerter == nil {
		p[deliverStage].claim = nil
	}
	for _, s := range p {
		s.wake = make(chan struct{}, 1)
	}
	return p
}

// handOff queues job for a queued stage, waiting while its queue is full.
// It reports false when ctx ended first (the job is dropped; its article's
// lease is released or expires, and the article is redone).
func (d *Daemon) handOff(ctx context.Context, to int, job func(context.Context)) bool {
	select {
	case d.pipeline[to].in <- job:
		return true
	case <-ctx.Done():
		return false
	}
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
// backoff) and never ends Run. Run and PollOnce must not run at the same
// time on one Daemon (each makes the queues of the queued stages).
func (d *Daemon) Run(ctx context.Context) error {
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	// Each claiming stage runs with the queued stages that follow it: they
	// stop in order once it has stopped claiming and finished its jobs.
	var wg sync.WaitGroup
	for i, s := range d.pipeline {
		if s.claim == nil {
			continue
		}
		stopped := make(chan struct{})
		last := d.serveAfter(workCtx, i, stopped)
		wg.Go(func() {
			d.run(ctx, workCtx, s)
			close(stopped)
			<-last
		})
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
	jobs := startPool(s.workers)
	defer jobs.stop()
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
				jobs.do(func() {
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
			// There may be more due work: claim again once a batch of
			// workers is free (a quarter of the pool), or at the tick, so
			// that one claim statement serves many jobs.
			if !d.awaitFree(ctx, s, sem, freed, tick.C) {
				return
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

// claimBatch is how many of a claiming stage's workers must be free
// before it claims again while due work remains: a quarter of the pool
// (an eighth made twice the claims in the feed farm's cold ingest, each
// reading nearly as many rows).
func claimBatch(workers int) int { return max(1, workers/4) }

// awaitFree waits until claimBatch of s's workers are free or the tick
// comes; false when ctx is done.
func (d *Daemon) awaitFree(ctx context.Context, s *stage, sem, freed chan struct{}, tick <-chan time.Time) bool {
	for s.workers-len(sem) < claimBatch(s.workers) {
		select {
		case <-ctx.Done():
			return false
		case <-tick:
			return true
		case <-freed:
		}
	}
	return true
}

// serveAfter starts the queued stages that follow stage i in the pipeline,
// each fed by the one before it; the first of them stops once upstream is
// closed (stage i has stopped) and its queue is empty, the next once the
// first has stopped, and so on. It returns a channel closed when the last
// has stopped (upstream itself when no queued stage follows).
func (d *Daemon) serveAfter(ctx context.Context, i int, upstream <-chan struct{}) <-chan struct{} {
	for _, s := range d.pipeline[i+1:] {
		if !s.queued {
			break
		}
		upstream = d.serve(ctx, s, upstream)
	}
	return upstream
}

// serve runs a queued stage: s.workers workers take jobs from its queue
// (made here, as long as the pool) until upstream is closed and the queue
// is empty. Jobs run with ctx; once ctx is done, the jobs left in the
// queue are dropped (their leases are released or expire). It returns a
// channel closed when the stage has stopped.
func (d *Daemon) serve(ctx context.Context, s *stage, upstream <-chan struct{}) <-chan struct{} {
	in := make(chan func(context.Context), s.workers)
	s.in = in
	var workers sync.WaitGroup
	for range s.workers {
		workers.Go(func() {
			for job := range in {
				if ctx.Err() != nil {
					continue
				}
				d.m.inflight.WithLabelValues(s.name).Inc()
				job(ctx)
				d.m.inflight.WithLabelValues(s.name).Dec()
			}
		})
	}
	stopped := make(chan struct{})
	go func() {
		<-upstream
		close(in)
		workers.Wait()
		close(stopped)
	}()
	return stopped
}

// drain runs stage i until none of its work is due, for PollOnce, and
// with it the queued stages that follow it: it returns once they have
// done all that it handed them. It claims only as many jobs as it can
// start (once at least half the workers are free, to keep claims
// batched), so no claimed row waits behind others while its lease runs
// out. A finished job's row is no longer due (or is leased until it is),
// so nothing is claimed twice. It returns how many jobs it ran.
func (d *Daemon) drain(ctx context.Context, i int) (int, error) {
	s := d.pipeline[i]
	stopped := make(chan struct{})
	last := d.serveAfter(ctx, i, stopped)
	defer func() {
		// After the jobs below have finished (deferred later, run first).
		close(stopped)
		<-last
	}()
	total, running := 0, 0
	done := make(chan struct{}, s.workers)
	jobs := startPool(s.workers)
	defer jobs.stop()
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
				jobs.do(func() {
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

// pool runs the jobs of a claiming stage on long-lived goroutines, one per
// worker. A goroutine started per job would begin on a small stack and
// grow it again through every HTTP round trip and HTML parse: in the feed
// farm's 10,000-feed profile that growth cost 1.4 s of CPU.
type pool struct {
	in chan func()
	wg sync.WaitGroup
}

// startPool starts n workers.
func startPool(n int) *pool {
	p := &pool{in: make(chan func())}
	for range n {
		p.wg.Go(func() {
			for job := range p.in {
				job()
			}
		})
	}
	return p
}

// do hands job to a free worker, waiting for one. The caller bounds the
// jobs in flight to the pool's size, so the wait is short.
func (p *pool) do(job func()) { p.in <- job }

// stop lets the workers finish their jobs and waits for them.
func (p *pool) stop() {
	close(p.in)
	p.wg.Wait()
}
