package fetch

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// profile is how requests for one source (and its host) are made: the
// User-Agent, extra headers, the cookie jar and the proxy. The client's
// default profile carries the global settings.
type profile struct {
	userAgent string
	headers   http.Header
	// http carries the profile's transport (direct or through its proxy)
	// and, with cookies: true, its jar.
	http *http.Client
	// proxy is the proxy URL (redacted for logs); "" means direct.
	proxy string
	// proxyURL is the proxy URL as configured, for the browser.
	proxyURL string
	// browser marks a source fetched through headless Chromium.
	browser bool
}

// profiles holds the per-source profiles, by source name and by host.
type profiles struct {
	mu     sync.RWMutex
	byName map[string]*profile
	byHost map[string]*profile
	// jars are shared by every source on one host key, so a cookie won
	// while polling a listing is sent with its article pages.
	jars map[string]http.CookieJar
	// transports are the proxied transports, one per proxy URL.
	transports map[string]http.RoundTripper
}

// hostKey is the key a source's options are registered under: its host name,
// lower-cased, without port and without a leading "www.".
func hostKey(host string) string {
	h := strings.ToLower(host)
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(h, ".")
	if rest, ok := strings.CutPrefix(h, "www."); ok && !isPublicSuffix(rest) {
		return rest
	}
	return h
}

// isPublicSuffix reports whether h is a public suffix such as "gov.cn",
// under which unrelated sites live.
func isPublicSuffix(h string) bool {
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return false
	}
	ps, _ := publicsuffix.PublicSuffix(h)
	return ps == h
}

// UseSources registers the fetch options of the catalogue's sources: a poll
// of a source uses its own options, and any other request (article pages,
// robots.txt) to the source's host or a subdomain of it uses the options
// of the first source registered for that host. Sources without options
// use the global settings. Calling it again replaces the registrations.
func (c *Client) UseSources(srcs []model.Source) error {
	byName := make(map[string]*profile)
	byHost := make(map[string]*profile)
	hostOpts := make(map[string]model.FetchOptions)
	for _, src := range srcs {
		if src.Fetch.IsZero() {
			continue
		}
		u, err := url.Parse(src.URL)
		if err != nil {
			return fmt.Errorf("fetch: source %s: %w", src.Name, err)
		}
		p, err := c.newProfile(src.Fetch, hostKey(u.Host))
		if err != nil {
			return fmt.Errorf("fetch: source %s: %w", src.Name, err)
		}
		byName[src.Name] = p
		key := hostKey(u.Host)
		if _, ok := byHost[key]; ok {
			// Sources of one outlet usually share their options; only a
			// difference is worth a word.
			if !reflect.DeepEqual(hostOpts[key], src.Fetch) {
				c.log.Warn("fetch: two sources on one host set different fetch options; the first one's apply to its article pages",
					slog.String("host", key), slog.String("source", src.Name))
			}
			continue
		}
		byHost[key], hostOpts[key] = p, src.Fetch
	}
	c.profiles.mu.Lock()
	c.profiles.byName, c.profiles.byHost = byName, byHost
	c.profiles.mu.Unlock()
	return nil
}

// profileFor returns the profile of a request: the named source's, else the
// one registered for the URL's host or a parent domain, else the default.
func (c *Client) profileFor(source string, u *url.URL) *profile {
	c.profiles.mu.RLock()
	defer c.profiles.mu.RUnlock()
	if p, ok := c.profiles.byName[source]; ok && source != "" {
		return p
	}
	for h := hostKey(u.Host); h != "" && !isPublicSuffix(h); {
		if p, ok := c.profiles.byHost[h]; ok {
			return p
		}
		if _, err := netip.ParseAddr(h); err == nil {
			break // an address has no parent domain
		}
		_, h, _ = strings.Cut(h, ".")
	}
	return c.defaultProfile
}

// sourceProfile returns src's profile, building one for a source that was
// not registered with UseSources but carries options (sources check, tests).
func (c *Client) sourceProfile(src model.Source) (*profile, error) {
	c.profiles.mu.RLock()
	p, ok := c.profiles.byName[src.Name]
	c.profiles.mu.RUnlock()
	if ok {
		return p, nil
	}
	u, err := url.Parse(src.URL)
	if err != nil {
		return nil, err
	}
	if src.Fetch.IsZero() {
		return c.profileFor("", u), nil
	}
	p, err = c.newProfile(src.Fetch, hostKey(u.Host))
	if err != nil {
		return nil, err
	}
	c.profiles.mu.Lock()
	defer c.profiles.mu.Unlock()
	if c.profiles.byName == nil {
		c.profiles.byName = make(map[string]*profile)
	}
	if q, ok := c.profiles.byName[src.Name]; ok {
		return q, nil
	}
	c.profiles.byName[src.Name] = p
	if c.profiles.byHost == nil {
		c.profiles.byHost = make(map[string]*profile)
	}
	if _, ok := c.profiles.byHost[hostKey(u.Host)]; !ok {
		c.profiles.byHost[hostKey(u.Host)] = p
	}
	return p, nil
}

// newProfile builds the profile for opts; key is the host key its cookie
// jar is shared under.
func (c *Client) newProfile(opts model.FetchOptions, key string) (*profile, error) {
	p := &profile{userAgent: c.userAgent, browser: opts.Via == "browser"}
	if ua := strings.TrimSpace(opts.UserAgent); ua != "" {
		p.userAgent = ua
	}
	if len(opts.Headers) > 0 {
		p.headers = make(http.Header, len(opts.Headers))
		for k, v := range opts.Headers {
			p.headers.Set(k, v)
		}
	}
	proxy := c.cfg.Proxy
	switch opts.Proxy {
	case "":
	case "direct":
		proxy = ""
	default:
		proxy = opts.Proxy
	}
	rt, err := c.transportFor(proxy)
	if err != nil {
		return nil, err
	}
	if proxy != "" {
		p.proxy, p.proxyURL = config.RedactURL(proxy), proxy
	}
	p.http = &http.Client{Transport: rt, CheckRedirect: c.checkRedirect}
	if opts.Cookies {
		p.http.Jar = c.jarFor(key)
	}
	return p, nil
}

// jarFor returns the cookie jar shared by the sources of one host key.
func (c *Client) jarFor(key string) http.CookieJar {
	c.profiles.mu.Lock()
	defer c.profiles.mu.Unlock()
	if j, ok := c.profiles.jars[key]; ok {
		return j
	}
	// cookiejar.New fails only for a nil-safe option set; with the public
	// suffix list it cannot.
	j, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	if c.profiles.jars == nil {
		c.profiles.jars = make(map[string]http.CookieJar)
	}
	c.profiles.jars[key] = j
	return j
}

// transportFor returns the round tripper for a proxy URL ("" is direct).
// Proxied transports dial only the proxy, through the same guarded dialer,
// so the proxy's own address must pass the guard (fetch.allow_cidrs for a
// proxy on loopback or a private network); the target's name is resolved
// by the proxy, so a target that is a literal special address is refused
// before the request leaves.
func (c *Client) transportFor(proxy string) (http.RoundTripper, error) {
	if proxy == "" {
		return c.direct, nil
	}
	c.profiles.mu.Lock()
	defer c.profiles.mu.Unlock()
	if rt, ok := c.profiles.transports[proxy]; ok {
		return rt, nil
	}
	if err := config.CheckProxyURL(proxy); err != nil {
		return nil, err
	}
	pu, err := url.Parse(proxy)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	if pu.Scheme == "socks5h" {
		// net/http knows the scheme as socks5; it always lets the proxy
		// resolve names.
		pu.Scheme = "socks5"
	}
	t := c.newTransport()
	t.Proxy = http.ProxyURL(pu)
	t.OnProxyConnectResponse = nil
	c.idle = append(c.idle, t)
	rt := &proxyGuard{base: &limitedTransport{base: t, hosts: c.hosts}, guard: c.guard}
	if c.profiles.transports == nil {
		c.profiles.transports = make(map[string]http.RoundTripper)
	}
	c.profiles.transports[proxy] = rt
	return rt, nil
}

// proxyGuard refuses, before a request goes to a proxy, targets the address
// guard would refuse if we dialled them: literal IP addresses in special
// ranges and names that are loopback by definition.
type proxyGuard struct {
	base  http.RoundTripper
	guard *addressGuard
}

// RoundTrip implements http.RoundTripper.
func (g *proxyGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.guard.checkTarget(req.URL.Hostname()); err != nil {
		return nil, err
	}
	return g.base.RoundTrip(req)
}

// checkTarget vets a request's host name when the connection goes through a
// proxy and the address actually reached is not seen here.
func (g *addressGuard) checkTarget(host string) error {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Errorf("%w: %s (through a proxy)", ErrBlockedAddress, host)
	}
	if ip, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		if err := g.check(ip); err != nil {
			return fmt.Errorf("%w (through a proxy)", err)
		}
	}
	return nil
}

// newTransport returns a transport with the client's limits and guarded
// dialer and no proxy.
func (c *Client) newTransport() *http.Transport {
	dialer := &net.Dialer{
		Timeout:   c.cfg.ConnectTimeout,
		KeepAlive: 30 * time.Second,
		// The guard runs after DNS resolution, on the address actually
		// dialled, for every connection attempt including redirects and
		// Happy Eyeballs fallbacks: DNS rebinding cannot slip past it.
		Control: c.guard.control,
	}
	return &http.Transport{
		// Never use an environment proxy: only configured proxies are
		// used, and their addresses go through the guard like any other.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    c.cfg.ConnectTimeout,
		ResponseHeaderTimeout:  c.cfg.HeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           max(256, 4*c.cfg.MaxIdleConnsPerHost),
		MaxIdleConnsPerHost:    c.cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
}
