package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors callers branch on. Errors returned by the package wrap one
// of these (or a *StatusError) with the operation and URL; use errors.Is, or
// ErrorKind for a short label to record.
// (Alike by design: a package's sentinel errors, declared as in store/store.go.)
var (
	// ErrTooLarge means the response body exceeded fetch.max_body_bytes
	// after decompression.
	ErrTooLarge = errors.New("response body too large")
	// ErrBlockedAddress means a connection to a loopback, private,
	// link-local, metadata or otherwise special address was refused.
	ErrBlockedAddress = errors.New("blocked address")
	// ErrTooManyRedirects means more than fetch.max_redirects redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrScheme means a URL or a redirect target that is not http(s).
	ErrScheme = errors.New("scheme not allowed")
	// ErrRobotsDisallowed means robots.txt forbids the URL to our agent.
	ErrRobotsDisallowed = errors.New("disallowed by robots.txt")
	// ErrTimeout means the whole-request timeout (fetch.timeout) expired.
	ErrTimeout = errors.New("request timed out")
	// ErrNotFeed means the body of a feed source is not RSS, Atom, RDF or
	// JSON Feed (typically an HTML page).
	ErrNotFeed = errors.New("not a feed")
	// ErrParse means a feed or page could not be parsed, or was rejected by
	// a structural limit (nesting depth, item count).
	ErrParse = errors.New("parse error")
	// ErrListingEmpty means a listing page's selectors matched no article:
	// the page changed and the source needs attention.
	ErrListingEmpty = errors.New("listing selectors matched nothing")
)

// StatusError is an HTTP response with a status other than 2xx or 304.
type StatusError struct {
	// Status is the HTTP status code.
	Status int
	// RetryAfter is the time given by a Retry-After header; zero if none.
	RetryAfter time.Time
}

// Error implements error.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	if !e.RetryAfter.IsZero() {
		s += ", retry after " + e.RetryAfter.UTC().Format(time.RFC3339)
	}
	return s
}

// Error kinds returned by ErrorKind.
const (
	KindTimeout        = "timeout"
	KindBlocked        = "blocked"
	KindChallenge      = "challenge"
	KindBlockedAddress = "blocked_address"
	KindTooLarge       = "too_large"
	KindHTTP4xx        = "http_4xx"
	KindHTTP5xx        = "http_5xx"
	KindRateLimited    = "rate_limited"
	KindRobots         = "robots"
	KindParse          = "parse"
	KindListingEmpty   = "listing_empty"
	KindDNS            = "dns"
	KindTLS            = "tls"
	KindRedirects      = "redirects"
	KindBadURL         = "bad_url"
	KindCanceled       = "canceled"
	KindOther          = "other"
)

// ErrorKind classifies err into one of the Kind… labels, for the database
// and metrics. It returns "" for a nil error.
// (Alike by design: one case per sentinel error and its label.)
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var se *StatusError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	switch {
	case errors.Is(err, ErrBlockedAddress):
		return KindBlockedAddress
	case errors.Is(err, ErrChallenge):
		return KindChallenge
	case errors.Is(err, ErrBlocked):
		return KindBlocked
	case errors.Is(err, ErrTooLarge):
		return KindTooLarge
	case errors.Is(err, ErrRobotsDisallowed):
		return KindRobots
	case errors.Is(err, ErrListingEmpty):
		return KindListingEmpty
	case errors.Is(err, ErrNotFeed), errors.Is(err, ErrParse):
		return KindParse
	case errors.Is(err, ErrTooManyRedirects):
		return KindRedirects
	case errors.Is(err, ErrScheme):
		return KindBadURL
	case errors.As(err, &se):
		switch {
		case se.Status == http.StatusTooManyRequests:
			return KindRateLimited
		case se.Status >= 500:
			return KindHTTP5xx
		case se.Status >= 400:
			return KindHTTP4xx
		}
		return KindOther
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return KindTimeout
		}
		return KindDNS
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &alertErr),
		errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return KindTLS
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return KindTimeout
	}
	return KindOther
}

// RetryAfter returns the time a server asked us to wait until (Retry-After on
// a 429 or 503, or a host still in its back-off window), if err carries one.
func RetryAfter(err error) (time.Time, bool) {
	var se *StatusError
	if errors.As(err, &se) && !se.RetryAfter.IsZero() {
		return se.RetryAfter, true
	}
	return time.Time{}, false
}

// parseRetryAfter reads a Retry-After value (delay-seconds or an HTTP-date),
// capped at maxWait so a hostile server cannot park a source for years.
func parseRetryAfter(v string, now time.Time, maxWait time.Duration) time.Time {
	if v == "" {
		return time.Time{}
	}
	var t time.Time
	v = strings.TrimSpace(v)
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}
		}
		if secs > int64(maxWait/time.Second) {
			secs = int64(maxWait / time.Second)
		}
		t = now.Add(time.Duration(secs) * time.Second)
	} else if d, err := http.ParseTime(v); err == nil {
		t = d
	} else {
		return time.Time{}
	}
	if t.Before(now) {
		return time.Time{}
	}
	if t.After(now.Add(maxWait)) {
		t = now.Add(maxWait)
	}
	return t
}
