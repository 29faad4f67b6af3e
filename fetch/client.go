// Package fetch is wirewatch's network edge: one shared HTTP client with
// limits (timeouts, body size after decompression, redirects), an SSRF guard
// at dial time, politeness (per-host rate and concurrency limits, robots.txt,
// Retry-After, conditional GET), and the parsers that turn a polled source —
// an RSS/Atom/RDF/JSON feed or an HTML listing page — into items with
// canonical URLs.
//
// Errors wrap a sentinel (ErrTooLarge, ErrBlockedAddress, …) or a
// *StatusError; ErrorKind gives a short label for the database and RetryAfter
// the time a server asked us to wait until.
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// robotsMaxBytes caps robots.txt bodies; Google reads the first 500 KiB.
const robotsMaxBytes = 512 << 10

// drainLimit is how much of an unwanted body is read so the connection can be
// reused; beyond it the connection is closed instead.
const drainLimit = 64 << 10

// Accept headers for the two kinds of source.
const (
	// AcceptFeed is sent when polling feed sources.
	AcceptFeed = "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
	// AcceptHTML is sent for pages.
	AcceptHTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
	// AcceptJSON is sent for JSON listings (data files and APIs).
	AcceptJSON = "application/json, text/javascript;q=0.9, */*;q=0.5"
)

// Client is the shared, concurrency-safe HTTP client of a wirewatch process.
// Create one with NewClient and use it from every worker: its connection
// pool, per-host limits and robots.txt cache only work when shared.
type Client struct {
	cfg       config.Fetch
	log       *slog.Logger
	transport *http.Transport
	// direct is the rate-limited direct round tripper every profile without
	// a proxy shares.
	direct http.RoundTripper
	// idle lists every transport made, for Close (guarded by profiles.mu).
	idle []*http.Transport
	// defaultProfile carries the global settings; profiles the sources'.
	defaultProfile *profile
	profiles       profiles
	guard          *addressGuard
	userAgent      string
	// robotsAgent is the product token matched against robots.txt groups.
	robotsAgent string
	hosts       *hostTable
	robots      *robotsCache
	metrics     *metrics
	now         func() time.Time
	// learned holds what link discovery learned per listing source
	// without selectors (listing_discover.go).
	learned profileTable
}

// Conditional carries the validators of a previous response and per-request
// options.
type Conditional struct {
	// ETag is sent as If-None-Match.
	ETag string
	// LastModified is sent as If-Modified-Since.
	LastModified string
	// IgnoreRobots skips the robots.txt check (sources with robots: false).
	IgnoreRobots bool
	// Accept overrides the Accept header; default AcceptHTML.
	Accept string
	// Source names the source the request is made for, whose fetch options
	// (UseSources) apply; empty means the options registered for the URL's
	// host, if any.
	Source string
}

// Response is a successful (2xx or 304) response with its body read.
type Response struct {
	// URL is the final URL after redirects.
	URL string
	// Status is the HTTP status code (200…299 or 304).
	Status int
	// Header is the final response's header.
	Header http.Header
	// Body is the decompressed body, at most fetch.max_body_bytes; empty
	// when NotModified.
	Body []byte
	// NotModified is true for a 304 answer to a conditional request.
	NotModified bool
	// ETag and LastModified are the validators to send next time; on a 304
	// without them the request's own validators are kept.
	ETag, LastModified string
}

// NewClient builds the shared client from the fetch configuration. Metrics are
// registered on reg (nil: not registered); registering a second client on the
// same registry reuses the first one's collectors.
func NewClient(cfg config.Fetch, logger *slog.Logger, reg prometheus.Registerer) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("fetch: new client: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	guard, err := newAddressGuard(cfg.AllowCIDRs)
	if err != nil {
		return nil, fmt.Errorf("fetch: new client: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("fetch: new client: %w", err)
	}
	ua := strings.TrimSpace(cfg.UserAgent)
	if ua == "" {
		ua = "wirewatch/1.0"
	}
	agent, _, _ := strings.Cut(ua, "/")
	if cfg.ContactURL != "" {
		ua += " (+" + cfg.ContactURL + ")"
	}
	c := &Client{
		cfg:         cfg,
		log:         logger,
		guard:       guard,
		userAgent:   ua,
		robotsAgent: strings.ToLower(strings.TrimSpace(agent)),
		hosts:       newHostTable(cfg.HostRate, cfg.HostBurst, cfg.HostConcurrency),
		robots:      &robotsCache{entries: make(map[string]*robotsEntry)},
		metrics:     m,
		now:         time.Now,
	}
	c.transport = c.newTransport()
	c.idle = append(c.idle, c.transport)
	c.direct = &limitedTransport{base: c.transport, hosts: c.hosts}
	def, err := c.newProfile(model.FetchOptions{}, "")
	if err != nil {
		return nil, fmt.Errorf("fetch: new client: fetch.proxy: %w", err)
	}
	c.defaultProfile = def
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() {
	c.profiles.mu.Lock()
	defer c.profiles.mu.Unlock()
	for _, t := range c.idle {
		t.CloseIdleConnections()
	}
}

// UserAgent returns the User-Agent header the client sends.
func (c *Client) UserAgent() string { return c.userAgent }

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, c.cfg.MaxRedirects)
	}
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("redirect to %q: %w", req.URL.Redacted(), ErrScheme)
	}
	c.log.Debug("fetch: redirect", slog.String("url", req.URL.Redacted()), slog.String("from", via[len(via)-1].URL.Redacted()))
	return nil
}

// Get fetches rawURL with the client's limits and politeness: robots.txt
// (unless cond.IgnoreRobots or fetch.respect_robots is off), the host's
// back-off window after a 429/503, the per-host rate and concurrency limits,
// and conditional headers from cond. A 304 yields a Response with
// NotModified set. Other non-2xx statuses yield a *StatusError (with
// RetryAfter for 429 and 503); every error is wrapped as
// "fetch: GET <url>: …".
func (c *Client) Get(ctx context.Context, rawURL string, cond Conditional) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetch: GET %s: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("fetch: GET %s: %w", u.Redacted(), ErrScheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("fetch: GET %s: no host", u.Redacted())
	}
	p := c.profileFor(cond.Source, u)
	if se := c.hosts.backoff(u.Host, c.now()); se != nil {
		return nil, fmt.Errorf("fetch: GET %s: host still in back-off: %w", u.Redacted(), se)
	}
	if c.cfg.RespectRobots && !cond.IgnoreRobots {
		ok, err := c.robotsAllowed(ctx, u, p)
		if err != nil {
			return nil, fmt.Errorf("fetch: GET %s: robots.txt: %w", u.Redacted(), err)
		}
		if !ok {
			return nil, fmt.Errorf("fetch: GET %s: %w", u.Redacted(), ErrRobotsDisallowed)
		}
	}
	var resp *Response
	if p.browser {
		resp, err = c.browserGet(ctx, u, p)
	} else {
		resp, err = c.do(ctx, u, cond, p, c.cfg.MaxBodyBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch: GET %s: %w", u.Redacted(), err)
	}
	return resp, nil
}

// do performs one request (following redirects) without the robots check.
func (c *Client) do(ctx context.Context, u *url.URL, cond Conditional, p *profile, maxBytes int64) (resp *Response, err error) {
	start := c.now()
	status := 0
	var n int64
	defer func() {
		c.metrics.observe(status, err, c.now().Sub(start), n)
		if errors.Is(err, ErrBlockedAddress) {
			c.log.Warn("fetch: blocked address", slog.String("url", u.Redacted()), slog.String("error", err.Error()))
		}
	}()

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", p.userAgent)
	accept := cond.Accept
	if accept == "" {
		accept = AcceptHTML
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	for k, v := range p.headers {
		req.Header[k] = v
	}
	if cond.ETag != "" {
		req.Header.Set("If-None-Match", cond.ETag)
	}
	if cond.LastModified != "" {
		req.Header.Set("If-Modified-Since", cond.LastModified)
	}

	hr, err := p.http.Do(req)
	if err != nil {
		if hr != nil {
			hr.Body.Close()
		}
		return nil, c.timeoutErr(ctx, unwrapURLError(err))
	}
	defer hr.Body.Close()
	status = hr.StatusCode
	final := hr.Request.URL.String()

	switch {
	case hr.StatusCode == http.StatusNotModified:
		drain(hr.Body)
		return &Response{
			URL: final, Status: hr.StatusCode, Header: hr.Header, NotModified: true,
			ETag:         firstNonEmpty(hr.Header.Get("ETag"), cond.ETag),
			LastModified: firstNonEmpty(hr.Header.Get("Last-Modified"), cond.LastModified),
		}, nil
	case hr.StatusCode < 200 || hr.StatusCode > 299:
		if class := responseClass(hr.StatusCode); class != "" {
			// Read a little of the page: a 403 that carries a
			// JavaScript cookie script is a challenge, not a ban.
			head, _ := io.ReadAll(io.LimitReader(hr.Body, int64(max(c.cfg.ChallengeMaxBytes, 4096))))
			drain(hr.Body)
			status = hr.StatusCode
			return nil, classifyStatus(hr.StatusCode, head)
		}
		drain(hr.Body)
		se := &StatusError{Status: hr.StatusCode}
		if hr.StatusCode == http.StatusTooManyRequests || hr.StatusCode == http.StatusServiceUnavailable {
			se.RetryAfter = parseRetryAfter(hr.Header.Get("Retry-After"), c.now(), c.cfg.MaxInterval)
			if !se.RetryAfter.IsZero() {
				c.hosts.setBackoff(hr.Request.URL.Host, se)
			}
		}
		return nil, se
	}

	if hr.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds %d bytes", ErrTooLarge, hr.ContentLength, maxBytes)
	}
	var buf bytes.Buffer
	if hr.ContentLength > 0 {
		buf.Grow(int(hr.ContentLength))
	}
	n, err = io.Copy(&buf, io.LimitReader(hr.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", c.timeoutErr(ctx, err))
	}
	if n > maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	if err := classifyPage(hr.StatusCode, hr.Header.Get("Content-Type"), buf.Bytes(), c.cfg.ChallengeMaxBytes); err != nil {
		return nil, err
	}
	return &Response{
		URL: final, Status: hr.StatusCode, Header: hr.Header, Body: buf.Bytes(),
		ETag: hr.Header.Get("ETag"), LastModified: hr.Header.Get("Last-Modified"),
	}, nil
}

// timeoutErr marks err as ErrTimeout when the whole-request deadline, not the
// caller, ended the request.
func (c *Client) timeoutErr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(err, ErrTimeout) {
		return fmt.Errorf("%w after %s: %w", ErrTimeout, c.cfg.Timeout, err)
	}
	return err
}

// unwrapURLError drops net/http's *url.Error wrapper, which repeats the method
// and URL already in our own message.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func drain(r io.Reader) {
	_, _ = io.CopyN(io.Discard, r, drainLimit)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// robotsCache holds one entry per scheme://host.
type robotsCache struct {
	mu      sync.Mutex
	entries map[string]*robotsEntry
}

func (rc *robotsCache) entry(key string) *robotsEntry {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	e, ok := rc.entries[key]
	if !ok {
		e = &robotsEntry{}
		rc.entries[key] = e
	}
	return e
}
