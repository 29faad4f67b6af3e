package fetch

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// robotsEntry is one host's robots.txt; data nil means allow all.
type robotsEntry struct {
	mu      sync.Mutex
	data    *robotstxt.RobotsData
	expires time.Time
}

// robotsAllowed reports whether robots.txt lets our agent fetch u. The file is
// fetched through the same guarded, rate-limited client and cached per
// scheme://host for fetch.robots_ttl. Following RFC 9309 §2.3.1.3, a 4xx means
// there are no rules. A 5xx, network error or timeout is treated as allow
// (a state-media site with a flaky robots.txt must not go dark) but is
// retried after fetch.robots_retry instead of the full TTL.
func (c *Client) robotsAllowed(ctx context.Context, u *url.URL, p *profile) (bool, error) {
	key := u.Scheme + "://" + u.Host
	e := c.robots.entry(key)
	e.mu.Lock() // one fetch per host; other workers wait for its result
	defer e.mu.Unlock()
	now := c.now()
	if now.After(e.expires) {
		data, ttl, err := c.fetchRobots(ctx, key, p)
		if err != nil {
			return false, err
		}
		e.data, e.expires = data, now.Add(ttl)
	}
	if e.data == nil {
		return true, nil
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return e.data.TestAgent(path, c.robotsAgent), nil
}

// fetchRobots returns the parsed rules (nil: allow all) and how long to keep
// them. It fails only when the caller's context ended.
func (c *Client) fetchRobots(ctx context.Context, origin string, p *profile) (*robotstxt.RobotsData, time.Duration, error) {
	ru, _ := url.Parse(origin + "/robots.txt")
	resp, err := c.do(ctx, ru, Conditional{Accept: "text/plain, */*;q=0.5"}, p, robotsMaxBytes)
	if ctx.Err() != nil {
		return nil, 0, ctx.Err()
	}
	st := HTTPStatus(err)
	switch {
	case err == nil:
		data, perr := robotstxt.FromBytes(resp.Body)
		if perr != nil {
			c.log.Info("fetch: robots.txt unparsable, allowing all", slog.String("url", ru.String()), slog.String("error", perr.Error()))
			return nil, c.cfg.RobotsRetry, nil
		}
		return data, c.cfg.RobotsTTL, nil
	case st >= 400 && st < 500 && st != http.StatusTooManyRequests:
		return nil, c.cfg.RobotsTTL, nil
	default:
		c.log.Info("fetch: robots.txt unavailable, allowing for now", slog.String("url", ru.String()), slog.String("error", err.Error()), slog.String("kind", ErrorKind(err)))
		return nil, c.cfg.RobotsRetry, nil
	}
}
