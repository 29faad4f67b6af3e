package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("healthcheck", "probe a running daemon's /readyz (exit 0 healthy, 1 not); for container health checks", runHealthcheck)
}

// runHealthcheck asks a daemon whether it is ready. Without URL it asks this
// configuration's own listener (daemon.listen) for /readyz, which is what a
// container's HEALTHCHECK wants: the image has no shell, curl or wget.
func runHealthcheck(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("healthcheck")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long (connection and answer)")
	// (Alike by design: each command states its own usage, then parses, as the other command files do.)
	fs.Usage = usageWith(fs, "Usage: wirewatch healthcheck [--timeout 5s] [--config FILE] [URL]\n\n"+
		"Asks a running daemon whether it is ready: GET URL, by default http://<daemon.listen>/readyz\n"+
		"(0.0.0.0 and :: become the loopback address). Exit status 0 when it answers 2xx,\n"+
		"1 when it answers otherwise or not at all, 2 for a usage error.\n")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("%w: want at most one URL, got %d arguments", errUsage, fs.NArg())
	}
	if *timeout <= 0 {
		return fmt.Errorf("%w: --timeout must be positive", errUsage)
	}
	target := fs.Arg(0)
	if target == "" {
		cfg, _, err := g.load(e)
		if err != nil {
			return err
		}
		if target, err = readyzURL(cfg.Daemon.Listen); err != nil {
			return configError{err}
		}
	} else if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: want an http(s) URL, got %q", errUsage, target)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	// No proxy: the daemon is local to the probe, and a proxy from the
	// environment would answer for it.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	msg := strings.TrimSpace(string(body))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("unhealthy: %s answered %s: %s", target, resp.Status, msg)
	}
	fmt.Fprintf(e.stdout, "healthy: %s answered %s: %s\n", target, resp.Status, msg)
	return nil
}

// readyzURL turns a listen address into the URL of its /readyz.
func readyzURL(listen string) (string, error) {
	if listen == "" {
		return "", fmt.Errorf("daemon.listen is empty (the listener is off): give the URL to probe")
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("daemon.listen %q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}

// usageWith replaces a FlagSet's usage text with text followed by its flags.
func usageWith(fs *flag.FlagSet, text string) func() {
	return func() {
		fmt.Fprint(fs.Output(), text+"\nFlags:\n")
		fs.PrintDefaults()
	}
}
