package daemon

import (
	"context"
	"errors"
	"fmt"
	"github.com/wirewatch/wirewatch/config"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wirewatch/wirewatch/store"
)

// Health serves /healthz (the process is alive), /readyz (the database
// answers and its schema is the one this binary knows) and /metrics. It can
// serve before the database is reachable: /readyz says so until SetStore.
type Health struct {
	st       atomic.Pointer[store.Store]
	gatherer prometheus.Gatherer
}

// NewHealth returns a Health with no store yet.
func NewHealth(gatherer prometheus.Gatherer) *Health { return &Health{gatherer: gatherer} }

// SetStore makes /readyz check st.
func (h *Health) SetStore(st *store.Store) { h.st.Store(st) }

// Handler returns the HTTP handler.
func (h *Health) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		st := h.st.Load()
		if st == nil {
			http.Error(w, "database not connected yet", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), config.DefaultHealthCheckTimeout)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "database unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		if err := st.CheckSchema(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if h.gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(h.gatherer, promhttp.HandlerOpts{}))
	}
	return mux
}

// Handler serves health and metrics for this daemon's store.
func (d *Daemon) Handler(gatherer prometheus.Gatherer) http.Handler {
	h := NewHealth(gatherer)
	h.SetStore(d.st)
	return h.Handler()
}

// Serve runs the health and metrics listener on addr until ctx is done.
// The returned channel receives the bound address (useful with port 0).
func Serve(ctx context.Context, addr string, h http.Handler) (net.Addr, <-chan error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("daemon: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: config.DefaultHealthReadHeaderTimeout}
	errc := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		errc <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), config.DefaultHealthShutdown)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr(), errc, nil
}
