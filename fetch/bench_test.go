package fetch

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/wirewatch/wirewatch/model"
)

// BenchmarkPollUnchanged1000 measures one poll cycle of 1,000 feeds on one
// host that all answer 304, by 16 workers sharing the client (the daemon's
// shape). One op is the whole cycle.
func BenchmarkPollUnchanged1000(b *testing.B) {
	srv := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
			return
		}
		if r.Header.Get("If-None-Match") != "" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(rssFeed))
	}))
	cfg := testConfig()
	cfg.HostRate = 1e6
	cfg.HostBurst = 1000
	cfg.HostConcurrency = 16
	c := newTestClient(b, cfg)
	srcs := make([]model.Source, 1000)
	for i := range srcs {
		srcs[i] = model.Source{ID: int64(i), Kind: model.KindFeed, URL: fmt.Sprintf("%s/feeds/%d.xml", srv.URL, i), ETag: `"v1"`, RespectRobots: true}
	}
	const workers = 16
	b.ReportAllocs()
	for b.Loop() {
		jobs := make(chan model.Source)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for src := range jobs {
					res, err := c.Poll(context.Background(), src)
					if err != nil || !res.NotModified {
						b.Errorf("poll %s: %+v %v", src.URL, res, err)
					}
				}
			})
		}
		for _, s := range srcs {
			jobs <- s
		}
		close(jobs)
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/poll")
}
