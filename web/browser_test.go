package web_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/web"
)

// findChromium returns the browser the browser tests drive:
// $WIREWATCH_CHROMIUM, else Debian's chromium on PATH.
func findChromium() string {
	if p := os.Getenv("WIREWATCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		t.Skip("browser test skipped: no Chromium found (install Debian's with `apt-get install -y chromium`, or set WIREWATCH_CHROMIUM)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first action starts the browser, on ctx itself: cancelling the
	// context of that first action would close the browser again.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

// shotDir is where screenshots go: docs/ when WIREWATCH_UPDATE_SCREENSHOTS
// is 1 (the README shows them), a temporary folder otherwise.
func shotDir(t *testing.T) string {
	if os.Getenv("WIREWATCH_UPDATE_SCREENSHOTS") == "1" {
		return filepath.Join("..", "docs")
	}
	return t.TempDir()
}

// browse runs steps in the tab, failing the test on an error.
func browse(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// read runs one action that returns a value.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png := read(t, ctx, "screenshot "+path, chromedp.CaptureScreenshot())
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot %s: not a PNG (%d bytes)", path, len(png))
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// searchForm types q into the search form of base's /search page, submits
// it and returns the title of the first result.
func searchForm(t *testing.T, ctx context.Context, base, what, q string) string {
	t.Helper()
	browse(t, ctx, what,
		chromedp.Navigate(base+"/search"),
		chromedp.SendKeys(chromedp.ID("q"), q),
		chromedp.Click(chromedp.CSS("form.search button")),
		// The value attribute is in the page the server returned, not in
		// the form being typed into: the results are the new page's.
		chromedp.WaitVisible(chromedp.CSS(`#q[value="`+q+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result")),
	)
	return read(t, ctx, "result title", chromedp.Text(chromedp.CSS(".result .title")))
}

func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	u := newUI(t, config.DefaultWeb())
	dir := shotDir(t)
	base := u.srv.URL

	t.Run("search in English finds a stored article", func(t *testing.T) {
		title := searchForm(t, ctx, base, "English search", "hacking")
		marks := read(t, ctx, "highlights", chromedp.Nodes(chromedp.CSSAll(".result mark")))
		if !strings.Contains(title, "Volt Typhoon hacking claims") || len(marks) == 0 {
			t.Errorf("first result %q with %d highlights", title, len(marks))
		}
	})

	t.Run("search in Chinese finds a stored article", func(t *testing.T) {
		title := searchForm(t, ctx, base, "Chinese search", "数据安全")
		mark := read(t, ctx, "highlight", chromedp.Text(chromedp.CSS(".result mark")))
		if title != titleOf("zh-datasec") || mark != "数据安全" {
			t.Errorf("first result %q, highlight %q", title, mark)
		}
	})

	t.Run("search screenshot", func(t *testing.T) {
		browse(t, ctx, "search page",
			chromedp.Navigate(base+"/search?q="+strings.ReplaceAll("cyberspace or hacking or data security", " ", "+")+"&relevant=1"),
			chromedp.WaitVisible(chromedp.CSS(".result")),
		)
		screenshot(t, ctx, filepath.Join(dir, "search.png"))
	})

	t.Run("article page shows highlighted evidence", func(t *testing.T) {
		// (Alike by design: each page check opens a page, reads its own elements, checks them and
		// saves a screenshot; the steps are already helpers.)
		browse(t, ctx, "article page",
			chromedp.Navigate(fmt.Sprintf("%s/articles/%d", base, u.fx.ids["datasec"])),
			chromedp.WaitVisible(chromedp.CSS(".body mark")),
		)
		marks := read(t, ctx, "highlights", chromedp.Nodes(chromedp.CSSAll(".body mark")))
		first := read(t, ctx, "first highlight", chromedp.Text(chromedp.CSS(".body mark")))
		topic := read(t, ctx, "top topic", chromedp.Text(chromedp.CSS(".evidence .topic")))
		if len(marks) < 3 || topic != "data-security" {
			t.Errorf("%d highlighted phrases (first %q), top topic %q", len(marks), first, topic)
		}
		screenshot(t, ctx, filepath.Join(dir, "article.png"))
	})

	t.Run("a revised article shows its diff", func(t *testing.T) {
		// (Alike by design: each page check opens a page, reads its own elements, checks them and
		// saves a screenshot; the steps are already helpers.)
		browse(t, ctx, "revisions page",
			chromedp.Navigate(fmt.Sprintf("%s/articles/%d/revisions", base, u.fx.ids["hacking"])),
			chromedp.WaitVisible(chromedp.CSS("table.diff")),
		)
		ins := read(t, ctx, "insertion", chromedp.Text(chromedp.CSS("tr.changed:not(.title) td.new ins")))
		del := read(t, ctx, "deletion", chromedp.Text(chromedp.CSS("tr.deleted td.old del")))
		if strings.TrimSpace(ins) != "and to return to dialogue" || !strings.Contains(del, "largest hacker empire") {
			t.Errorf("diff shows inserted %q, deleted %q", ins, del)
		}
		screenshot(t, ctx, filepath.Join(dir, "revisions.png"))
	})

	t.Run("the sources page shows a broken source first and what was held back", func(t *testing.T) {
		browse(t, ctx, "sources page",
			chromedp.Navigate(base+"/sources"),
			chromedp.WaitVisible(chromedp.CSS("table.sources")),
		)
		name := read(t, ctx, "first source", chromedp.Text(chromedp.CSS("table.sources tbody tr .name")))
		class := read(t, ctx, "first row class", chromedp.AttributeValue(chromedp.CSS("table.sources tbody tr"), "class"))
		if name != "chinadaily-china" || class.Value != "broken" {
			t.Errorf("first source %q (class %q), want the broken chinadaily-china", name, class.Value)
		}
		held := read(t, ctx, "held back", chromedp.Text(chromedp.CSS("table.sources tbody tr .held-back")))
		if held != "12 held back by the backfill policy" {
			t.Errorf("held-back note %q, want xinhua's 12 held back", held)
		}
		screenshot(t, ctx, filepath.Join(dir, "sources.png"))
	})

	t.Run("a non-loopback listener without login refuses to start", func(t *testing.T) {
		// Pick a free port, then start the UI the way `wirewatch web` and
		// `wirewatch run` do: web.New decides before anything listens.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		_, err = web.New(config.DefaultWeb(), fmt.Sprintf("0.0.0.0:%d", port), slog.New(slog.DiscardHandler))
		if !errors.Is(err, config.ErrWebNeedsLogin) {
			t.Fatalf("web.New on 0.0.0.0 without login: %v", err)
		}
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		err = chromedp.Do(c, chromedp.Navigate(fmt.Sprintf("http://127.0.0.1:%d/search", port)))
		if err == nil || !strings.Contains(err.Error(), "ERR_CONNECTION_REFUSED") {
			t.Errorf("the browser reached a UI that should not be listening: %v", err)
		}
	})
}
