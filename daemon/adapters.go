package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wirewatch/wirewatch/classify"
	"github.com/wirewatch/wirewatch/fetch"
	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/model"
)

// netFetcher is the production Fetcher: package fetch's shared client.
type netFetcher struct{ c *fetch.Client }

// NewFetcher adapts a fetch.Client to the daemon.
func NewFetcher(c *fetch.Client) Fetcher { return netFetcher{c: c} }

func (f netFetcher) Poll(ctx context.Context, src model.Source) (fetch.PollResult, error) {
	return f.c.Poll(ctx, src)
}

func (f netFetcher) Page(ctx context.Context, url, etag, lastModified string, ignoreRobots bool) (*fetch.Response, error) {
	return f.c.Get(ctx, url, fetch.Conditional{ETag: etag, LastModified: lastModified, IgnoreRobots: ignoreRobots})
}

func (netFetcher) Gone(err error) bool {
	var se *fetch.StatusError
	return errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusGone)
}

func (netFetcher) Kind(err error) string { return fetch.ErrorKind(err) }

func (netFetcher) RetryAfter(err error) (time.Time, bool) { return fetch.RetryAfter(err) }

// ruleExtractor is the production Extractor: site rules, then the generic
// extractor.
type ruleExtractor struct{ rules *extract.Rules }

// NewExtractor adapts the extract package with the given site rules.
func NewExtractor(rules *extract.Rules) Extractor { return ruleExtractor{rules: rules} }

// Extract is extract.Page (the path `wirewatch extract` takes) with the
// decoding step's charset label kept for the revision record.
func (e ruleExtractor) Extract(raw []byte, contentType, pageURL string) (model.Extracted, string, error) {
	page, label, err := charset.DecodeHTML(raw, contentType)
	if err != nil {
		return model.Extracted{}, "", fmt.Errorf("extract: %s: %w", pageURL, err)
	}
	ex, err := extract.Extract(page, pageURL, e.rules)
	return ex, label, err
}

func (ruleExtractor) FromSummary(title, summary string) model.Extracted {
	return extract.FromSummary(title, summary)
}

// topicClassifier is the production Classifier.
type topicClassifier struct{ c *classify.Classifier }

// NewClassifier adapts a classify.Classifier to the daemon.
func NewClassifier(c *classify.Classifier) Classifier { return topicClassifier{c: c} }

func (t topicClassifier) Classify(title, summary, body, lang string) model.Classification {
	return t.c.Classify(classify.Input{Title: title, Summary: summary, Body: body, Lang: lang})
}

func (t topicClassifier) Version() string { return t.c.Version() }
