// Package daemon is the long-running wirewatch process: it claims due
// sources and articles from PostgreSQL with leases, runs them through bounded
// worker pools (poll → fetch → extract → classify → store → outbox), serves
// health and metrics, and shuts down gracefully.
package daemon

import (
	"context"
	"time"

	"github.com/wirewatch/wirewatch/daemon/deliver"
	"github.com/wirewatch/wirewatch/fetch"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

// Fetcher is the network side the daemon needs; package fetch provides it
// (see cmd/wirewatch for the adapter), tests may provide another.
type Fetcher interface {
	// Poll fetches a feed or listing page conditionally and returns its items.
	Poll(ctx context.Context, src model.Source) (fetch.PollResult, error)
	// Page fetches an article page conditionally (etag/lastModified may be
	// empty), obeying robots.txt unless ignoreRobots. A 404 or 410 answer is
	// an error for which Gone reports true.
	Page(ctx context.Context, url, etag, lastModified string, ignoreRobots bool) (*fetch.Response, error)
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

// Alerter sends what the outbox holds: the delivery stage's work
// (deliver.Service).
type Alerter interface {
	// Housekeep returns expired leases to pending and opens due digests.
	Housekeep(ctx context.Context) error
	// Claim leases up to n due messages and returns a job per message.
	Claim(ctx context.Context, n int) ([]deliver.Job, error)
}

// Deps are the stages behind the scheduler.
type Deps struct {
	Store      *store.Store
	Fetcher    Fetcher
	Extractor  Extractor
	Classifier Classifier
	// Alerts queues deliveries (deliver.Queue) in the transaction that
	// stores a decision; false (no subscribers) queues none.
	Alerts bool
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
