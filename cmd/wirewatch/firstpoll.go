package main

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/store"
)

// firstPollCheck is how often `wirewatch run` looks whether every source has
// been polled once since the start.
const firstPollCheck = time.Second

// reportFirstPoll waits until every enabled source has been polled since
// started, then logs what is reachable and what is not, failures grouped by
// kind of error (from wirewatch_fetch_errors_total: a source whose poll
// failed had no articles to fetch, so its errors are its polls'). It gives
// up quietly when ctx ends first.
func reportFirstPoll(ctx context.Context, st *store.Store, gatherer prometheus.Gatherer, logger *slog.Logger, started time.Time) {
	tick := time.NewTicker(firstPollCheck)
	defer tick.Stop()
	var states []store.SourceState
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var err error
		if states, err = st.SourceStates(ctx); err != nil {
			continue // the daemon reports database trouble itself
		}
		if allPolledSince(states, started) {
			break
		}
	}
	reachable, failing := summarizeFirstPoll(states, errorKinds(gatherer))
	logger.Info("first poll done", "took", time.Since(started), "total", len(states), "reachable", reachable, "failing", len(states)-reachable)
	for _, g := range failing {
		logger.Warn("sources unreachable", "reason", g.kind, "count", len(g.sources), "sources", strings.Join(g.sources, ", "), "example", g.example)
	}
}

func allPolledSince(states []store.SourceState, t time.Time) bool {
	for _, s := range states {
		if s.PolledAt.Before(t) {
			return false
		}
	}
	return true
}

// failureGroup is the sources that failed for one kind of reason.
type failureGroup struct {
	kind    string
	sources []string
	example string // one source's last error
}

// summarizeFirstPoll counts the sources whose last poll succeeded and
// groups the others by the kind of their errors, largest group first.
func summarizeFirstPoll(states []store.SourceState, kinds map[string]string) (int, []failureGroup) {
	reachable := 0
	groups := map[string]*failureGroup{}
	for _, s := range states {
		if s.LastError == "" && !s.LastOK.IsZero() {
			reachable++
			continue
		}
		kind := kinds[s.Name]
		if kind == "" {
			kind = "other"
		}
		g := groups[kind]
		if g == nil {
			g = &failureGroup{kind: kind, example: s.Name + ": " + s.LastError}
			groups[kind] = g
		}
		g.sources = append(g.sources, s.Name)
	}
	out := make([]failureGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].sources) != len(out[j].sources) {
			return len(out[i].sources) > len(out[j].sources)
		}
		return out[i].kind < out[j].kind
	})
	return reachable, out
}

// errorKinds returns, per source, the kind of error counted most often in
// wirewatch_fetch_errors_total.
func errorKinds(g prometheus.Gatherer) map[string]string {
	out := map[string]string{}
	fams, err := g.Gather()
	if err != nil {
		return out
	}
	best := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "wirewatch_fetch_errors_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			var src, kind string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "source":
					src = l.GetValue()
				case "kind":
					kind = l.GetValue()
				}
			}
			if v := m.GetCounter().GetValue(); v > best[src] {
				best[src], out[src] = v, kind
			}
		}
	}
	return out
}
