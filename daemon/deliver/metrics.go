package deliver

import (
	"slices"

	"errors"
	"github.com/wirewatch/wirewatch/model"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the delivery stage's Prometheus series. Their definitions
// have the shape of every other package's (fetch/metrics.go,
// daemon/metrics.go): each names its own series, so they are not shared.
type metrics struct {
	deliveries *prometheus.CounterVec
	pending    prometheus.Gauge
	duration   *prometheus.HistogramVec
	leaseLost  prometheus.Counter
}

// newMetrics builds the sender's metrics; channels are the names of its
// channels, whose series start at 0 (with email's and digest's, even while
// email is off).
func newMetrics(reg prometheus.Registerer, channels []string) *metrics {
	labels := append(slices.Clone(channels), model.ChannelEmail)
	slices.Sort(labels)
	labels = append(slices.Compact(labels), "digest")
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_deliveries_total",
			Help: "Delivery attempts by channel (email, webhook, slack, digest) and outcome (sent, retry, failed, cancelled).",
		}, []string{"channel", "outcome"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wirewatch_deliveries_pending",
			Help: "Deliveries not yet sent (pending or sending), as of the last pass.",
		}),
		// (Alike by design: each subsystem declares its own metrics; fetch/metrics.go's
		// histogram has the same shape, with another name, help and buckets.)
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wirewatch_delivery_duration_seconds",
			Help:    "Time to hand one message to the SMTP server or HTTP endpoint, by channel.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}),
		leaseLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wirewatch_delivery_leases_lost_total",
			Help: "Delivery and digest leases lost: taken back from a sender that stopped renewing them (crash, kill -9) or from an earlier run of this replica at restart, or an outcome recorded after its lease was taken (a message that left may be sent twice).",
		}),
	}
	if reg != nil {
		m.deliveries = register(reg, m.deliveries)
		// Every series at 0 from the start (dashboards and alerts see a
		// zero, not "no data").
		for _, ch := range labels {
			for _, o := range []string{"sent", "retry", "failed", "cancelled"} {
				m.deliveries.WithLabelValues(ch, o)
			}
		}
		m.pending = register(reg, m.pending)
		m.duration = register(reg, m.duration)
		for _, ch := range labels {
			m.duration.WithLabelValues(ch)
		}
		m.leaseLost = register(reg, m.leaseLost)
	}
	return m
}

// register adds c to reg, or returns the collector already registered under
// the same name (a second Service in one process shares it). fetch has a
// near twin that reports other registration errors; joining them means a
// shared package for one function, left for the fetch owners to decide.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
