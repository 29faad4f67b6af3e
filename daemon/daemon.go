package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/fetch"
	"github.com/wirewatch/wirewatch/fetch/dates"
	"github.com/wirewatch/wirewatch/fetch/urlnorm"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

// errEmptySource is recorded for a feed or listing page that answered but
// listed no item.
var errEmptySource = errors.New("the source answered but lists no items")

// Daemon schedules and runs the pipeline.
type Daemon struct {
	cfg   config.Config
	deps  Deps
	st    *store.Store
	log   *slog.Logger
	m     *metrics
	owner string
	now   func() time.Time
	// wake is signalled when a poll queued new articles, so fetchers start
	// without waiting for the next tick.
	wake chan struct{}
	// unchanged records 304 polls in groups.
	unchanged *notModifiedBatch
	// cpu admits daemon.fetch_workers articles at a time to extraction,
	// classification and storing; more downloads than that may wait on the
	// network meanwhile (see downloads).
	cpu chan struct{}
}

// downloadsPerWorker is how many article downloads may be in flight per
// fetch worker: a page spends most of its time on the network, and its
// extraction only a few milliseconds of CPU. fetch.host_concurrency still
// caps what one host sees.
const downloadsPerWorker = 8

// downloads is how many article jobs run at once.
func (d *Daemon) downloads() int { return d.cfg.Daemon.FetchWorkers * downloadsPerWorker }

// New builds a daemon. reg may be nil (no metrics registered).
func New(cfg config.Config, deps Deps, logger *slog.Logger, reg prometheus.Registerer) *Daemon {
	owner := cfg.Daemon.ReplicaID
	if owner == "" {
		host, _ := os.Hostname()
		owner = fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))
	}
	return &Daemon{
		cfg:       cfg,
		deps:      deps,
		st:        deps.Store,
		log:       logger.With("replica", owner),
		m:         newMetrics(reg, deps.Store),
		owner:     owner,
		now:       time.Now,
		wake:      make(chan struct{}, 1),
		cpu:       make(chan struct{}, cfg.Daemon.FetchWorkers),
		unchanged: &notModifiedBatch{st: deps.Store, max: max(cfg.Daemon.PollWorkers, 1), wait: notModifiedWait},
	}
}

// Owner is the name this process writes into lease columns.
func (d *Daemon) Owner() string { return d.owner }

// Run claims and works due sources and articles until ctx is cancelled.
// Then it stops claiming, lets in-flight work finish within the shutdown
// grace period, cancels what is left, and releases its leases. A database
// outage pauses claiming (with backoff) and never ends Run.
func (d *Daemon) Run(ctx context.Context) error {
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	var wg sync.WaitGroup
	if d.deps.Alerter != nil {
		wg.Go(func() { d.alertLoop(ctx, workCtx) })
	}
	wg.Go(func() { d.loop(ctx, workCtx, "poll", d.cfg.Daemon.PollWorkers, d.claimSources, nil) })
	wg.Go(func() { d.loop(ctx, workCtx, "fetch", d.downloads(), d.claimArticles, d.wake) })

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
	relCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := d.st.ReleaseLeases(relCtx, d.owner)
	if err != nil {
		d.log.Error("could not release leases; they expire on their own", "error", err, "lease", d.cfg.Daemon.Lease)
	} else {
		d.log.Info("stopped", "leases_released", n)
	}
	return nil
}

// alertLoop runs passes of the alert sender until ctx is done. A pass runs
// on workCtx, so a message being sent at SIGTERM is finished within the grace
// period rather than cut off and sent again later; no pass starts after ctx
// is done. A failing pass (database down) is retried with backoff.
func (d *Daemon) alertLoop(ctx, workCtx context.Context) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		n, err := d.deps.Alerter.RunOnce(workCtx)
		wait := d.cfg.Daemon.Tick
		switch {
		case err != nil && ctx.Err() == nil:
			backoff = store.Backoff(max(backoff, 250*time.Millisecond), d.cfg.Database.RetryMax)
			wait = backoff
			d.log.Warn("alert pass failed", "error", err, "retry_in", backoff)
		case err == nil:
			backoff = 0
			if n > 0 {
				continue
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// claimFunc claims up to n jobs and returns them as closures to run.
type claimFunc func(ctx context.Context, n int) ([]func(context.Context), error)

// loop keeps up to workers jobs of one stage running. It claims with ctx
// (stops at shutdown) and runs jobs with workCtx (lives through the grace
// period). It returns when ctx is done and its jobs have finished.
func (d *Daemon) loop(ctx, workCtx context.Context, stage string, workers int, claim claimFunc, wake <-chan struct{}) {
	sem := make(chan struct{}, workers)
	freed := make(chan struct{}, workers)
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
		free := workers - len(sem)
		claimed := 0
		if free > 0 {
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			fns, err := claim(cctx, free)
			cancel()
			switch {
			case err != nil && ctx.Err() != nil:
				return
			case err != nil:
				d.m.dbErrors.Inc()
				backoff = store.Backoff(max(backoff, 250*time.Millisecond), d.cfg.Database.RetryMax)
				if !down {
					d.log.Error("database unavailable: pausing work", "stage", stage, "error", err)
				} else {
					d.log.Debug("database still unavailable", "stage", stage, "error", err, "retry_in", backoff)
				}
				down = true
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				continue
			case down:
				d.log.Info("database back: resuming work", "stage", stage)
				down, backoff = false, 0
			}
			claimed = len(fns)
			for _, fn := range fns {
				sem <- struct{}{}
				jobs.Go(func() {
					d.m.inflight.WithLabelValues(stage).Inc()
					defer func() {
						d.m.inflight.WithLabelValues(stage).Dec()
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
		case <-wake:
		case <-freed:
		}
	}
}

func (d *Daemon) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Daemon) claimSources(ctx context.Context, n int) ([]func(context.Context), error) {
	srcs, err := d.st.ClaimDueSources(ctx, d.owner, d.cfg.Daemon.Lease, n)
	if err != nil {
		return nil, err
	}
	fns := make([]func(context.Context), len(srcs))
	for i, src := range srcs {
		fns[i] = func(ctx context.Context) { d.pollSource(ctx, src) }
	}
	return fns, nil
}

func (d *Daemon) claimArticles(ctx context.Context, n int) ([]func(context.Context), error) {
	arts, err := d.st.ClaimDueArticles(ctx, d.owner, d.cfg.Daemon.Lease, n)
	if err != nil {
		return nil, err
	}
	fns := make([]func(context.Context), len(arts))
	for i, a := range arts {
		fns[i] = func(ctx context.Context) { d.processArticle(ctx, a) }
	}
	return fns, nil
}

// pollSource polls one claimed source and records the outcome.
func (d *Daemon) pollSource(ctx context.Context, src model.Source) {
	start := d.now()
	log := d.log.With("source", src.Name)
	res, err := d.deps.Fetcher.Poll(ctx, src)
	if err == nil && !res.NotModified && len(res.Items) == 0 {
		// An empty feed is a broken source as far as analysts are
		// concerned: record it like any failure, never silently.
		err = errEmptySource
	}
	out := store.PollOutcome{SourceID: src.ID, Owner: d.owner, Outlet: src.Outlet, Language: src.Language}
	if err != nil {
		kind := d.deps.Fetcher.Kind(err)
		if errors.Is(err, errEmptySource) {
			kind = "empty"
			out.Status = res.Status
		}
		retry, _ := d.deps.Fetcher.RetryAfter(err)
		out.Error = err.Error()
		out.ErrorKind = kind
		out.NextPoll = d.now().Add(d.nextPoll(ctx, src, nil, src.Failures+1, retry))
		d.m.polls.WithLabelValues("error").Inc()
		d.m.fetchErrors.WithLabelValues(src.Name, kind).Inc()
		log.Warn("poll failed", "error", err, "kind", kind, "failures", src.Failures+1, "next_poll", out.NextPoll.Format(time.RFC3339))
		if ctx.Err() != nil {
			return // shutting down: the lease is released, not recorded as a failure
		}
	} else {
		out.OK = true
		out.NotModified = res.NotModified
		out.Status = res.Status
		out.ETag, out.LastModified = res.ETag, res.LastModified
		out.Items = res.Items
		out.NextPoll = d.now().Add(d.nextPoll(ctx, src, res.Items, 0, time.Time{}))
		if res.NotModified {
			d.m.polls.WithLabelValues("not_modified").Inc()
		} else {
			d.m.polls.WithLabelValues("ok").Inc()
		}
	}
	if out.OK && out.NotModified {
		// Nothing new: only the poll state changes, written with other
		// polls' in one statement.
		err := d.unchanged.record(ctx, out)
		d.m.pollDuration.Observe(d.now().Sub(start).Seconds())
		if err != nil {
			d.m.dbErrors.Inc()
			log.Error("could not record poll; the source will be polled again when its lease expires", "error", err)
		}
		return
	}
	added, err := d.st.FinishPoll(ctx, out)
	d.m.pollDuration.Observe(d.now().Sub(start).Seconds())
	if err != nil {
		d.m.dbErrors.Inc()
		log.Error("could not record poll; the source will be polled again when its lease expires", "error", err)
		return
	}
	if added > 0 {
		d.m.articles.WithLabelValues("new").Add(float64(added))
		log.Info("new articles", "count", added, "items", len(out.Items))
		d.signal()
	}
}

// notModifiedWait is how long a 304 outcome waits for others to share its
// statement when fewer than a full group of polls is running.
const notModifiedWait = 20 * time.Millisecond

// notModifiedBatch groups the outcomes of polls answered 304 so that one
// statement and one commit record a whole group (store.FinishNotModified).
// A poll job hands its outcome over and waits until it is stored, so a
// finished job is a recorded poll, as with FinishPoll. A group is written
// when it holds max outcomes (one per poll worker: all of them are waiting)
// or wait after its first outcome, whichever comes first.
type notModifiedBatch struct {
	st   *store.Store
	max  int
	wait time.Duration

	mu      sync.Mutex
	pending []store.PollOutcome
	waiters []chan error
	timer   *time.Timer
}

// record stores out with the group it joins and returns the group's result.
func (b *notModifiedBatch) record(ctx context.Context, out store.PollOutcome) error {
	done := make(chan error, 1)
	b.mu.Lock()
	b.pending = append(b.pending, out)
	b.waiters = append(b.waiters, done)
	if len(b.pending) >= b.max {
		b.flushLocked()
	} else if len(b.pending) == 1 {
		b.timer = time.AfterFunc(b.wait, b.flush)
	}
	b.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *notModifiedBatch) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

// flushLocked writes the pending group in the background; its waiters get
// the result. A timer that fires after its group went out flushes a younger
// group early, which is harmless.
func (b *notModifiedBatch) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.pending) == 0 {
		return
	}
	outs, waiters := b.pending, b.waiters
	b.pending, b.waiters = nil, nil
	go func() {
		// Not the caller's context: the group is shared, and a poll that
		// was answered deserves recording even during shutdown.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err := b.st.FinishNotModified(ctx, outs)
		for _, w := range waiters {
			w <- err
		}
	}()
}

// nextPoll is the interval with jitter, or a capped exponential backoff
// after failures, never before a server's Retry-After. With fetch.adaptive,
// a source whose items come often is polled more often (within bounds).
func (d *Daemon) nextPoll(ctx context.Context, src model.Source, items []model.Item, failures int, retryAfter time.Time) time.Duration {
	f := d.cfg.Fetch
	interval := src.Interval
	if f.Adaptive && failures == 0 {
		var published []time.Time
		for _, it := range items {
			if it.Published != nil {
				published = append(published, *it.Published)
			}
		}
		if len(published) == 0 {
			// A 304 lists nothing: judge by what the source published lately.
			recent, err := d.st.RecentPublished(ctx, src.ID, d.now().Add(-7*24*time.Hour))
			if err != nil {
				d.log.Debug("adaptive interval: could not read recent articles", "source", src.Name, "error", err)
			}
			published = recent
		}
		if a, ok := fetch.AdaptiveInterval(published, d.now(), f.MinInterval, f.MaxInterval); ok {
			interval = min(a, interval)
		}
	}
	return fetch.NextPoll(interval, f.Jitter, failures, f.MaxInterval, retryAfter)
}

// nextCheck is the next time on the re-check schedule after now, counted
// from first sight; nil when the schedule is over.
func nextCheck(firstSeen, now time.Time, schedule []time.Duration) *time.Time {
	for _, d := range schedule {
		if t := firstSeen.Add(d); t.After(now) {
			return &t
		}
	}
	return nil
}

// processArticle fetches, extracts, classifies and stores one article, or
// records why it could not.
func (d *Daemon) processArticle(ctx context.Context, a store.DueArticle) {
	log := d.log.With("article_id", a.ID, "url", a.URL, "source", a.SourceName)
	etag, lastMod := "", ""
	if a.FetchState == "fetched" {
		etag, lastMod = a.ETag, a.LastModified
	}
	page, err := d.deps.Fetcher.Page(ctx, a.URL, etag, lastMod, !a.RespectRobots)
	now := d.now()
	switch {
	case err != nil && d.deps.Fetcher.Gone(err) && a.FetchState == "fetched":
		first, err := d.st.MarkRemoved(ctx, a.ID, d.owner, d.deps.Outbox)
		if err != nil {
			d.dbFail(log, "mark removed", err)
			return
		}
		if first {
			d.m.articles.WithLabelValues("removed").Inc()
			log.Info("article removed by the outlet")
		}
		return
	case err != nil:
		kind := d.deps.Fetcher.Kind(err)
		d.m.fetchErrors.WithLabelValues(sourceLabel(a), kind).Inc()
		if ctx.Err() != nil {
			return
		}
		attempts := a.FetchAttempts + 1
		if a.FetchState != "fetched" && (attempts >= d.cfg.Fetch.MaxArticleAttempts || d.deps.Fetcher.Gone(err)) {
			// Keep what the feed said: the article is classified on its
			// title and summary rather than lost.
			log.Warn("article page unavailable, keeping the feed summary", "error", err, "kind", kind, "attempts", attempts)
			d.save(ctx, log, a, d.deps.Extractor.FromSummary(a.Title, a.Summary), fetched{}, nextCheck(a.FirstSeenAt, now, d.cfg.Fetch.Recheck))
			return
		}
		retry, ok := d.deps.Fetcher.RetryAfter(err)
		wait := min(time.Minute<<min(attempts, 10), d.cfg.Fetch.MaxInterval)
		next := now.Add(wait)
		if ok && retry.After(next) {
			next = retry
		}
		log.Warn("article fetch failed", "error", err, "kind", kind, "attempts", attempts, "retry_at", next.Format(time.RFC3339))
		if err := d.st.MarkFetchFailed(ctx, a.ID, d.owner, err.Error(), &next); err != nil {
			d.dbFail(log, "mark fetch failed", err)
		}
		d.m.articles.WithLabelValues("failed").Inc()
		return
	case page.NotModified:
		if err := d.st.MarkUnchanged(ctx, a.ID, d.owner, nextCheck(a.FirstSeenAt, now, d.cfg.Fetch.Recheck)); err != nil {
			d.dbFail(log, "mark unchanged", err)
		}
		return
	}
	select {
	case d.cpu <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-d.cpu }()
	ex, label, err := d.deps.Extractor.Extract(page.Body, page.ContentType, page.URL)
	if a.Revision == 0 {
		// First fetch: the article's address is the page's own canonical
		// one (or where the link redirected to), so two links to one story
		// become one article.
		if c := d.canonicalOf(a.URL, page.URL, ex.CanonicalURL); c != "" {
			merged, err := d.st.Recanonicalize(ctx, a.ID, d.owner, c)
			if err != nil {
				d.dbFail(log, "recanonicalize", err)
				return
			}
			if merged {
				log.Info("article is a duplicate of one already stored", "canonical_url", c)
				d.m.articles.WithLabelValues("duplicate").Inc()
				return
			}
		}
	}
	if err != nil || len(ex.Text) < 40 {
		if err != nil {
			log.Warn("extraction failed, using the feed summary", "error", err)
		}
		fb := d.deps.Extractor.FromSummary(a.Title, a.Summary)
		if len(fb.Text) > len(ex.Text) {
			fb.Published, fb.Byline, fb.Lang = ex.Published, ex.Byline, ex.Lang
			if ex.Title != "" {
				fb.Title = ex.Title
			}
			ex = fb
		}
	}
	d.save(ctx, log, a, ex, fetched{raw: page.Body, charset: label, etag: page.ETag, lastModified: page.LastModified}, nextCheck(a.FirstSeenAt, now, d.cfg.Fetch.Recheck))
}

func sourceLabel(a store.DueArticle) string {
	if a.SourceName != "" {
		return a.SourceName
	}
	return "unknown"
}

// fetched is what the page fetch gave beyond the extracted text.
type fetched struct {
	raw                []byte
	charset            string
	etag, lastModified string
}

// canonicalOf returns the URL an article should be stored under when it is
// not the one it was listed with: the page's same-site rel=canonical, else
// the address a redirect ended at; "" when nothing changes.
func (d *Daemon) canonicalOf(listed, final, declared string) string {
	for _, cand := range []string{declared, final} {
		if cand == "" {
			continue
		}
		c, err := urlnorm.Canonical(cand, nil)
		if err != nil || c == listed || !urlnorm.SameSite(c, listed) {
			continue
		}
		return c
	}
	return ""
}

func (d *Daemon) save(ctx context.Context, log *slog.Logger, a store.DueArticle, ex model.Extracted, f fetched, next *time.Time) {
	if ex.Title == "" {
		ex.Title = a.Title
	}
	suspect := false
	if ex.Published != nil && !dates.Plausible(*ex.Published, d.now()) {
		// A date before 1990 or days ahead is a page error: keep the feed's
		// date (or first sight) and flag the article for analysts.
		log.Warn("implausible publication date ignored", "published", ex.Published.Format(time.RFC3339))
		ex.Published, suspect = nil, true
	}
	if ex.Lang == "" {
		ex.Lang = a.Language
	}
	summary := a.Summary
	cls := d.deps.Classifier.Classify(ex.Title, summary, ex.Text, ex.Lang)
	h := sha256.Sum256([]byte(ex.Title + "\n" + ex.Text))
	res, err := d.st.SaveArticle(ctx, store.ArticleSave{
		ID: a.ID, Owner: d.owner, Extracted: ex, ContentHash: hex.EncodeToString(h[:16]),
		Raw: f.raw, RawCharset: f.charset, ETag: f.etag, LastModified: f.lastModified, PublishedSuspect: suspect,
		Classification: cls, NextCheck: next, Prev: a.State(),
	}, d.deps.Outbox)
	if err != nil {
		d.dbFail(log, "save article", err)
		return
	}
	d.m.extractions.WithLabelValues(ex.Method).Inc()
	switch {
	case res.Edited:
		d.m.articles.WithLabelValues("updated").Inc()
		log.Info("article edited by the outlet", "revision", res.Revision)
	case res.NewRevision:
		d.m.articles.WithLabelValues("fetched").Inc()
	}
	if res.NewRevision {
		decision := "not_relevant"
		if cls.Relevant {
			decision = "relevant"
		}
		d.m.classifications.WithLabelValues(decision).Inc()
	}
}

func (d *Daemon) dbFail(log *slog.Logger, op string, err error) {
	if errors.Is(err, store.ErrLeaseLost) {
		log.Warn("lease lost to another worker; result dropped", "op", op)
		return
	}
	d.m.dbErrors.Inc()
	log.Error("could not store result; the work is redone when its lease expires", "op", op, "error", err)
}
