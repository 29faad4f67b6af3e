package daemon

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/fetch"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

// SourceStateChange is one source entering or leaving a state: the
// message the operators get.
type SourceStateChange = alert.SourceStateMessage

// OperatorNotifier tells the operators about a source's state change
// (alert.operators). Implementations: alert.Operators; tests use their own.
type OperatorNotifier interface {
	NotifySourceState(ctx context.Context, ch SourceStateChange) error
}

// RuleLookup says whether a site rule applies to a host (extract.Rules).
type RuleLookup interface {
	For(host string) *model.SiteRule
}

// operatorNotifyTimeout bounds the sending of one state change to the
// operators, retries included.
const operatorNotifyTimeout = time.Minute

// sourceHealth follows the state of each source (fetch.JudgeSource) and
// records it on the source's row. A change is logged once, counted, and
// sent to the operators by the replica whose update made it.
type sourceHealth struct {
	st     *store.Store
	lim    fetch.StateLimits
	notify OperatorNotifier
	rules  RuleLookup
	log    *slog.Logger
	now    func() time.Time

	state   *prometheus.GaugeVec
	changes *prometheus.CounterVec

	mu    sync.Mutex
	known map[int64]store.SourceHealth
	// loaded is set once every enabled source's health was read in one
	// query (the first lookup does it: a catalogue of thousands of sources
	// would otherwise cost a query per source on the first polls). loadMu
	// makes the workers that look up at once wait for one reading.
	loaded bool
	loadMu sync.Mutex

	// writes records the states that poll workers judge at the same
	// moment together (a cold start judges every source at once).
	writes *batcher[store.SourceHealthWrite, store.SourceHealthSet]
}

func newSourceHealth(cfg config.Fetch, deps Deps, logger *slog.Logger, reg prometheus.Registerer) *sourceHealth {
	h := &sourceHealth{
		st:     deps.Store,
		lim:    fetch.StateLimits{StaleAfter: cfg.StaleAfter, StaleGapFactor: cfg.StaleGapFactor, RuleMissLimit: cfg.RuleMissLimit},
		notify: deps.Operators,
		rules:  deps.Rules,
		log:    logger,
		now:    time.Now,
		known:  make(map[int64]store.SourceHealth),
		// (Alike by design: metric declarations, one per series, as in metrics.go.)
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wirewatch_source_state", Help: "1 for the state each source is in (ok, stale, broken, blocked, challenge), 0 for the others.",
		}, []string{"source", "state"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_source_state_changes_total", Help: "Source state changes noticed by this process, by the state entered.",
		}, []string{"state"}),
	}
	if deps.Store != nil {
		h.writes = newBatcher(config.DefaultHealthBatch, 1, aloneWhenRefused(deps.Store.SetSourceHealths, func(err error) store.SourceHealthSet {
			return store.SourceHealthSet{Err: err}
		}))
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{h.state, h.changes} {
			if err := reg.Register(c); err != nil {
				logger.Warn("source state metrics not registered", "error", err)
			}
		}
		// Every state's counter at 0 from the start.
		for _, st := range []fetch.SourceState{fetch.StateOK, fetch.StateStale, fetch.StateBroken, fetch.StateBlocked, fetch.StateChallenge} {
			h.changes.WithLabelValues(string(st))
		}
	}
	return h
}

// current returns what is known of a source's health. The first lookup
// reads every enabled source's row at once; a source not among them (added
// or enabled since) is read on its own.
func (h *sourceHealth) current(ctx context.Context, id int64) (store.SourceHealth, error) {
	h.mu.Lock()
	cur, ok := h.known[id]
	loaded := h.loaded
	h.mu.Unlock()
	if ok {
		return cur, nil
	}
	if !loaded {
		if cur, ok, err := h.loadAll(ctx, id); err != nil || ok {
			return cur, err
		}
	}
	cur, err := h.st.SourceHealth(ctx, id)
	if err != nil {
		return cur, err
	}
	h.mu.Lock()
	h.known[id] = cur
	h.mu.Unlock()
	h.setGauge(cur.Name, cur.State)
	return cur, nil
}

// loadAll reads every enabled source's health once (current), and returns
// source id's if it was among them.
func (h *sourceHealth) loadAll(ctx context.Context, id int64) (store.SourceHealth, bool, error) {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	h.mu.Lock()
	cur, ok := h.known[id]
	loaded := h.loaded
	h.mu.Unlock()
	if ok || loaded {
		return cur, ok, nil
	}
	all, err := h.st.SourcesHealth(ctx)
	if err != nil {
		return cur, false, err
	}
	var added []store.SourceHealth
	h.mu.Lock()
	h.loaded = true
	for _, x := range all {
		if _, ok := h.known[x.SourceID]; !ok {
			h.known[x.SourceID] = x
			added = append(added, x)
		}
	}
	cur, ok = h.known[id]
	h.mu.Unlock()
	for _, x := range added {
		h.setGauge(x.Name, x.State)
	}
	return cur, ok, nil
}

// observePoll judges a source after a poll and records the verdict when it
// changed anything.
func (h *sourceHealth) observePoll(ctx context.Context, src model.Source, items []model.Item, notModified bool, pollErr error) {
	if h == nil || h.st == nil || ctx.Err() != nil {
		return
	}
	cur, err := h.current(ctx, src.ID)
	if err != nil {
		h.log.Warn("source health not read", "source", src.Name, "error", err)
		return
	}
	v := fetch.JudgeSource(fetch.StateInput{
		Err: pollErr, NotModified: notModified, Items: items,
		Newest: cur.Newest, Gap: cur.Gap, RuleMisses: cur.RuleMisses,
	}, h.lim, h.now())
	if !v.Known {
		return
	}
	h.record(ctx, src, cur, string(v.State), v.Reason, v.Newest, v.Gap)
}

// observeExtraction counts an article whose host has a site rule: method
// "rule" resets the source's misses, anything else adds one; reaching
// fetch.rule_miss_limit makes the source broken, a hit mends it.
func (h *sourceHealth) observeExtraction(ctx context.Context, src model.Source, pageURL, method string) {
	if h == nil || h.st == nil || h.rules == nil || ctx.Err() != nil {
		return
	}
	u, err := url.Parse(pageURL)
	if err != nil || h.rules.For(strings.ToLower(u.Hostname())) == nil {
		return
	}
	cur, err := h.current(ctx, src.ID)
	if err != nil {
		h.log.Warn("source health not read", "source", src.Name, "error", err)
		return
	}
	hit := method == "rule"
	if hit && cur.RuleMisses == 0 {
		return
	}
	n, err := h.st.RecordRuleMiss(ctx, src.ID, hit)
	if err != nil {
		h.log.Warn("site rule miss not recorded", "source", src.Name, "error", err)
		return
	}
	cur.RuleMisses = n
	h.mu.Lock()
	h.known[src.ID] = cur
	h.mu.Unlock()
	switch {
	case !hit && n >= h.lim.RuleMissLimit && cur.State != string(fetch.StateBroken):
		v := fetch.JudgeSource(fetch.StateInput{NotModified: true, Newest: cur.Newest, Gap: cur.Gap, RuleMisses: n}, h.lim, h.now())
		h.record(ctx, src, cur, string(v.State), v.Reason+" (last: "+pageURL+")", cur.Newest, cur.Gap)
	case hit && cur.State == string(fetch.StateBroken) && strings.Contains(cur.Reason, "site rule"):
		v := fetch.JudgeSource(fetch.StateInput{NotModified: true, Newest: cur.Newest, Gap: cur.Gap}, h.lim, h.now())
		h.record(ctx, src, cur, string(v.State), v.Reason, cur.Newest, cur.Gap)
	}
}

// record writes a verdict when it differs from what is known, and reports a
// state change the database confirms.
func (h *sourceHealth) record(ctx context.Context, src model.Source, cur store.SourceHealth, state, reason string, newest *time.Time, gap time.Duration) {
	sameNewest := (newest == nil && cur.Newest == nil) || (newest != nil && cur.Newest != nil && newest.Equal(*cur.Newest))
	if state == cur.State && sameNewest && gap == cur.Gap && (state == string(fetch.StateOK) || reason == cur.Reason || state == string(fetch.StateStale)) {
		return
	}
	set, err := h.writes.do(ctx, store.SourceHealthWrite{SourceID: src.ID, State: state, Reason: reason, Newest: newest, Gap: gap})
	if err == nil {
		err = set.Err
	}
	prev, since := set.Prev, set.Since
	if err != nil {
		h.log.Warn("source health not recorded", "source", src.Name, "error", err)
		return
	}
	next := cur
	next.State, next.Reason, next.Since, next.Newest, next.Gap = state, reason, since, newest, gap
	h.mu.Lock()
	h.known[src.ID] = next
	h.mu.Unlock()
	if prev == state {
		return
	}
	h.setGauge(src.Name, state)
	h.changes.WithLabelValues(state).Inc()
	ch := SourceStateChange{Source: src.Name, Outlet: src.Outlet, URL: src.URL, From: prev, To: state, At: h.now(), Newest: newest}
	if state != string(fetch.StateOK) {
		ch.Reason = reason
		h.log.Warn("source state changed", "source", src.Name, "from", prev, "to", state, "reason", reason)
	} else {
		h.log.Info("source state changed", "source", src.Name, "from", prev, "to", state)
	}
	if h.notify == nil {
		return
	}
	// The poll worker waits for the message, but not for long: a mail
	// server that hangs must not stall polling.
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), operatorNotifyTimeout)
	defer cancel()
	if err := h.notify.NotifySourceState(nctx, ch); err != nil {
		h.log.Error("operators not told of a source state change", "source", src.Name, "to", state, "error", err)
	}
}

func (h *sourceHealth) setGauge(name, state string) {
	for _, s := range fetch.SourceStates {
		v := 0.0
		if string(s) == state {
			v = 1
		}
		h.state.WithLabelValues(name, string(s)).Set(v)
	}
}
