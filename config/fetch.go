package config

import (
	"cmp"
	"fmt"
	"net/netip"
	"net/url"
	"time"
)

// Fetch sets the shared HTTP client, politeness and the re-check schedule.
// (Alike by design: documented yaml fields, the shape of every configuration struct.)
type Fetch struct {
	// UserAgent is sent with every request; the contact URL is appended.
	// Default "wirewatch/1.0".
	UserAgent string `yaml:"user_agent"`
	// ContactURL tells site operators who is polling. Default
	// "https://github.com/wirewatch/wirewatch".
	ContactURL string `yaml:"contact_url"`
	// ConnectTimeout bounds the TCP and TLS handshake. Default 10s.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// HeaderTimeout bounds the wait for the response headers. Default 20s.
	HeaderTimeout time.Duration `yaml:"header_timeout"`
	// Timeout bounds a whole request, body included. Default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxBodyBytes caps a response body after decompression. Default 15 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxRedirects caps redirects per request. Default 5.
	MaxRedirects int `yaml:"max_redirects"`
	// AllowCIDRs lets requests reach otherwise blocked ranges (loopback,
	// private…), e.g. ["127.0.0.1/32"] for tests. Default none.
	AllowCIDRs []string `yaml:"allow_cidrs"`
	// HostRate is the steady request rate per host, per second. Default 2.
	HostRate float64 `yaml:"host_rate"`
	// HostBurst is the burst allowed per host. Default 4.
	HostBurst int `yaml:"host_burst"`
	// HostConcurrency caps requests in flight per host. Default 4.
	HostConcurrency int `yaml:"host_concurrency"`
	// MaxIdleConnsPerHost is how many idle keep-alive connections are kept
	// per host; it must cover all workers hitting one farm host. Default 64.
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// RespectRobots obeys robots.txt unless a source turns it off. Default true.
	RespectRobots bool `yaml:"respect_robots"`
	// RobotsTTL is how long a host's robots.txt is cached. Default 24h.
	RobotsTTL time.Duration `yaml:"robots_ttl"`
	// RobotsRetry is how soon a robots.txt that failed with 5xx or a network
	// error (treated as allow-all meanwhile) is tried again. Default 10m.
	RobotsRetry time.Duration `yaml:"robots_retry"`
	// MaxFeedDepth rejects feeds nesting elements deeper than this, before
	// the feed parser (which recurses) sees them. Default 100.
	MaxFeedDepth int `yaml:"max_feed_depth"`
	// MaxFeedItems rejects feeds with more items than this, and cuts a
	// listing page to its first MaxFeedItems items (the rest are dropped,
	// logged once per poll and counted in
	// wirewatch_listing_items_dropped_total). Default 5000.
	MaxFeedItems int `yaml:"max_feed_items"`
	// Jitter spreads poll times by ± this fraction of the interval. Default 0.1.
	Jitter float64 `yaml:"jitter"`
	// Adaptive polls sources that publish often more often, within
	// MinInterval and MaxInterval. Default false.
	Adaptive bool `yaml:"adaptive"`
	// MinInterval is the shortest poll interval. Default 5m.
	MinInterval time.Duration `yaml:"min_interval"`
	// MaxInterval is the longest poll interval, also the cap of failure
	// backoff. Default 6h.
	MaxInterval time.Duration `yaml:"max_interval"`
	// Recheck lists when a known article is fetched again to notice edits
	// and removal, counted from first sight. Default [1h, 6h, 24h, 168h].
	Recheck []time.Duration `yaml:"recheck"`
	// Proxy sends every request through this proxy: http://, https:// (HTTP
	// CONNECT) or socks5:// URL with host and port; a source's proxy
	// replaces it ("direct" for none). The proxy's own address is vetted by
	// the address guard like any other: a proxy on loopback or a private
	// network must be listed in AllowCIDRs. Through a proxy, targets that are
	// literal special addresses are refused; names are resolved by the proxy,
	// which must then keep its own egress rules. Default "" (none).
	Proxy string `yaml:"proxy"`
	// ChallengeMaxBytes is the size under which a 2xx HTML page that asks
	// for JavaScript, a captcha or a cookie (访问频繁, 安全验证, 验证码, a
	// document.cookie script) is taken as an anti-bot challenge rather than
	// content. Default 32768.
	ChallengeMaxBytes int `yaml:"challenge_max_bytes"`
	// StaleAfter is the shortest age of a source's newest item at which the
	// source is reported stale; a source that usually publishes less often
	// is stale after StaleGapFactor times its usual gap instead. Default 168h.
	StaleAfter time.Duration `yaml:"stale_after"`
	// StaleGapFactor multiplies a source's usual gap between items to give
	// its stale age, when that is longer than StaleAfter. Default 10.
	StaleGapFactor float64 `yaml:"stale_gap_factor"`
	// RuleMissLimit is how many articles in a row whose site rule's body
	// selector yields nothing make a source broken. Default 5.
	RuleMissLimit int `yaml:"rule_miss_limit"`
	// BrowserPath is the Chromium executable for via: browser sources;
	// empty looks for chromium, chromium-browser, google-chrome or
	// headless-shell on PATH. Default "".
	BrowserPath string `yaml:"browser_path"`
	// BrowserSettle is how long a via: browser page is left to run its
	// scripts (a JavaScript cookie check sets its cookie and reloads)
	// before its document is read; at most half of Timeout. Default 3s.
	BrowserSettle time.Duration `yaml:"browser_settle"`
	// MaxArticleAttempts is how often a failing article fetch is tried
	// before the feed summary is kept instead. Default 5.
	MaxArticleAttempts int `yaml:"max_article_attempts"`
}

// DefaultFetch returns the fetch defaults.
func DefaultFetch() Fetch {
	return Fetch{
		UserAgent:           "wirewatch/1.0",
		ContactURL:          "https://github.com/wirewatch/wirewatch",
		ConnectTimeout:      10 * time.Second,
		HeaderTimeout:       20 * time.Second,
		Timeout:             60 * time.Second,
		MaxBodyBytes:        15 << 20,
		MaxRedirects:        5,
		HostRate:            2,
		HostBurst:           4,
		HostConcurrency:     4,
		MaxIdleConnsPerHost: 64,
		RespectRobots:       true,
		RobotsTTL:           24 * time.Hour,
		RobotsRetry:         10 * time.Minute,
		MaxFeedDepth:        100,
		MaxFeedItems:        5000,
		Jitter:              0.1,
		MinInterval:         5 * time.Minute,
		MaxInterval:         6 * time.Hour,
		Recheck:             []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 168 * time.Hour},
		MaxArticleAttempts:  5,
		ChallengeMaxBytes:   32 << 10,
		StaleAfter:          7 * 24 * time.Hour,
		StaleGapFactor:      10,
		RuleMissLimit:       5,
		BrowserSettle:       3 * time.Second,
	}
}

// Validate checks the fetch section.
func (f Fetch) Validate() error {
	pos := []struct {
		key string
		d   time.Duration
	}{{"fetch.connect_timeout", f.ConnectTimeout}, {"fetch.header_timeout", f.HeaderTimeout}, {"fetch.timeout", f.Timeout}, {"fetch.min_interval", f.MinInterval}, {"fetch.max_interval", f.MaxInterval}, {"fetch.robots_ttl", f.RobotsTTL}, {"fetch.robots_retry", f.RobotsRetry}, {"fetch.stale_after", f.StaleAfter}}
	for _, p := range pos {
		if p.d <= 0 {
			return &Error{Key: p.key, Msg: fmt.Sprintf("want a positive duration, got %s", p.d)}
		}
	}
	if f.MinInterval > f.MaxInterval {
		return &Error{Key: "fetch.min_interval", Msg: "must not exceed fetch.max_interval"}
	}
	if err := cmp.Or(
		atLeast("fetch.max_body_bytes", f.MaxBodyBytes, 1024),
		atLeast("fetch.host_burst", f.HostBurst, 1),
		atLeast("fetch.host_concurrency", f.HostConcurrency, 1),
		atLeast("fetch.max_idle_conns_per_host", f.MaxIdleConnsPerHost, 1),
		atLeast("fetch.max_feed_depth", f.MaxFeedDepth, 8),
		atLeast("fetch.max_feed_items", f.MaxFeedItems, 1),
		atLeast("fetch.max_article_attempts", f.MaxArticleAttempts, 1),
		atLeast("fetch.challenge_max_bytes", f.ChallengeMaxBytes, 0),
		atLeast("fetch.stale_gap_factor", f.StaleGapFactor, 1),
		atLeast("fetch.browser_settle", f.BrowserSettle, 0),
		atLeast("fetch.rule_miss_limit", f.RuleMissLimit, 1),
	); err != nil {
		return err
	}
	if f.MaxRedirects < 0 || f.MaxRedirects > 20 {
		return &Error{Key: "fetch.max_redirects", Msg: fmt.Sprintf("want 0 to 20, got %d", f.MaxRedirects)}
	}
	for i, c := range f.AllowCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			return &Error{Key: fmt.Sprintf("fetch.allow_cidrs[%d]", i), Msg: fmt.Sprintf("want a CIDR such as 127.0.0.1/32, got %q", c)}
		}
	}
	if f.HostRate <= 0 {
		return &Error{Key: "fetch.host_rate", Msg: fmt.Sprintf("want a positive rate, got %v", f.HostRate)}
	}
	if f.Jitter < 0 || f.Jitter > 0.5 {
		return &Error{Key: "fetch.jitter", Msg: fmt.Sprintf("want 0 to 0.5, got %v", f.Jitter)}
	}
	for i, d := range f.Recheck {
		if d <= 0 || (i > 0 && d <= f.Recheck[i-1]) {
			return &Error{Key: "fetch.recheck", Msg: "want increasing positive durations such as [1h, 6h, 24h]"}
		}
	}
	if f.Proxy != "" {
		if err := CheckProxyURL(f.Proxy); err != nil {
			return &Error{Key: "fetch.proxy", Msg: err.Error()}
		}
	}
	if f.ContactURL != "" {
		if u, err := url.Parse(f.ContactURL); err != nil || u.Scheme == "" {
			return &Error{Key: "fetch.contact_url", Msg: fmt.Sprintf("want an absolute URL, got %q", f.ContactURL)}
		}
	}
	return nil
}

// atLeast is the error of a setting below its least value (nil when it is
// not); Validate methods pass several to cmp.Or, which keeps the first.
func atLeast[T ~int | ~int64 | ~float64](key string, v, least T) error {
	if v >= least {
		return nil
	}
	return &Error{Key: key, Msg: fmt.Sprintf("want %v or more, got %v", least, v)}
}
