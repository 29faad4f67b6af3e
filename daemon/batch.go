package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wirewatch/wirewatch/config"
)

// batcher sends the requests that workers make at the same moment
// together, in one round trip and one transaction: a group commit. A
// worker that arrives while fewer than lanes batches are in flight leads:
// it sends every request waiting (at most max, oldest first), hands out
// the results and passes the lead to the first request that arrived
// meanwhile, whose worker sends the next batch; the others wait for
// theirs. Each leader sends one batch, so no worker's own request waits
// behind a stream of others'. It has no goroutine of its own, so there is
// nothing to start or stop. Safe for concurrent use.
//
// Under light load every request goes alone, as it would without the
// batcher; under load the requests of many workers share one commit.
type batcher[A, R any] struct {
	max   int // most requests in one batch
	lanes int // most batches in flight at once (1: one after another)
	// send makes one batch; a non-nil error is every request's.
	send func(ctx context.Context, args []A) ([]R, error)

	mu      sync.Mutex
	leading int                // leads given out and not yet passed on or ended
	pending []*batchWait[A, R] // requests not yet sent, in arrival order
}

// batchWait is one worker's request.
type batchWait[A, R any] struct {
	arg  A
	res  R
	err  error
	done chan struct{} // closed when res and err are set
	// lead holds a token: this worker sends the next batch. given marks a
	// request that was handed one, so that it is handed no second.
	lead  chan struct{}
	given bool
}

func newBatcher[A, R any](size, lanes int, send func(ctx context.Context, args []A) ([]R, error)) *batcher[A, R] {
	return &batcher[A, R]{max: max(size, 1), lanes: max(lanes, 1), send: send}
}

// do makes one request in a batch and returns its result.
func (b *batcher[A, R]) do(ctx context.Context, arg A) (R, error) {
	w := &batchWait[A, R]{arg: arg, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, w)
	if b.leading < b.lanes {
		b.leading++
		b.giveLead(w)
	}
	b.mu.Unlock()
	for {
		select {
		case <-w.done:
			// Sent in another leader's batch after a lead was handed to
			// it: the lead is in the channel already and is used here.
			b.useLead(ctx, w)
			return w.res, w.err
		case <-w.lead:
			b.sendBatch(ctx, w)
		case <-ctx.Done():
			b.mu.Lock()
			i := slices.Index(b.pending, w)
			if i >= 0 {
				b.pending = slices.Delete(b.pending, i, i+1)
			}
			b.mu.Unlock()
			// Out of the queue, it can be handed a lead no more; a lead
			// handed before is used.
			b.useLead(ctx, w)
			if i < 0 {
				// Taken into a batch already, which goes on without this
				// worker's context: its outcome is this request's (within
				// the batch's own time limit).
				<-w.done
				return w.res, w.err
			}
			var zero R
			return zero, ctx.Err()
		}
	}
}

// giveLead hands w the lead; b.mu is held.
func (b *batcher[A, R]) giveLead(w *batchWait[A, R]) {
	w.given = true
	w.lead <- struct{}{}
}

// useLead sends a batch when w holds a lead.
func (b *batcher[A, R]) useLead(ctx context.Context, w *batchWait[A, R]) {
	select {
	case <-w.lead:
		b.sendBatch(ctx, w)
	default:
	}
}

// sendBatch sends, as leader w, w's request (unless another leader sent it
// already) and the requests waiting before others, at most b.max, as one
// batch; hands out the results; and passes the lead on to the first
// request left waiting that holds none. The batch runs on a context that
// the leader's cancellation does not end (other workers' requests are in
// it), bounded by config.DefaultRecordTimeout.
func (b *batcher[A, R]) sendBatch(ctx context.Context, w *batchWait[A, R]) {
	b.mu.Lock()
	var batch []*batchWait[A, R]
	if i := slices.Index(b.pending, w); i >= 0 {
		b.pending = slices.Delete(b.pending, i, i+1)
		batch = append(batch, w)
	}
	n := min(len(b.pending), b.max-len(batch))
	batch = append(batch, b.pending[:n]...)
	clear(b.pending[:n]) // sent: not kept reachable from the queue
	b.pending = b.pending[n:]
	b.mu.Unlock()

	// Whatever send does, even panic, every request of the batch is
	// answered and the lead is passed on.
	var res []R
	err := errors.New("batch not sent")
	defer func() {
		if err == nil && len(res) != len(batch) {
			err = fmt.Errorf("batch of %d requests answered %d", len(batch), len(res))
		}
		for i, x := range batch {
			if err != nil {
				x.err = err
			} else {
				x.res = res[i]
			}
			close(x.done)
		}
		b.passLead()
	}()
	if len(batch) > 0 {
		args := make([]A, len(batch))
		for i, x := range batch {
			args[i] = x.arg
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), config.DefaultRecordTimeout)
		defer cancel()
		res, err = b.send(bctx, args)
	}
}

// passLead hands the lead to the first request waiting that holds none,
// or gives it up.
func (b *batcher[A, R]) passLead() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, x := range b.pending {
		if !x.given {
			b.giveLead(x)
			return
		}
	}
	b.leading--
}

// aloneWhenRefused wraps the sender of a batcher whose batch is one
// transaction: when PostgreSQL refused one statement (refusedOne), the
// whole batch was undone, and each request is sent again alone, each with
// a batch's time, so that the refusal fails only its own request (failed
// makes its result of the error).
func aloneWhenRefused[A, R any](send func(context.Context, []A) ([]R, error), failed func(error) R) func(context.Context, []A) ([]R, error) {
	return func(ctx context.Context, args []A) ([]R, error) {
		out, err := send(ctx, args)
		if err == nil || len(args) == 1 || !refusedOne(err) {
			return out, err
		}
		out = make([]R, len(args))
		for i := range args {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), config.DefaultRecordTimeout)
			res, err := send(actx, args[i:i+1])
			cancel()
			switch {
			case err != nil:
				out[i] = failed(err)
			case len(res) != 1:
				out[i] = failed(fmt.Errorf("request answered %d times", len(res)))
			default:
				out[i] = res[0]
			}
		}
		return out, nil
	}
}

// refusedOne reports whether err is one statement of a batch refused
// (PostgreSQL's error, or pgx's before sending), as opposed to the
// connection, the login or the server failing, which would fail each
// request sent alone too.
func refusedOne(err error) bool {
	var pre pgx.ErrPreprocessingBatch
	if errors.As(err, &pre) {
		return true
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "08", "28", "53", "57": // connection, authorisation, resources, operator intervention
		return false
	}
	return true
}
