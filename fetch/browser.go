package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpfetch "github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// ErrNoBrowser means a source asks for via: browser and no Chromium
// executable was found (fetch.browser_path, else chromium, chromium-browser,
// google-chrome or headless-shell on PATH).
var ErrNoBrowser = errors.New("via: browser needs Chromium, which was not found")

// browserNames are the executables tried when fetch.browser_path is empty.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"}

// browserPath returns the Chromium executable to run.
func (c *Client) browserPath() (string, error) {
	if p := c.cfg.BrowserPath; p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%w: fetch.browser_path %q: %w", ErrNoBrowser, p, err)
		}
		return p, nil
	}
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w on PATH (tried %s; Debian: apt-get install chromium)", ErrNoBrowser, strings.Join(browserNames, ", "))
}

// BrowserAvailable reports whether via: browser sources can be fetched.
func (c *Client) BrowserAvailable() error {
	_, err := c.browserPath()
	return err
}

// browserGet loads u in a fresh headless Chromium (its own profile, so no
// cookie outlives the fetch), lets the page settle for fetch.browser_settle
// so that a JavaScript cookie check can set its cookie and reload, and
// returns the resulting document. The address guard holds inside the
// browser: every request the page makes is paused and checked (a literal
// address, or every address its name resolves to) before it may go on;
// images, media and fonts are not loaded at all. A page still showing a
// challenge after settling is a *PageError. The profile's user agent and
// proxy apply; its extra headers do not.
func (c *Client) browserGet(ctx context.Context, u *url.URL, p *profile) (resp *Response, err error) {
	path, err := c.browserPath()
	if err != nil {
		return nil, err
	}
	// The page's own request counts against the host's rate and
	// concurrency limits, like a plain fetch.
	hs := c.hosts.get(u.Host)
	if err := hs.acquire(ctx); err != nil {
		return nil, err
	}
	defer hs.release()
	start := c.now()
	defer func() { c.metrics.observe(0, err, c.now().Sub(start), int64(len(bodyOf(resp)))) }()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	settle := min(c.cfg.BrowserSettle, c.cfg.Timeout/2)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.UserAgent(p.userAgent))
	if p.proxyURL != "" {
		opts = append(opts, chromedp.ProxyServer(p.proxyURL))
	}
	if os.Geteuid() == 0 {
		// Chromium refuses to start as root with its sandbox (containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()

	gate := &browserGate{guard: c.guard, proxied: p.proxyURL != "", resolved: map[string]error{}}
	paused := make(chan *cdpfetch.EventRequestPaused, 1024)
	tctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*cdpfetch.EventRequestPaused); ok {
			select {
			case paused <- e:
			default:
				// Never block the tab's reader; an unanswered request
				// stays paused until the fetch times out.
			}
		}
	}))
	defer cancelTab()

	var html, final string
	var status int64
	_, err = chromedp.Run(tctx, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, cdpfetch.Enable, cdpfetch.EnableParams{}); err != nil {
			return chromedp.Void{}, fmt.Errorf("enable request interception: %w", err)
		}
		go gate.serve(ctx, t, paused)
		res, err := chromedp.NavigateResponse(u.String())(ctx, t)
		if err != nil {
			return chromedp.Void{}, fmt.Errorf("navigate: %w", err)
		}
		if res != nil {
			status = res.Status
		}
		if _, err := chromedp.Sleep(settle)(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		if html, err = chromedp.Evaluate[string]("document.documentElement.outerHTML")(ctx, t); err != nil {
			return chromedp.Void{}, fmt.Errorf("read the document: %w", err)
		}
		final, err = chromedp.Location()(ctx, t)
		return chromedp.Void{}, err
	})
	if err != nil {
		if gerr := gate.firstRefusal(); gerr != nil && !strings.Contains(err.Error(), "context") {
			return nil, fmt.Errorf("browser: %w (%w)", gerr, err)
		}
		if ctx.Err() != nil {
			return nil, c.timeoutErr(ctx, fmt.Errorf("browser: %w", err))
		}
		return nil, fmt.Errorf("browser: %w", err)
	}
	if gerr := gate.mainRefusal(u); gerr != nil {
		return nil, gerr
	}
	body := []byte(html)
	if int64(len(body)) > c.cfg.MaxBodyBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.cfg.MaxBodyBytes)
	}
	if err := classifyPage(int(status), "text/html", body, c.cfg.ChallengeMaxBytes); err != nil {
		return nil, fmt.Errorf("browser, after %s: %w", settle, err)
	}
	if final == "" {
		final = u.String()
	}
	h := http.Header{}
	h.Set("Content-Type", "text/html; charset=utf-8")
	return &Response{URL: final, Status: http.StatusOK, Header: h, Body: body}, nil
}

func bodyOf(r *Response) []byte {
	if r == nil {
		return nil
	}
	return r.Body
}

// browserGate answers the browser's paused requests: on with the ones the
// address guard allows, failed otherwise.
type browserGate struct {
	guard   *addressGuard
	proxied bool

	mu       sync.Mutex
	resolved map[string]error // host → verdict
	refused  []refusal
}

type refusal struct {
	url string
	err error
}

func (g *browserGate) serve(ctx context.Context, t *chromedp.Target, paused <-chan *cdpfetch.EventRequestPaused) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-paused:
			err := g.allow(ctx, e)
			if err == nil {
				_, err = cdp.Call(ctx, t, cdpfetch.ContinueRequest, cdpfetch.ContinueRequestParams{RequestID: e.RequestID})
			} else {
				g.mu.Lock()
				g.refused = append(g.refused, refusal{url: e.Request.URL, err: err})
				g.mu.Unlock()
				_, err = cdp.Call(ctx, t, cdpfetch.FailRequest, cdpfetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
			}
			_ = err // a request the tab no longer waits for cannot be answered
		}
	}
}

// errSkippedResource marks resources a text fetch does not need.
var errSkippedResource = errors.New("resource type not loaded")

// allow decides one request.
func (g *browserGate) allow(ctx context.Context, e *cdpfetch.EventRequestPaused) error {
	switch e.ResourceType {
	case network.ResourceTypeImage, network.ResourceTypeMedia, network.ResourceTypeFont:
		return errSkippedResource
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return fmt.Errorf("%w: unparsable URL", ErrBlockedAddress)
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return nil
	case "http", "https", "ws", "wss":
	default:
		return fmt.Errorf("%w: scheme %s", ErrScheme, u.Scheme)
	}
	host := u.Hostname()
	g.mu.Lock()
	v, ok := g.resolved[host]
	g.mu.Unlock()
	if ok {
		return v
	}
	v = g.check(ctx, host)
	g.mu.Lock()
	g.resolved[host] = v
	g.mu.Unlock()
	return v
}

// check vets a host: a literal address directly; a name by every address it
// resolves to, unless a proxy resolves names (then as checkTarget does).
func (g *browserGate) check(ctx context.Context, host string) error {
	if err := g.guard.checkTarget(host); err != nil {
		return err
	}
	if _, err := netip.ParseAddr(host); err == nil || g.proxied {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		if err := g.guard.check(a); err != nil {
			return fmt.Errorf("%s: %w", host, err)
		}
	}
	return nil
}

// mainRefusal returns the guard's refusal of the page itself, if any.
func (g *browserGate) mainRefusal(u *url.URL) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.refused {
		if r.url == u.String() && !errors.Is(r.err, errSkippedResource) {
			return r.err
		}
	}
	return nil
}

// firstRefusal returns the first refusal other than a skipped resource.
func (g *browserGate) firstRefusal() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.refused {
		if !errors.Is(r.err, errSkippedResource) {
			return r.err
		}
	}
	return nil
}
