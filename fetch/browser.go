package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// ErrNoBrowser means a source asks for via: browser and this build cannot
// drive a headless browser.
var ErrNoBrowser = errors.New("via: browser is not available")

// browserFetcher drives headless Chromium for via: browser sources.
type browserFetcher struct{}

// browserGet fetches u through headless Chromium.
func (c *Client) browserGet(_ context.Context, u *url.URL, _ *profile) (*Response, error) {
	return nil, fmt.Errorf("%w: this build of wirewatch fetches %s over plain HTTP only; remove via: browser or use cookies: true", ErrNoBrowser, u.Host)
}
