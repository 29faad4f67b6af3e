package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Web sets the analysts' read-only web UI (package web), served on
// daemon.listen by `wirewatch run` and alone by `wirewatch web`.
//
// Loopback needs no login. On any other address a login is required: a
// password hash (HTTP Basic authentication) or a header set by a trusted
// reverse proxy. Without one the process refuses to start (CheckListener).
type Web struct {
	// Enabled serves the UI on daemon.listen next to /healthz, /readyz and
	// /metrics. Default true. The container image turns it off, since it
	// listens on every address and has no login configured.
	Enabled bool `yaml:"enabled"`
	// Listen is the address `wirewatch web` serves on (its --listen flag
	// overrides it). Default "127.0.0.1:9091".
	Listen string `yaml:"listen"`
	// User is the login name checked with PasswordHash. Default "analyst".
	User string `yaml:"user"`
	// PasswordHash is a bcrypt hash of the login password (make one with
	// `wirewatch web --hash-password`). Default "" (no password login).
	PasswordHash Secret `yaml:"password_hash"`
	// PasswordHashFile names a file holding PasswordHash. Default "".
	PasswordHashFile string `yaml:"password_hash_file"`
	// ProxyHeader names a request header carrying the user a reverse proxy
	// authenticated, e.g. "X-Forwarded-User". It is believed only from
	// TrustedProxies. Default "" (off).
	ProxyHeader string `yaml:"proxy_header"`
	// TrustedProxies lists the addresses (CIDR) of the reverse proxies whose
	// ProxyHeader is believed; required with ProxyHeader. Default none.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MaxConns caps the UI's own connection pool, separate from the
	// daemon's, so analysts cannot starve the pipeline. Default 4.
	MaxConns int `yaml:"max_conns"`
	// QueryTimeout bounds the database work of one page or export.
	// Default 10s.
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// PageSize is how many rows a page of search results, changes or
	// deliveries shows. Default 25.
	PageSize int `yaml:"page_size"`
	// ExportMax caps the rows of a search-results export (CSV or JSON
	// lines); `wirewatch export` has no cap. Default 10000.
	ExportMax int `yaml:"export_max"`
	// RankWindow is how many of the newest matches the "best match" order
	// ranks (ranking every match of a common word in a large archive takes
	// seconds); a search with fewer matches is ranked whole. Default 300.
	RankWindow int `yaml:"rank_window"`
}

// DefaultWeb returns the web section's defaults.
func DefaultWeb() Web {
	return Web{
		Enabled:      true,
		Listen:       "127.0.0.1:9091",
		User:         "analyst",
		MaxConns:     4,
		QueryTimeout: 10 * time.Second,
		PageSize:     25,
		ExportMax:    10000,
		RankWindow:   300,
	}
}

// Validate checks the web section.
func (w Web) Validate() error {
	if w.User == "" || strings.ContainsAny(w.User, ":\r\n") {
		return &Error{Key: "web.user", Msg: fmt.Sprintf("want a name without ':' or line breaks, got %q", w.User)}
	}
	if w.PasswordHash != "" {
		if _, err := bcrypt.Cost([]byte(w.PasswordHash.Reveal())); err != nil {
			return &Error{Key: "web.password_hash", Msg: "want a bcrypt hash ($2a$/$2b$…), as `wirewatch web --hash-password` prints"}
		}
	}
	if w.ProxyHeader != "" {
		if strings.ContainsAny(w.ProxyHeader, " :\r\n") {
			return &Error{Key: "web.proxy_header", Msg: fmt.Sprintf("want a header name, got %q", w.ProxyHeader)}
		}
		if len(w.TrustedProxies) == 0 {
			return &Error{Key: "web.trusted_proxies", Msg: "want the address ranges of the proxies that set web.proxy_header (e.g. 10.0.0.5/32)"}
		}
	}
	if _, err := w.TrustedPrefixes(); err != nil {
		return &Error{Key: "web.trusted_proxies", Msg: err.Error()}
	}
	if w.MaxConns < 1 || w.MaxConns > 100 {
		return &Error{Key: "web.max_conns", Msg: fmt.Sprintf("want 1 to 100, got %d", w.MaxConns)}
	}
	if w.QueryTimeout <= 0 {
		return &Error{Key: "web.query_timeout", Msg: "want a positive duration such as 10s"}
	}
	if w.PageSize < 1 || w.PageSize > 500 {
		return &Error{Key: "web.page_size", Msg: fmt.Sprintf("want 1 to 500, got %d", w.PageSize)}
	}
	if w.ExportMax < 1 || w.ExportMax > 10000 {
		return &Error{Key: "web.export_max", Msg: fmt.Sprintf("want 1 to 10000, got %d", w.ExportMax)}
	}
	if w.RankWindow < 1 || w.RankWindow > 10000 {
		return &Error{Key: "web.rank_window", Msg: fmt.Sprintf("want 1 to 10000, got %d", w.RankWindow)}
	}
	return nil
}

// TrustedPrefixes parses TrustedProxies.
func (w Web) TrustedPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(w.TrustedProxies))
	for _, s := range w.TrustedProxies {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("want CIDR ranges such as 10.0.0.5/32, got %q", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// HasLogin reports whether a login is configured.
func (w Web) HasLogin() bool { return w.PasswordHash != "" || w.ProxyHeader != "" }

// ErrWebNeedsLogin means the UI would listen beyond loopback with no login.
var ErrWebNeedsLogin = errors.New("the web UI listens on a non-loopback address without a login: set web.password_hash (or web.proxy_header with web.trusted_proxies), listen on 127.0.0.1, or set web.enabled: false")

// CheckListener refuses to serve the UI on addr when addr is reachable from
// other machines and no login is configured. Only 127.0.0.0/8, ::1 and
// "localhost" count as loopback; an empty host or 0.0.0.0 listens on every
// interface.
func (w Web) CheckListener(addr string) error {
	if w.HasLogin() || IsLoopback(addr) {
		return nil
	}
	return fmt.Errorf("config: %s: %w", addr, ErrWebNeedsLogin)
}

// IsLoopback reports whether a listen address (host:port) is on loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
