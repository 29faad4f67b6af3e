package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Many workers at once: each request is sent exactly once and gets its
// own result, no batch is larger than the batcher's size, no more batches
// are in flight than its lanes, a leader's own request is in the batch it
// sends, and the batcher ends idle.
func TestBatcherGroupsRequests(t *testing.T) {
	for _, c := range []struct{ size, lanes, workers int }{{1, 1, 8}, {3, 1, 20}, {3, 2, 40}, {16, 2, 64}, {4, 8, 50}} {
		t.Run(fmt.Sprintf("size%d_lanes%d", c.size, c.lanes), func(t *testing.T) {
			var mu sync.Mutex
			sent := map[int]int{}
			var inFlight, most, batches, biggest atomic.Int64
			b := newBatcher(c.size, c.lanes, func(_ context.Context, args []int) ([]int, error) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				batches.Add(1)
				if int64(len(args)) > biggest.Load() {
					biggest.Store(int64(len(args)))
				}
				mu.Lock()
				for _, a := range args {
					sent[a]++
				}
				mu.Unlock()
				time.Sleep(200 * time.Microsecond) // a round trip: others queue meanwhile
				out := make([]int, len(args))
				for i, a := range args {
					out[i] = a * 10
				}
				return out, nil
			})
			for round := range 20 {
				var wg sync.WaitGroup
				for w := range c.workers {
					arg := round*1000 + w
					wg.Go(func() {
						got, err := b.do(context.Background(), arg)
						if err != nil || got != arg*10 {
							t.Errorf("request %d: %d, %v; want %d", arg, got, err, arg*10)
						}
					})
				}
				wg.Wait()
			}
			for a, n := range sent {
				if n != 1 {
					t.Errorf("request %d sent %d times", a, n)
				}
			}
			if len(sent) != 20*c.workers {
				t.Errorf("%d requests sent, want %d", len(sent), 20*c.workers)
			}
			if int(biggest.Load()) > c.size || int(most.Load()) > c.lanes {
				t.Errorf("largest batch %d (size %d), most in flight %d (lanes %d)", biggest.Load(), c.size, most.Load(), c.lanes)
			}
			if c.size > 1 && batches.Load() >= int64(20*c.workers) {
				t.Errorf("%d batches for %d requests: none shared a round trip", batches.Load(), 20*c.workers)
			}
			if b.leading != 0 || len(b.pending) != 0 {
				t.Errorf("after the work: %d leads out, %d pending", b.leading, len(b.pending))
			}
		})
	}
}

// A failed batch fails every request in it; a worker that gives up while
// its request waits leaves the queue, and the next request still leads.
func TestBatcherErrorsAndGivingUp(t *testing.T) {
	boom := errors.New("boom")
	release := make(chan struct{})
	b := newBatcher(8, 1, func(_ context.Context, args []int) ([]int, error) {
		<-release
		return nil, boom
	})
	ctx := context.Background()
	errs := make(chan error, 3)
	go func() { _, err := b.do(ctx, 1); errs <- err }() // leads, blocked in send
	waitState := func(n int) {
		for {
			b.mu.Lock()
			p, l := len(b.pending), b.leading
			b.mu.Unlock()
			if p == n && l == 1 {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitState(0)
	cctx, cancel := context.WithCancel(ctx)
	go func() { _, err := b.do(cctx, 2); errs <- err }()
	go func() { _, err := b.do(ctx, 3); errs <- err }()
	waitState(2)
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("the request given up: %v, want context.Canceled", err)
	}
	waitState(1)
	close(release)
	for range 2 {
		if err := <-errs; !errors.Is(err, boom) {
			t.Errorf("a request of a failed batch: %v, want its error", err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.leading != 0 || len(b.pending) != 0 {
		t.Errorf("after the work: %d leads out, %d pending", b.leading, len(b.pending))
	}
}

// A batch answered with too few results fails each of its requests and
// leaves the batcher idle; a worker that gives up after its request went
// out in a batch still gets the batch's outcome, since the batch goes on.
func TestBatcherShortAnswerAndLateGivingUp(t *testing.T) {
	ctx := context.Background()
	short := newBatcher(4, 1, func(_ context.Context, args []int) ([]int, error) { return args[:len(args)-1], nil })
	if _, err := short.do(ctx, 7); err == nil {
		t.Error("a request left unanswered got no error")
	}
	if short.leading != 0 || len(short.pending) != 0 {
		t.Errorf("after a short answer: %d leads out, %d pending", short.leading, len(short.pending))
	}

	release := make(chan struct{})
	b := newBatcher(4, 1, func(_ context.Context, args []int) ([]int, error) {
		<-release
		return args, nil
	})
	b.leading = 1 // the batch below is sent by hand, as a leader would
	cctx, cancel := context.WithCancel(ctx)
	type result struct {
		v   int
		err error
	}
	got := make(chan result, 1)
	go func() { v, err := b.do(cctx, 5); got <- result{v, err} }()
	waitPending(b, 1)
	sent := make(chan struct{})
	go func() { b.sendBatch(ctx, nil); close(sent) }()
	waitPending(b, 0)
	cancel()
	select {
	case r := <-got:
		t.Fatalf("returned %v, %v while its batch was still out", r.v, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if r := <-got; r.err != nil || r.v != 5 {
		t.Errorf("gave up after its request went out: %d, %v; want the batch's answer 5", r.v, r.err)
	}
	<-sent
}

// waitPending waits until n requests wait in b's queue.
func waitPending[A, R any](b *batcher[A, R], n int) {
	for {
		b.mu.Lock()
		k := len(b.pending)
		b.mu.Unlock()
		if k == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
