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

// reportFirstPoll waits until every enabled source that was due at started
// has been polled, then logs what is reachable and what is not, failures
// grouped by kind of error (from wirewatch_fetch_errors_total: a source
// whose poll failed had no articles to fetch, so its errors are its polls').
// A source not due yet (after a restart) counts with the state its last
// poll left. It gives up quietly when ctx ends first.
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
		// A count each second, the sources themselves once at the end: a
		// catalogue can hold thousands. On an error, the daemon reports
		// the database's trouble itself.
		if n, err := st.SourcesAwaitingPoll(ctx, started); err != nil || n > 0 {
			continue
		}
		var err error
		if states, err = st.SourceStates(ctx); err == nil {
			break
		}
	}
	reachable, failing := summarizeFirstPoll(states, errorKinds(gatherer))
	polled := 0
	for _, s := range states {
		if !s.PolledAt.Before(started) {
			polled++
		}
	}
	// The groups first: the summary line ends the report.
	for _, g := range failing {
		logger.Warn("sources unreachable", "reason", g.kind, "count", len(g.sources), "sources", strings.Join(g.sources, ", "), "example", g.example)
	}
	logger.Info("first poll done", "took", time.Since(started), "total", len(states), "polled", polled,
		"reachable", reachable, "failing", len(states)-reachable)
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
			kind = kindOfText(s.LastError) // failed in an earlier run: only its message is left
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

// kindOfText guesses the kind of a stored poll error from its message, for
// sources that failed before this process started (the message is all the
// database keeps). It knows the common kinds of fetch.ErrorKind.
func kindOfText(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "no such host"), strings.Contains(m, "server misbehaving"), strings.Contains(m, "dial tcp: lookup "):
		return "dns"
	case strings.Contains(m, "http 429"):
		return "rate_limited"
	case strings.Contains(m, "http 4"):
		return "http_4xx"
	case strings.Contains(m, "http 5"):
		return "http_5xx"
	case strings.Contains(m, "timeout"), strings.Contains(m, "deadline exceeded"):
		return "timeout"
	case strings.Contains(m, "x509"), strings.Contains(m, "tls:"), strings.Contains(m, "certificate"):
		return "tls"
	case strings.Contains(m, "robots.txt"):
		return "robots"
	}
	return "other"
}
