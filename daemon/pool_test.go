package daemon

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolRunsEveryJob: a pool of n workers runs every job handed to it,
// never more than n at once, and stop returns only after the last.
func TestPoolRunsEveryJob(t *testing.T) {
	const n, total = 4, 200
	p := startPool(n)
	var running, peak, finished atomic.Int64
	for range total {
		p.do(func() {
			now := running.Add(1)
			for {
				old := peak.Load()
				if now <= old || peak.CompareAndSwap(old, now) {
					break
				}
			}
			time.Sleep(100 * time.Microsecond)
			running.Add(-1)
			finished.Add(1)
		})
	}
	p.stop()
	if got := finished.Load(); got != total {
		t.Fatalf("finished %d jobs before stop returned, want %d", got, total)
	}
	if got := peak.Load(); got > n || got < 2 {
		t.Fatalf("peak concurrency %d, want between 2 and %d", got, n)
	}
}
