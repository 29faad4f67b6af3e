package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

// PollResult is the outcome of polling one source.
type PollResult struct {
	// Items are the source's current entries (canonical URLs).
	Items []model.Item
	// NotModified is true when the server answered 304.
	NotModified bool
	// Status is the HTTP status (0 when no response was received).
	Status int
	// ETag and LastModified are the validators to store for the next poll;
	// empty after an error, so a fixed source is not answered 304 forever.
	ETag, LastModified string
	// Title is the feed's or page's title.
	Title string
	// Listing counts what a listing's selectors matched; nil for feeds.
	Listing *ListingStats
	// Dropped is how many listing items were left out because the page
	// held more than fetch.max_feed_items (the first ones are kept).
	Dropped int
}

// Poll fetches a source conditionally and parses it as a feed or a listing
// page. On error the result still carries the HTTP status when there was
// one; ErrorKind and RetryAfter classify the error.
func (c *Client) Poll(ctx context.Context, src model.Source) (PollResult, error) {
	accept := AcceptFeed
	if src.Kind == model.KindListing {
		accept = AcceptHTML
	}
	if src.Listing != nil && src.Listing.Format == model.ListingFormatJSON {
		accept = AcceptJSON
	}
	if _, err := c.sourceProfile(src); err != nil {
		return PollResult{}, fmt.Errorf("fetch: poll %s: fetch options: %w", src.Name, err)
	}
	resp, err := c.Get(ctx, src.URL, Conditional{
		ETag: src.ETag, LastModified: src.LastModified,
		IgnoreRobots: !src.RespectRobots, Accept: accept, Source: src.Name,
	})
	if err != nil {
		return PollResult{Status: HTTPStatus(err)}, err
	}
	res := PollResult{Status: resp.Status, ETag: resp.ETag, LastModified: resp.LastModified}
	if resp.NotModified {
		res.NotModified = true
		return res, nil
	}
	base, err := url.Parse(resp.URL)
	if err != nil {
		return PollResult{Status: resp.Status}, fmt.Errorf("fetch: poll %s: final URL: %w", src.URL, err)
	}
	loc := SourceLocation(src.Language, resp.URL)
	ct := resp.Header.Get("Content-Type")
	switch src.Kind {
	case model.KindListing:
		lr, err := ReadListing(resp.Body, ct, base, src.Listing, ListingOptions{Location: loc, Now: c.now(), Profile: c.learned.get(src)})
		var dse *DataSourceError
		if errors.As(err, &dse) {
			lr, err = c.readDataSource(ctx, src, dse.URL, loc)
		}
		res.Listing = &lr.Stats
		if err != nil {
			return PollResult{Status: resp.Status, Title: lr.Title, Listing: &lr.Stats}, fmt.Errorf("fetch: listing %s: %w", resp.URL, err)
		}
		res.Title, res.Items = lr.Title, lr.Items
		if limit := c.cfg.MaxFeedItems; limit > 0 && len(res.Items) > limit {
			res.Dropped = len(res.Items) - limit
			res.Items = slices.Clip(res.Items[:limit])
			c.metrics.listingDropped.Add(float64(res.Dropped))
			c.log.Warn("fetch: listing page over the item cap", slog.String("source", src.Name),
				slog.Int("items", limit+res.Dropped), slog.Int("kept", limit), slog.Int("dropped", res.Dropped))
		}
	default:
		f, err := ParseFeed(resp.Body, ct, base, FeedOptions{Location: loc, MaxDepth: c.cfg.MaxFeedDepth, MaxItems: c.cfg.MaxFeedItems, Now: c.now()})
		if err != nil {
			return PollResult{Status: resp.Status}, fmt.Errorf("fetch: feed %s: %w", resp.URL, err)
		}
		res.Title, res.Items = f.Title, f.Items
	}
	return res, nil
}

// readDataSource reads the news.cn data file that fills a listing page.
func (c *Client) readDataSource(ctx context.Context, src model.Source, dataURL string, loc *time.Location) (ListingResult, error) {
	resp, err := c.Get(ctx, dataURL, Conditional{IgnoreRobots: !src.RespectRobots, Accept: AcceptJSON, Source: src.Name})
	if err != nil {
		return ListingResult{}, fmt.Errorf("data file: %w", err)
	}
	u, err := url.Parse(resp.URL)
	if err != nil {
		return ListingResult{}, fmt.Errorf("data file: %w", err)
	}
	l := NewsCNDataListing
	l.LinkPattern, l.DateFromURL = src.Listing.LinkPattern, src.Listing.DateFromURL
	r, err := ParseJSONListing(resp.Body, u, &l, ListingOptions{Location: loc, Now: c.now()})
	if err != nil {
		return r, fmt.Errorf("data file %s: %w", resp.URL, err)
	}
	return r, nil
}

// ParseFeed parses a feed with the client's limits (fetch.max_feed_depth,
// fetch.max_feed_items); see the package-level ParseFeed.
func (c *Client) ParseFeed(body []byte, contentType string, base *url.URL, loc *time.Location) (*Feed, error) {
	return ParseFeed(body, contentType, base, FeedOptions{Location: loc, MaxDepth: c.cfg.MaxFeedDepth, MaxItems: c.cfg.MaxFeedItems, Now: c.now()})
}

// minPoll is the floor of NextPoll, whatever the inputs.
const minPoll = time.Second

// NextPoll returns how long to wait before polling a source again: interval
// spread by ± jitter (a fraction, e.g. 0.1), or after failures consecutive
// failures interval·2^failures with the same jitter, capped at maxInterval
// (or at interval, when that is longer). The result never falls before
// retryAfter (a server's Retry-After; zero for none) and is at least a second.
func NextPoll(interval time.Duration, jitter float64, failures int, maxInterval time.Duration, retryAfter time.Time) time.Duration {
	if interval < minPoll {
		interval = minPoll
	}
	limit := max(maxInterval, interval)
	d := interval
	if failures > 0 {
		f := float64(interval) * math.Pow(2, float64(min(failures, 62)))
		if f > float64(limit) {
			d = limit
		} else {
			d = time.Duration(f)
		}
	}
	if jitter > 0 {
		jitter = min(jitter, 1)
		d = time.Duration(float64(d) * (1 + jitter*(2*rand.Float64()-1)))
	}
	d = min(d, limit)
	if !retryAfter.IsZero() {
		if until := time.Until(retryAfter); d < until {
			d = until
		}
	}
	return max(d, minPoll)
}

// AdaptiveInterval suggests a poll interval from the publication times of a
// source's items: half the median gap between the items published in the
// last seven days, within [minInterval, maxInterval]. ok is false when fewer
// than three items are dated in that window; keep the configured interval
// then.
func AdaptiveInterval(published []time.Time, now time.Time, minInterval, maxInterval time.Duration) (d time.Duration, ok bool) {
	var recent []time.Time
	for _, t := range published {
		if !t.IsZero() && t.After(now.Add(-7*24*time.Hour)) && !t.After(now) {
			recent = append(recent, t)
		}
	}
	if len(recent) < 3 {
		return 0, false
	}
	sort.Slice(recent, func(i, j int) bool { return recent[i].Before(recent[j]) })
	gaps := make([]time.Duration, 0, len(recent)-1)
	for i := 1; i < len(recent); i++ {
		gaps = append(gaps, recent[i].Sub(recent[i-1]))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	d = gaps[len(gaps)/2] / 2
	return min(max(d, minInterval), maxInterval), true
}
