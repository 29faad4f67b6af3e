package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/wirewatch/wirewatch/model"
)

// nestingBomb returns a well-formed-looking feed of about size bytes whose
// body is one chain of nested, namespaced elements.
func nestingBomb(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:x="urn:x"><channel><title>bomb</title><item><title>t</title><link>https://example.com/</link>`)
	open := []byte(`<x:a xmlns:y="urn:y">`)
	for b.Len() < size {
		b.Write(open)
	}
	return b.Bytes()
}

func gzipBomb(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < n>>20; i++ {
		if _, err := zw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHostileSources polls a set of hostile "sources" in one cycle, as the
// daemon would, and checks that each fails with its own clear error while the
// good sources in the same cycle still succeed.
func TestHostileSources(t *testing.T) {
	t.Parallel()
	const maxBody = 12 << 20 // room for the 10 MB nesting bomb
	bomb := nestingBomb(10 << 20)
	gz := gzipBomb(t, 64<<20)
	port := ""
	good := `<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title><item><title>Good</title><link>https://example.com/good</link></item></channel></rss>`

	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", http.NotFound)
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, good) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		// 200 MB, chunked (no Content-Length): only the cap stops it.
		chunk := bytes.Repeat([]byte("<item>aaaaaaa</item>"), 1<<12)
		for sent := 0; sent < 200<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/huge-declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(200<<20))
		w.Write([]byte("<rss>"))
	})
	mux.HandleFunc("/drip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		for {
			if _, err := w.Write([]byte("<")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(gz)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	redirect := func(target string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, strings.ReplaceAll(target, "PORT", port), http.StatusFound)
		}
	}
	mux.HandleFunc("/to-127.0.0.2", redirect("http://127.0.0.2:PORT/good"))
	mux.HandleFunc("/to-mapped", redirect("http://[::ffff:127.0.0.2]:PORT/good"))
	mux.HandleFunc("/to-ipv6-loopback", redirect("http://[::1]:PORT/good"))
	mux.HandleFunc("/to-metadata", redirect("http://169.254.169.254/latest/meta-data/"))
	mux.HandleFunc("/to-private", redirect("http://10.0.0.1/"))
	mux.HandleFunc("/to-alibaba-metadata", redirect("http://100.100.100.200/latest/meta-data/"))
	mux.HandleFunc("/to-zero", redirect("http://0.0.0.0:PORT/good"))
	mux.HandleFunc("/to-file", redirect("file:///etc/passwd"))
	mux.HandleFunc("/nesting-bomb", func(w http.ResponseWriter, r *http.Request) { w.Write(bomb) })
	mux.HandleFunc("/nul-title", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>A&#0;B&#1;C</title><link>https://example.com/nul</link><description>x&#0;y</description></item></channel></rss>`)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><head><title>News</title><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body><p>hi</p></body></html>`)
	})
	mux.HandleFunc("/gbk-lie", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml") // no charset
		w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>`))
		w.Write(gbk(t, "网络安全"))
		w.Write([]byte(`</title><item><title>`))
		w.Write(gbk(t, "国家互联网信息办公室发布数据出境安全评估办法"))
		w.Write([]byte(`</title><link>https://example.com/gbk</link><pubDate>2025-03-04 10:00:00</pubDate></item></channel></rss>`))
	})
	srv := newServer(t, mux)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())

	cfg := testConfig()
	cfg.MaxBodyBytes = maxBody
	cfg.HeaderTimeout = 1500 * time.Millisecond
	cfg.Timeout = 4 * time.Second // generous for -race on small machines; the drip never ends anyway
	cfg.MaxRedirects = 3
	c := newTestClient(t, cfg)

	tests := []struct {
		path string
		want error  // nil: success
		kind string // ErrorKind of the error
		msg  string // substring of the error message
		// check inspects a successful result.
		check func(t *testing.T, res PollResult)
	}{
		{path: "/good", check: func(t *testing.T, res PollResult) {
			if len(res.Items) != 1 {
				t.Errorf("items %+v", res.Items)
			}
		}},
		{path: "/huge", want: ErrTooLarge, kind: KindTooLarge},
		{path: "/huge-declared", want: ErrTooLarge, kind: KindTooLarge, msg: "Content-Length"},
		{path: "/drip", want: ErrTimeout, kind: KindTimeout},
		{path: "/silent", kind: KindTimeout, msg: "timeout awaiting response headers"},
		{path: "/gzip-bomb", want: ErrTooLarge, kind: KindTooLarge},
		{path: "/loop", want: ErrTooManyRedirects, kind: KindRedirects},
		{path: "/to-127.0.0.2", want: ErrBlockedAddress, kind: KindBlockedAddress, msg: "127.0.0.2"},
		{path: "/to-mapped", want: ErrBlockedAddress, kind: KindBlockedAddress, msg: "127.0.0.2"},
		{path: "/to-ipv6-loopback", want: ErrBlockedAddress, kind: KindBlockedAddress},
		{path: "/to-metadata", want: ErrBlockedAddress, kind: KindBlockedAddress, msg: "169.254.169.254"},
		{path: "/to-private", want: ErrBlockedAddress, kind: KindBlockedAddress, msg: "10.0.0.1"},
		{path: "/to-alibaba-metadata", want: ErrBlockedAddress, kind: KindBlockedAddress},
		{path: "/to-zero", want: ErrBlockedAddress, kind: KindBlockedAddress},
		{path: "/to-file", want: ErrScheme, kind: KindBadURL},
		{path: "/nesting-bomb", want: ErrParse, kind: KindParse, msg: "nested deeper"},
		{path: "/nul-title", check: func(t *testing.T, res PollResult) {
			if len(res.Items) != 1 {
				t.Fatalf("items %+v", res.Items)
			}
			it := res.Items[0]
			if strings.ContainsAny(it.Title+it.Summary, "\x00\x01") || !strings.HasPrefix(it.Title, "A") || !strings.HasSuffix(it.Title, "C") {
				t.Errorf("control characters survived: title %q summary %q", it.Title, it.Summary)
			}
		}},
		{path: "/html", want: ErrNotFeed, kind: KindParse, msg: "/rss.xml"},
		{path: "/gbk-lie", check: func(t *testing.T, res PollResult) {
			if res.Title != "网络安全" || len(res.Items) != 1 || res.Items[0].Title != "国家互联网信息办公室发布数据出境安全评估办法" {
				t.Errorf("GBK with a UTF-8 prolog: %+v", res)
			}
		}},
		{path: "/good"}, // still fine after all of the above
	}

	// Sources of one cycle, polled concurrently like the daemon's workers.
	type outcome struct {
		res PollResult
		err error
		dur time.Duration
	}
	results := make([]outcome, len(tests))
	done := make(chan int)
	for i, tc := range tests {
		go func() {
			start := time.Now()
			res, err := c.Poll(context.Background(), model.Source{ID: int64(i), Kind: model.KindFeed, URL: srv.URL + tc.path, RespectRobots: true})
			results[i] = outcome{res, err, time.Since(start)}
			done <- i
		}()
	}
	for range tests {
		<-done
	}
	for i, tc := range tests {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			o := results[i]
			if tc.want == nil && tc.kind == "" {
				if o.err != nil {
					t.Fatalf("want success, got %v", o.err)
				}
				if tc.check != nil {
					tc.check(t, o.res)
				}
				return
			}
			if o.err == nil {
				t.Fatalf("want an error, got success %+v", o.res)
			}
			if tc.want != nil && !errors.Is(o.err, tc.want) {
				t.Errorf("error %v, want %v", o.err, tc.want)
			}
			if k := ErrorKind(o.err); k != tc.kind {
				t.Errorf("kind %q, want %q (error %v)", k, tc.kind, o.err)
			}
			if !strings.Contains(o.err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", o.err, tc.msg)
			}
			if o.dur > 8*time.Second {
				t.Errorf("took %v", o.dur)
			}
			t.Logf("%s: %v (%v)", ErrorKind(o.err), o.err, o.dur.Round(time.Millisecond))
		})
	}
}

// TestTooLargeMemoryBounded checks that a 200 MB body costs about the cap in
// memory, not the body size.
func TestTooLargeMemoryBounded(t *testing.T) {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for sent := 0; sent < 200<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	cfg := testConfig()
	cfg.RespectRobots = false
	cfg.MaxBodyBytes = 4 << 20
	c := newTestClient(t, cfg)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Get(context.Background(), srv.URL, Conditional{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	// The test server's own writes are allocated in this process too, but
	// only a 64 KiB chunk; 200 MB read into memory would show here.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Fatalf("allocated %d MiB for a body capped at 4 MiB", alloc>>20)
	}
}
