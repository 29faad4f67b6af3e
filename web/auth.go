package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/wirewatch/wirewatch/config"
)

// Verified credentials are remembered for a while so that bcrypt, slow on
// purpose (tens of milliseconds), runs once per visitor and not on every
// page; the cache holds digests, never passwords.
const (
	credentialTTL = 10 * time.Minute
	credentialMax = 256
)

// authenticator admits a request by a trusted proxy's header or by HTTP
// Basic authentication against a bcrypt hash; with neither configured it
// admits everyone (CheckListener allows that only on loopback).
type authenticator struct {
	user    string
	hash    []byte
	header  string
	trusted []netip.Prefix

	mu       sync.Mutex
	verified map[[32]byte]time.Time
}

func newAuthenticator(cfg config.Web) (*authenticator, error) {
	trusted, err := cfg.TrustedPrefixes()
	if err != nil {
		return nil, err
	}
	a := &authenticator{user: cfg.User, trusted: trusted, verified: map[[32]byte]time.Time{}}
	if cfg.PasswordHash != "" {
		a.hash = []byte(cfg.PasswordHash.Reveal())
	}
	if cfg.ProxyHeader != "" {
		a.header = http.CanonicalHeaderKey(cfg.ProxyHeader)
	}
	return a, nil
}

func (a *authenticator) open() bool { return a.hash == nil && a.header == "" }

func (a *authenticator) wrap(next http.Handler) http.Handler {
	if a.open() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.admit(r) {
			next.ServeHTTP(w, r)
			return
		}
		if a.hash != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="wirewatch", charset="UTF-8"`)
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		http.Error(w, "forbidden: sign in through the reverse proxy", http.StatusForbidden)
	})
}

func (a *authenticator) admit(r *http.Request) bool {
	if a.header != "" && r.Header.Get(a.header) != "" && a.fromTrustedProxy(r) {
		return true
	}
	if a.hash == nil {
		return false
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	return a.checkPassword(user, pass, time.Now())
}

func (a *authenticator) fromTrustedProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (a *authenticator) checkPassword(user, pass string, now time.Time) bool {
	if subtle.ConstantTimeCompare([]byte(user), []byte(a.user)) != 1 {
		return false
	}
	key := sha256.Sum256([]byte(user + "\x00" + pass))
	a.mu.Lock()
	exp, ok := a.verified[key]
	a.mu.Unlock()
	if ok && now.Before(exp) {
		return true
	}
	if bcrypt.CompareHashAndPassword(a.hash, []byte(pass)) != nil {
		return false
	}
	a.mu.Lock()
	if len(a.verified) >= credentialMax {
		clear(a.verified)
	}
	a.verified[key] = now.Add(credentialTTL)
	a.mu.Unlock()
	return true
}
