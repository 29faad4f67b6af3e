package daemon

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// storyBatchMax is the most tries one round trip of storyBatcher sends.
const storyBatchMax = 64

// storyBatcher sends the story tries that workers make at the same moment
// together, in one round trip, one transaction and one taking of the story
// lock (store.TryPlaceStories): a group commit. The first worker to arrive
// while no batch is in flight leads: it sends every try waiting (its own
// first), hands out the results and passes the lead to the first try that
// arrived meanwhile, whose worker sends the next batch; the others wait for
// theirs. Each leader sends one batch, so no worker's own article waits
// behind a stream of others'. It has no goroutine of its own, so there is
// nothing to start or stop. Safe for concurrent use.
type storyBatcher struct {
	mu      sync.Mutex
	leading bool         // a batch is being sent or is about to be; false only when pending is empty
	pending []*storyWait // tries not yet sent, in arrival order
}

// storyWait is one worker's try in a batch.
type storyWait struct {
	args store.StoryTryArgs
	res  store.StoryTry
	err  error
	done chan struct{} // closed when res and err are set
	lead chan struct{} // a token: this worker sends the next batch
}

// try makes one article's try (store.TryPlaceStory) in the next batch
// sent to st.
func (b *storyBatcher) try(ctx context.Context, st *store.Store, args store.StoryTryArgs) (store.StoryTry, error) {
	w := &storyWait{args: args, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, w)
	if !b.leading {
		b.leading = true
		w.lead <- struct{}{}
	}
	b.mu.Unlock()
	for {
		select {
		case <-w.done:
			return w.res, w.err
		case <-w.lead:
			b.send(ctx, st)
		case <-ctx.Done():
			b.mu.Lock()
			if i := slices.Index(b.pending, w); i >= 0 {
				b.pending = slices.Delete(b.pending, i, i+1)
			}
			b.mu.Unlock()
			// Out of the queue, it can be given the lead no more; a lead
			// given before is passed on.
			select {
			case <-w.lead:
				b.send(ctx, st)
			default:
			}
			return store.StoryTry{}, ctx.Err()
		}
	}
}

// send sends the tries waiting (at most storyBatchMax) as one batch, hands
// out the results, and passes the lead to the first try left waiting. The
// batch runs on a context that the leader's cancellation does not end
// (other workers' tries are in it), bounded by config.DefaultRecordTimeout.
func (b *storyBatcher) send(ctx context.Context, st *store.Store) {
	b.mu.Lock()
	n := min(len(b.pending), storyBatchMax)
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	b.mu.Unlock()

	if n > 0 {
		args := make([]store.StoryTryArgs, n)
		for i, w := range batch {
			args[i] = w.args
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), config.DefaultRecordTimeout)
		res, err := st.TryPlaceStories(bctx, args)
		cancel()
		for i, w := range batch {
			switch {
			case err != nil:
				w.err = err
			case res[i].Err != nil:
				w.err = fmt.Errorf("place story of article %d: %w", w.args.ArticleID, res[i].Err)
			default:
				w.res = res[i]
			}
			close(w.done)
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) > 0 {
		b.pending[0].lead <- struct{}{}
	} else {
		b.leading = false
	}
}
