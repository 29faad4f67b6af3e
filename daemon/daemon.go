package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon/deliver"
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
	// pipeline is the stages in order (see pipeline.go).
	pipeline []*stage
	// prints holds the recent story prints (see storyprints.go).
	prints printIndex
	// storyTries sends the workers' story records together (storybatch.go).
	storyTries *storyBatcher
	// saves sends the workers' one-statement saves together (savebatch.go).
	saves *saveBatcher
	// unchanged records 304 polls in groups.
	unchanged *notModifiedBatch
	// sent counts messages the delivery stage sent (PollOnce reports it).
	sent atomic.Int64
	// housekept is when the delivery stage last did its housekeeping (only
	// its claims read and write it).
	housekept time.Time
	// health follows each source's state (sourcehealth.go).
	health *sourceHealth
}

// New builds a daemon. reg may be nil (no metrics registered).
func New(cfg config.Config, deps Deps, logger *slog.Logger, reg prometheus.Registerer) *Daemon {
	owner := cfg.Daemon.ReplicaID
	if owner == "" {
		host, _ := os.Hostname()
		owner = fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))
	}
	d := &Daemon{
		cfg:       cfg,
		deps:      deps,
		st:        deps.Store,
		log:       logger.With("replica", owner),
		m:         newMetrics(reg, deps.Store),
		owner:     owner,
		now:       time.Now,
		unchanged: &notModifiedBatch{st: deps.Store, max: max(cfg.Daemon.PollWorkers, 1), wait: config.DefaultNotModifiedWait},
		health:    newSourceHealth(cfg.Fetch, deps, logger, reg),
	}
	d.storyTries = newStoryBatcher(deps.Store)
	d.saves = newSaveBatcher(deps.Store, saveLanes(cfg.Daemon.FetchWorkers))
	d.pipeline = d.newPipeline()
	return d
}

// Owner is the name this process writes into lease columns.
func (d *Daemon) Owner() string { return d.owner }

// pollSource polls one claimed source and records the outcome.
func (d *Daemon) pollSource(ctx context.Context, src model.Source) {
	start := d.now()
	log := d.log.With("source", src.Name)
	res, err := d.deps.Fetcher.Poll(ctx, src)
	d.health.observePoll(ctx, src, res.Items, res.NotModified, err)
	if err == nil && !res.NotModified && len(res.Items) == 0 {
		// An empty feed is a broken source as far as analysts are
		// concerned: record it like any failure, never silently.
		err = errEmptySource
	}
	out := store.PollOutcome{SourceID: src.ID, Owner: d.owner, Outlet: src.Outlet, Language: src.Language, Backfill: d.cfg.Alert.Backfill}
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
	if added.New > 0 {
		d.m.articles.WithLabelValues("new").Add(float64(added.New))
		log.Info("new articles", "count", added.New, "items", len(out.Items))
		d.pipeline[fetchStage].signal()
	}
	if added.HeldBack > 0 {
		log.Info("old articles archived, not alerted (alert.backfill; `wirewatch alert replay --since` sends them)",
			"held_back", added.HeldBack, "backfill", d.cfg.Alert.Backfill)
	}
}

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
		ctx, cancel := context.WithTimeout(context.Background(), config.DefaultRecordTimeout)
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
			recent, err := d.st.RecentPublished(ctx, src.ID, d.now().Add(-config.DefaultAdaptiveWindow))
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

// processArticle is the fetch stage's job: it downloads one article and
// hands the page to the extract stage, or records why there is none (a
// removal, a refusal, a failure to retry, an unchanged page). An article
// whose page stays unavailable goes to the classify stage on its feed
// summary.
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
		var r store.Removal
		var queued int
		err := d.st.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if r, err = tx.MarkRemoved(ctx, a.ID, d.owner); err != nil || !r.First || !d.deps.Alerts {
				return err
			}
			queued, err = deliver.Queue(ctx, tx, a.ID, alert.Change{WasRelevant: r.Relevant, Removed: true, Backfill: d.cfg.Alert.Backfill})
			return err
		})
		d.queued(queued, err)
		if err != nil {
			d.dbFail(log, "mark removed", err)
			return
		}
		if r.First {
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
		if refused(kind, err) {
			d.refuse(ctx, log, a, kind, err)
			return
		}
		attempts := a.FetchAttempts + 1
		if a.FetchState != "fetched" && (attempts >= d.cfg.Fetch.MaxArticleAttempts || d.deps.Fetcher.Gone(err)) {
			// Keep what the feed said: the article is classified on its
			// title and summary rather than lost.
			log.Warn("article page unavailable, keeping the feed summary", "error", err, "kind", kind, "attempts", attempts)
			ex, next := d.deps.Extractor.FromSummary(a.Title, a.Summary), nextCheck(a.FirstSeenAt, now, d.cfg.Fetch.Recheck)
			d.handOff(ctx, classifyStage, func(ctx context.Context) { d.save(ctx, log, a, ex, fetched{}, next) })
			return
		}
		retry, ok := d.deps.Fetcher.RetryAfter(err)
		wait := min(config.DefaultArticleRetryBase<<min(attempts, 10), d.cfg.Fetch.MaxInterval)
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
	next := nextCheck(a.FirstSeenAt, now, d.cfg.Fetch.Recheck)
	d.handOff(ctx, extractStage, func(ctx context.Context) { d.extractArticle(ctx, log, a, page, next) })
}

// extractArticle is the extract stage's job: it extracts the text of a
// downloaded page (the feed summary when that gives more), files a
// duplicate under the article it duplicates, and hands the text to the
// classify stage.
func (d *Daemon) extractArticle(ctx context.Context, log *slog.Logger, a store.DueArticle, page *fetch.Response, next *time.Time) {
	ex, label, err := d.deps.Extractor.Extract(page.Body, page.Header.Get("Content-Type"), page.URL)
	if err == nil {
		d.health.observeExtraction(ctx, model.Source{ID: a.SourceID, Name: a.SourceName, Outlet: a.Outlet}, page.URL, ex.Method)
	}
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
	if err != nil || len(ex.Text) < config.DefaultMinArticleText {
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
	f := fetched{raw: page.Body, charset: label, etag: page.ETag, lastModified: page.LastModified}
	d.handOff(ctx, classifyStage, func(ctx context.Context) { d.save(ctx, log, a, ex, f, next) })
}

// refusedKinds are the fetch errors that refuse an article for good: an
// unsafe address, robots.txt, a permanent 4xx (404 and 410 are removals,
// 429 a rate limit), a body over fetch.max_body_bytes, a scheme that is
// not http(s). Such an article is never retried and never alerted.
var refusedKinds = map[string]bool{
	fetch.KindBlockedAddress: true, fetch.KindRobots: true, fetch.KindHTTP4xx: true,
	fetch.KindTooLarge: true, fetch.KindBadURL: true,
}

// refused reports whether a fetch error refuses the article for good:
// one of refusedKinds, except the 4xx answers that mean "try later" (408
// Request Timeout, 425 Too Early).
func refused(kind string, err error) bool {
	var se *fetch.StatusError
	if kind == fetch.KindHTTP4xx && errors.As(err, &se) && (se.Status == http.StatusRequestTimeout || se.Status == http.StatusTooEarly) {
		return false
	}
	return refusedKinds[kind]
}

// refuse stores an article whose fetch was refused (see refused).
func (d *Daemon) refuse(ctx context.Context, log *slog.Logger, a store.DueArticle, kind string, err error) {
	cancelled, serr := d.st.MarkRefused(ctx, a.ID, d.owner, kind+": "+err.Error())
	if serr != nil {
		d.dbFail(log, "mark refused", serr)
		return
	}
	d.m.articles.WithLabelValues("refused").Inc()
	log.Warn("article fetch refused: stored as refused, never alerted", "error", err, "kind", kind, "deliveries_cancelled", cancelled)
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

// save is the classify stage's job: it classifies an extracted article
// and stores it, with its decision, its story and the deliveries alert
// planned, in one transaction.
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
	save := store.ArticleSave{
		ID: a.ID, Owner: d.owner, Extracted: ex, ContentHash: hex.EncodeToString(h[:16]),
		Raw: f.raw, RawCharset: f.charset, ETag: f.etag, LastModified: f.lastModified, PublishedSuspect: suspect,
		Classification: cls, NextCheck: next, Prev: a.State(),
	}
	var res store.SaveResult
	var queued int
	var err error
	// A relevant article gets its story whether or not anyone subscribes:
	// digests carry only relevant articles, and the article page and
	// analysts read stories too. Only relevant ones: each assignment reads
	// the storied articles of the last 72 h under one lock, and the
	// archive's other nine in ten would make that read many times longer
	// (docs/stories.md, "Cost"). The story is recorded in a short
	// transaction of its own, which the lock serialises; the save, which
	// writes it with the text, runs beside the other workers' saves.
	if cls.Relevant && (save.Prev == nil || save.Prev.ContentHash != save.ContentHash) {
		save.Story, err = d.story(ctx, a, ex)
		if err != nil {
			d.dbFail(log, "place in story", err)
			return
		}
	}
	if !d.deps.Alerts {
		res, err = d.saveArticle(ctx, save)
	} else {
		// One unit of work: the article, its decision and the deliveries
		// planned for it commit together.
		err = d.st.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if res, err = tx.SaveArticle(ctx, save); err != nil || !res.Decided {
				return err
			}
			queued, err = deliver.Queue(ctx, tx, a.ID, alert.Change{WasRelevant: res.WasRelevant, Edited: res.Edited, Backfill: d.cfg.Alert.Backfill})
			return err
		})
		d.queued(queued, err)
	}
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

// story places a relevant article's new text in its story; nil when the
// text is too short to compare.
func (d *Daemon) story(ctx context.Context, a store.DueArticle, ex model.Extracted) (*store.StoryAssign, error) {
	fp, ok := alert.StoryFingerprint(ex.Title, ex.Text)
	if !ok {
		return nil, nil
	}
	story, err := d.placeInStory(ctx, a.ID, fp, ex.Lang, a.FirstSeenAt, ex.Title, ex.Text, a.Outlet)
	if err != nil {
		return nil, err
	}
	return &store.StoryAssign{FP: fp, StoryID: story, Lang: ex.Lang}, nil
}

// queued wakes the delivery stage when a committed unit of work queued
// deliveries.
func (d *Daemon) queued(n int, err error) {
	if err == nil && n > 0 {
		d.pipeline[deliverStage].signal()
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
