// Package farmtest serves benchmarks and tests with real article pages of the
// loopback feed farm (../shared/tools/feedfarm beside the repository): it
// builds and starts the farm, fetches a spread of article pages and stops it
// again. Tests using it skip when the farm's source or the go command is
// absent.
package farmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/internal/corpus"
)

// Rule is the site rule the benchmark harness (bench/run.go, -extract rule)
// gives the farm, in the catalogue's YAML: the daemon takes the article text
// from it rather than from the generic extractor.
const Rule = `site_rules:
  - outlet: Farm
    hosts: [127.0.0.1]
    title: article.story h1
    body: article.story
    remove: h1, .byline, figure, .inline-promo, .tags
    byline: article.story .byline
`

// Page is one fetched article page.
type Page struct {
	URL         string
	ContentType string
	Body        []byte
}

// CacheEnv names an optional directory (outside the repository) where Pages
// keeps the pages it fetched and takes them from on later runs, e.g. to run
// a benchmark under valgrind, which does not cope with the farm's process.
const CacheEnv = "WIREWATCH_FARM_PAGES"

// Pages returns n article pages of a farm with its default size (500 feeds of
// 20 items), spread over feeds and items. It skips tb when the farm cannot
// be built and fails it when the farm does not answer.
func Pages(tb testing.TB, n int) []Page {
	tb.Helper()
	cache := os.Getenv(CacheEnv)
	if cache != "" {
		if pages, err := readCache(cache, n); err == nil {
			return pages
		}
	}
	pages := fetchPages(tb, n)
	if cache != "" {
		if err := writeCache(cache, pages); err != nil {
			tb.Logf("farm page cache not written: %v", err)
		}
	}
	return pages
}

func fetchPages(tb testing.TB, n int) []Page {
	tb.Helper()
	base, stop := Start(tb)
	defer stop()
	pages := make([]Page, 0, n)
	for k := range n {
		// Feeds and items spread by coprime steps: varied page sizes and
		// shares of Chinese paragraphs.
		u := fmt.Sprintf("%s/articles/%d/%d.html", base, (k*37)%500, (k*7)%20)
		p, err := get(u)
		if err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, p)
	}
	return pages
}

// Start builds the feed farm and starts it on a free loopback port with the
// given flags (see `go run ../shared/tools/feedfarm -h`: -feeds, -items,
// -epoch, -new-every...). It returns the farm's base URL ("http://host:port")
// and a function that stops it, which tb's cleanup also calls. It skips tb
// when the farm cannot be built and fails it when the farm does not answer.
func Start(tb testing.TB, flags ...string) (base string, stop func()) {
	tb.Helper()
	root := corpus.Root()
	if root == "" {
		tb.Skip("shared/ not present beside the repository: no feed farm")
	}
	src := filepath.Join(root, "..", "tools", "feedfarm")
	if _, err := os.Stat(filepath.Join(src, "main.go")); err != nil {
		tb.Skipf("feed farm source not present: %v", err)
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		tb.Skipf("go command not found, cannot build the feed farm: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), "feedfarm")
	build := exec.Command(goCmd, "build", "-o", bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		tb.Skipf("cannot build the feed farm: %v\n%s", err, out)
	}
	addr, err := freeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	farm := exec.Command(bin, append([]string{"-addr", addr}, flags...)...)
	if err := farm.Start(); err != nil {
		tb.Fatalf("start feed farm: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = farm.Process.Kill()
			_ = farm.Wait()
		})
	}
	tb.Cleanup(stop)
	base = "http://" + addr
	if err := waitUp(base + "/stats"); err != nil {
		stop()
		tb.Fatal(err)
	}
	return base, stop
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("farmtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitUp(u string) error {
	var err error
	for range 200 {
		var resp *http.Response
		if resp, err = http.Get(u); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("farmtest: feed farm did not answer at %s: %w", u, err)
}

func get(u string) (Page, error) {
	resp, err := http.Get(u)
	if err != nil {
		return Page{}, fmt.Errorf("farmtest: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Page{}, fmt.Errorf("farmtest: read %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Page{}, fmt.Errorf("farmtest: %s: status %s", u, resp.Status)
	}
	return Page{URL: u, ContentType: resp.Header.Get("Content-Type"), Body: body}, nil
}

func cacheIndex(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("pages-%d.json", n))
}

func readCache(dir string, n int) ([]Page, error) {
	data, err := os.ReadFile(cacheIndex(dir, n))
	if err != nil {
		return nil, fmt.Errorf("farmtest: read cache: %w", err)
	}
	var pages []Page
	if err := json.Unmarshal(data, &pages); err != nil {
		return nil, fmt.Errorf("farmtest: read cache: %w", err)
	}
	if len(pages) != n {
		return nil, fmt.Errorf("farmtest: cache holds %d pages, not %d", len(pages), n)
	}
	return pages, nil
}

func writeCache(dir string, pages []Page) error {
	data, err := json.Marshal(pages)
	if err != nil {
		return fmt.Errorf("farmtest: write cache: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("farmtest: write cache: %w", err)
	}
	if err := os.WriteFile(cacheIndex(dir, len(pages)), data, 0o644); err != nil {
		return fmt.Errorf("farmtest: write cache: %w", err)
	}
	return nil
}
