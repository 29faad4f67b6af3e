package daemon

import (
	"context"
	"github.com/wirewatch/wirewatch/config"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/store"
)

type metrics struct {
	polls           *prometheus.CounterVec
	pollDuration    prometheus.Histogram
	fetchErrors     *prometheus.CounterVec
	articles        *prometheus.CounterVec
	classifications *prometheus.CounterVec
	extractions     *prometheus.CounterVec
	dbErrors        prometheus.Counter
	inflight        *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer, st *store.Store) *metrics {
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_polls_total", Help: "Source polls by outcome (ok, not_modified, error).",
		}, []string{"outcome"}),
		pollDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wirewatch_poll_duration_seconds", Help: "Time to poll one source, storing included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 10),
		}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_fetch_errors_total", Help: "Failed source polls and article fetches by source and kind of error.",
		}, []string{"source", "kind"}),
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_articles_total", Help: "Articles by event: new (discovered), fetched, updated (new revision), removed, failed.",
		}, []string{"event"}),
		classifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_classifications_total", Help: "Classification decisions (relevant, not_relevant).",
		}, []string{"decision"}),
		extractions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_extractions_total", Help: "Article texts by the method that produced them (rule, generic, summary).",
		}, []string{"method"}),
		dbErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wirewatch_database_errors_total", Help: "Scheduler queries that failed (database unreachable or erroring).",
		}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wirewatch_inflight_jobs", Help: "Sources and articles being worked on by this process.",
		}, []string{"stage"}),
	}
	overdue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wirewatch_oldest_overdue_source_seconds", Help: "How long the most overdue enabled source has waited past its poll time.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), config.DefaultHealthCheckTimeout)
		defer cancel()
		d, err := st.OldestOverdue(ctx)
		if err != nil {
			return -1
		}
		return d.Seconds()
	})
	if reg != nil {
		reg.MustRegister(m.polls, m.pollDuration, m.fetchErrors, m.articles, m.classifications, m.extractions, m.dbErrors, m.inflight, overdue)
	}
	return m
}
