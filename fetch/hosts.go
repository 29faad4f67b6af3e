package fetch

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// hostTable keeps the politeness state of each host (host:port as dialled).
type hostTable struct {
	rate        rate.Limit
	burst       int
	concurrency int

	mu    sync.Mutex
	hosts map[string]*hostState
}

// hostState is one host's limiter, in-flight slots and back-off window.
type hostState struct {
	limiter *rate.Limiter
	slots   chan struct{}

	mu           sync.Mutex
	backoffUntil time.Time
	backoffErr   *StatusError
}

func newHostTable(r float64, burst, concurrency int) *hostTable {
	return &hostTable{rate: rate.Limit(r), burst: burst, concurrency: concurrency, hosts: make(map[string]*hostState)}
}

func (t *hostTable) get(host string) *hostState {
	host = strings.ToLower(host)
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.hosts[host]
	if !ok {
		h = &hostState{limiter: rate.NewLimiter(t.rate, t.burst), slots: make(chan struct{}, t.concurrency)}
		t.hosts[host] = h
	}
	return h
}

// acquire takes an in-flight slot, then waits for a rate token. The slot is
// held until the response body is closed, so the concurrency cap counts
// body downloads too.
func (h *hostState) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := h.limiter.Wait(ctx); err != nil {
		<-h.slots
		return err
	}
	return nil
}

func (h *hostState) release() { <-h.slots }

// backoff returns the StatusError that put host in back-off, while it lasts.
func (t *hostTable) backoff(host string, now time.Time) *StatusError {
	h := t.get(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.backoffErr != nil && now.Before(h.backoffUntil) {
		return h.backoffErr
	}
	return nil
}

func (t *hostTable) setBackoff(host string, se *StatusError) {
	h := t.get(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	if se.RetryAfter.After(h.backoffUntil) {
		h.backoffUntil = se.RetryAfter
		h.backoffErr = se
	}
}

// limitedTransport applies the per-host limits to every request it carries,
// including robots.txt fetches and each redirect hop.
type limitedTransport struct {
	base  http.RoundTripper
	hosts *hostTable
}

// RoundTrip implements http.RoundTripper.
func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := t.hosts.get(req.URL.Host)
	if err := h.acquire(req.Context()); err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		h.release()
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: h.release}
	return resp, nil
}

// releaseBody gives the host slot back when the body is closed.
type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
