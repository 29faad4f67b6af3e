// Package daemon is the long-running wirewatch process: it claims due
// sources and articles from PostgreSQL with leases, runs them through bounded
// worker pools (poll → fetch → extract → classify → store → outbox), serves
// health and metrics, and shuts down gracefully.
package daemon

import (
	"context"
	"time"

	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

// PollResult is what polling one source found.
type PollResult struct {
	Items        []model.Item
	NotModified  bool
	Status       int
	ETag         string
	LastModified string
}

// Page is a fetched article page.
type Page struct {
	URL          string // final URL after redirects
	Status       int
	ContentType  string
	Body         []byte
	NotModified  bool
	ETag         string
	LastModified string
}

// Fetcher is the network side the daemon needs; package fetch provides it
// (see cmd/wirewatch for the adapter), tests may provide another.
type Fetcher interface {
	// Poll fetches a feed or listing page conditionally and returns its items.
	Poll(ctx context.Context, src model.Source) (PollResult, error)
	// Page fetches an article page conditionally (etag/lastModified may be
	// empty), obeying robots.txt unless ignoreRobots. A 404 or 410 answer is
	// an error for which Gone reports true.
	Page(ctx context.Context, url, etag, lastModified string, ignoreRobots bool) (Page, error)
	// Gone reports whether err means the page was removed (404 or 410).
	Gone(err error) bool
	// Kind names the class of a fetch error for logs and metrics.
	Kind(err error) string
	// RetryAfter returns the time a server asked us to wait until.
	RetryAfter(err error) (time.Time, bool)
}

// Extractor turns a raw page into article fields; summary is the fallback
// used when the page yields no text.
type Extractor interface {
	// Extract decodes and extracts a page; charset names the encoding the
	// page was decoded from.
	Extract(raw []byte, contentType, pageURL string) (ex model.Extracted, charset string, err error)
	FromSummary(title, summary string) model.Extracted
}

// Classifier scores an article against the taxonomy.
type Classifier interface {
	Classify(title, summary, body, lang string) model.Classification
	Version() string
}

// Alerter sends what the outbox holds.
type Alerter interface {
	// RunOnce makes one pass over due deliveries and digests and returns
	// how many messages it sent.
	RunOnce(ctx context.Context) (int, error)
}

// Deps are the stages behind the scheduler.
type Deps struct {
	Store      *store.Store
	Fetcher    Fetcher
	Extractor  Extractor
	Classifier Classifier
	// Outbox runs in the transaction that stores a classification; nil
	// means no alerts are queued.
	Outbox store.Hook
	// Alerter sends queued alerts; nil means none are sent by this process.
	Alerter Alerter
	// Operators is told when a source turns stale, broken, blocked or
	// challenged and when it recovers; nil means the changes are only
	// logged and counted.
	Operators OperatorNotifier
	// Rules says which hosts have a site rule, for counting articles whose
	// rule found no body; nil turns that count off.
	Rules RuleLookup
}
