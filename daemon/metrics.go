package daemon

import (
	"context"
	"github.com/wirewatch/wirewatch/config"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/fetch/extract"
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
		// (Alike by design: metric declarations, one per series; sourcehealth.go declares its own.)
		pollDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wirewatch_poll_duration_seconds", Help: "Time to poll one source, storing included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 10),
		}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_fetch_errors_total", Help: "Failed source polls and article fetches by source and kind of error.",
		}, []string{"source", "kind"}),
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_articles_total", Help: "Articles by event: new (discovered), fetched, updated (new revision), removed, failed, duplicate, refused (never retried nor alerted).",
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
	// Every series whose label values are known is there at 0 from the
	// start, so that rates and alerts see a zero, not "no data". The
	// fetch errors' series appear per source and kind at the first error;
	// the per-source metric present from the start is lastSuccess.
	for _, v := range []string{"ok", "not_modified", "error"} {
		m.polls.WithLabelValues(v)
	}
	for _, v := range []string{"new", "fetched", "updated", "removed", "failed", "duplicate", "refused"} {
		m.articles.WithLabelValues(v)
	}
	for _, v := range []string{"relevant", "not_relevant"} {
		m.classifications.WithLabelValues(v)
	}
	for _, v := range []string{extract.MethodRule, extract.MethodGeneric, extract.MethodSummary} {
		m.extractions.WithLabelValues(v)
	}
	for _, v := range []string{"poll", "fetch", "extract", "classify"} {
		m.inflight.WithLabelValues(v)
	}
	if reg != nil {
		reg.MustRegister(m.polls, m.pollDuration, m.fetchErrors, m.articles, m.classifications, m.extractions, m.dbErrors, m.inflight, overdue)
		if st != nil {
			reg.MustRegister(lastSuccess{st: st}, hostQueues{st: st})
		}
	}
	return m
}

// lastSuccess exports wirewatch_source_last_success_timestamp_seconds for
// every enabled source, read from the database at scrape time (so it is
// there from the start, survives restarts and agrees between replicas); 0
// means the source has never been polled successfully. It is absent while
// the database does not answer.
type lastSuccess struct{ st *store.Store }

var lastSuccessDesc = prometheus.NewDesc("wirewatch_source_last_success_timestamp_seconds",
	"Unix time of the last successful poll of each enabled source (feed or listing read, or 304); 0 if none yet.",
	[]string{"source"}, nil)

func (lastSuccess) Describe(ch chan<- *prometheus.Desc) { ch <- lastSuccessDesc }

func (l lastSuccess) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := l.st.SourceStates(ctx)
	if err != nil {
		return // the database is down: no series, rather than a failed scrape (see wirewatch_database_errors_total)
	}
	for _, r := range rows {
		v := 0.0
		if !r.LastOK.IsZero() {
			v = float64(r.LastOK.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, v, r.Name)
	}
}

// hostQueues exports each host's fetch backlog, read from the database at
// scrape time: the articles waiting for their first fetch and how long the
// oldest has waited. Every host of an enabled source is there, at 0 when
// nothing waits; the label set is bounded by the catalogue's hosts and
// those its feeds link to.
type hostQueues struct{ st *store.Store }

var (
	hostDepthDesc = prometheus.NewDesc("wirewatch_host_queue_depth",
		"Articles waiting for their first fetch, by host.", []string{"host"}, nil)
	hostOldestDesc = prometheus.NewDesc("wirewatch_host_oldest_pending_seconds",
		"How long the oldest article waiting for its first fetch has waited since it was found, by host; 0 when none waits.", []string{"host"}, nil)
)

func (hostQueues) Describe(ch chan<- *prometheus.Desc) { ch <- hostDepthDesc; ch <- hostOldestDesc }

func (h hostQueues) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), config.DefaultHealthCheckTimeout)
	defer cancel()
	qs, err := h.st.HostQueues(ctx)
	if err != nil {
		return // the database is down: no series (see wirewatch_database_errors_total)
	}
	for _, q := range qs {
		ch <- prometheus.MustNewConstMetric(hostDepthDesc, prometheus.GaugeValue, float64(q.Pending), q.Host)
		ch <- prometheus.MustNewConstMetric(hostOldestDesc, prometheus.GaugeValue, q.OldestAge.Seconds(), q.Host)
	}
}
