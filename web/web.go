// Package web is the analysts' read-only UI: search, articles with the
// evidence behind their classification, revision diffs, edited and removed
// articles (a page and an Atom feed), sources and deliveries. Pages are
// rendered on the server with html/template; the stylesheet is embedded;
// there is no script at all, so every page works without JavaScript and the
// Content-Security-Policy forbids scripts outright. Only GET (and HEAD) is
// served, so there is nothing to forge across sites.
//
// Loopback needs no login; anywhere else config.Web.CheckListener demands a
// password hash or a trusted proxy header before the UI may start.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server serves the UI. It can serve before the database is reachable:
// pages answer 503 until SetStore.
type Server struct {
	cfg   config.Web
	log   *slog.Logger
	st    atomic.Pointer[store.Store]
	pages map[string]*template.Template
	auth  *authenticator
}

// New checks that the UI may listen on addr (loopback, or a login is
// configured) and prepares the templates. addr is the address the caller
// is about to listen on.
func New(cfg config.Web, addr string, logger *slog.Logger) (*Server, error) {
	if err := cfg.CheckListener(addr); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	auth, err := newAuthenticator(cfg)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return &Server{cfg: cfg, log: logger, pages: pages, auth: auth}, nil
}

// SetStore gives the UI its (read-only) store.
func (s *Server) SetStore(st *store.Store) { s.st.Store(st) }

// Handler returns the UI's routes behind the login and security headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/search", http.StatusFound)
	})
	mux.HandleFunc("GET /search", s.page(s.search))
	mux.HandleFunc("GET /export", s.withStore(s.export))
	mux.HandleFunc("GET /articles/{id}", s.page(s.article))
	mux.HandleFunc("GET /articles/{id}/revisions", s.page(s.revisions))
	mux.HandleFunc("GET /articles/{id}/raw", s.withStore(s.raw))
	mux.HandleFunc("GET /changes", s.page(s.changes))
	mux.HandleFunc("GET /changes.atom", s.withStore(s.changesFeed))
	mux.HandleFunc("GET /sources", s.page(s.sources))
	mux.HandleFunc("GET /deliveries", s.page(s.deliveries))
	return securityHeaders(s.auth.wrap(mux))
}

// Mount serves health (/healthz, /readyz, /metrics, without login, for
// orchestrators and Prometheus) and the UI (everything else) on one
// listener.
func (s *Server) Mount(health http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, health)
	}
	mux.Handle("/", s.Handler())
	return mux
}

// securityHeaders forbids scripts, frames, plugins and foreign resources on
// every response: the pages need only their own stylesheet.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// httpError is a failure with the status and message the visitor sees.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// view is what a page handler returns: the template and its data.
type view struct {
	name  string
	title string
	data  any
}

// withStore runs h with the store and a context bounded by
// web.query_timeout; 503 until the database is connected.
func (s *Server) withStore(h func(ctx context.Context, st *store.Store, w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st := s.st.Load()
		if st == nil {
			s.fail(w, r, &httpError{status: http.StatusServiceUnavailable, msg: "The database is not connected yet; try again in a moment."})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
		defer cancel()
		if err := h(ctx, st, w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// page renders the view a handler returns inside the layout.
func (s *Server) page(h func(ctx context.Context, st *store.Store, r *http.Request) (view, error)) http.HandlerFunc {
	return s.withStore(func(ctx context.Context, st *store.Store, w http.ResponseWriter, r *http.Request) error {
		v, err := h(ctx, st, r)
		if err != nil {
			return err
		}
		return s.render(w, http.StatusOK, v)
	})
}

func (s *Server) render(w http.ResponseWriter, status int, v view) error {
	t, ok := s.pages[v.name]
	if !ok {
		return fmt.Errorf("web: no template %q", v.name)
	}
	// Render into memory first: a template error must not leave half a page
	// behind a 200.
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", layoutData{Title: v.title, Page: v.name, Data: v.data}); err != nil {
		return fmt.Errorf("web: render %s: %w", v.name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	if err != nil {
		return errWritten
	}
	return nil
}

// errWritten means the response was already (partly) sent.
var errWritten = errors.New("web: response already written")

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errWritten) {
		return
	}
	var he *httpError
	switch {
	case errors.As(err, &he):
	case errors.Is(err, store.ErrNotFound):
		he = &httpError{status: http.StatusNotFound, msg: "No such article."}
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Error("web page timed out", "path", r.URL.Path, "error", err)
		he = &httpError{status: http.StatusServiceUnavailable, msg: "The query took longer than web.query_timeout allows; narrow it down and try again."}
	case errors.Is(err, context.Canceled):
		return
	default:
		s.log.Error("web page failed", "path", r.URL.Path, "error", err)
		he = &httpError{status: http.StatusInternalServerError, msg: "Something went wrong reading the archive; the log has the details."}
	}
	if rerr := s.render(w, he.status, view{name: "error", title: http.StatusText(he.status), data: he.msg}); rerr != nil && !errors.Is(rerr, errWritten) {
		s.log.Error("web error page failed", "path", r.URL.Path, "error", rerr)
		http.Error(w, he.msg, he.status)
	}
}

type layoutData struct {
	Title string
	Page  string
	Data  any
}
