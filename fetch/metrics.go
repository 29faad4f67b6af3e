package fetch

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the client's Prometheus collectors. Labels are bounded: a
// status class, never a URL or host.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytes    prometheus.Counter
	// listingDropped counts listing items beyond fetch.max_feed_items.
	listingDropped prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wirewatch_http_requests_total",
			Help: "Outgoing HTTP requests by result: 2xx, 304, 3xx, 4xx, 429, 5xx, or the error kind (timeout, blocked_address, too_large, …).",
		}, []string{"status"}),
		// (Alike by design: each subsystem declares its own metrics; daemon/deliver/metrics.go's
		// histogram has the same shape, with another name, help and buckets.)
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wirewatch_http_request_duration_seconds",
			Help:    "Duration of outgoing HTTP requests, body included, by result.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"status"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wirewatch_http_response_bytes_total",
			Help: "Response body bytes read, after decompression.",
		}),
		listingDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wirewatch_listing_items_dropped_total",
			Help: "Listing-page items dropped because a page held more than fetch.max_feed_items.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.bytes, err = register(reg, m.bytes); err != nil {
		return nil, err
	}
	if m.listingDropped, err = register(reg, m.listingDropped); err != nil {
		return nil, err
	}
	// The request counter's series are there at 0 from the start.
	for _, l := range []string{"2xx", "304", "3xx", "4xx", "429", "5xx", "other",
		KindTimeout, KindBlockedAddress, KindTooLarge, KindRobots, KindParse, KindDNS, KindTLS, KindRedirects, KindBadURL, KindCanceled, KindOther} {
		m.requests.WithLabelValues(l)
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// the same description.
func register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *metrics) observe(status int, err error, d time.Duration, n int64) {
	label := statusClass(status)
	if err != nil {
		label = ErrorKind(err)
		if label == KindHTTP4xx || label == KindHTTP5xx || label == KindRateLimited {
			label = statusClass(status)
		}
	}
	m.requests.WithLabelValues(label).Inc()
	m.duration.WithLabelValues(label).Observe(d.Seconds())
	if n > 0 {
		m.bytes.Add(float64(n))
	}
}

func statusClass(s int) string {
	switch {
	case s == 304:
		return "304"
	case s == 429:
		return "429"
	case s >= 200 && s < 300:
		return "2xx"
	case s >= 300 && s < 400:
		return "3xx"
	case s >= 400 && s < 500:
		return "4xx"
	case s >= 500 && s < 600:
		return "5xx"
	}
	return "other"
}
