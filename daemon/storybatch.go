package daemon

import (
	"context"
	"fmt"
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
// among them), hands out the results, and sends again while more arrived
// in the meantime; the others wait for theirs. It has no goroutine of its
// own, so there is nothing to start or stop. Safe for concurrent use.
type storyBatcher struct {
	mu      sync.Mutex
	leading bool
	pending []*storyWait
}

// storyWait is one worker's try in a batch.
type storyWait struct {
	args store.StoryTryArgs
	res  store.StoryTry
	err  error
	done chan struct{}
}

// try makes one article's try (store.TryPlaceStory) in the next batch
// sent to st.
func (b *storyBatcher) try(ctx context.Context, st *store.Store, args store.StoryTryArgs) (store.StoryTry, error) {
	w := &storyWait{args: args, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, w)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if lead {
		b.lead(ctx, st)
	}
	select {
	case <-w.done:
		return w.res, w.err
	case <-ctx.Done():
		// The try may still be made; an article placed in a story keeps
		// it, so the next placement finds it there.
		return store.StoryTry{}, ctx.Err()
	}
}

// lead sends batches until none is waiting. The batches run on a context
// that the leader's cancellation does not end (other workers' tries are
// in them), bounded by config.DefaultRecordTimeout.
func (b *storyBatcher) lead(ctx context.Context, st *store.Store) {
	for {
		b.mu.Lock()
		n := min(len(b.pending), storyBatchMax)
		if n == 0 {
			b.leading = false
			b.mu.Unlock()
			return
		}
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()

		args := make([]store.StoryTryArgs, n)
		for i, w := range batch {
			args[i] = w.args
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), config.DefaultRecordTimeout)
		res, err := st.TryPlaceStories(bctx, args)
		cancel()
		for i, w := range batch {
			if err != nil {
				w.err = err
			} else {
				w.res = res[i]
				if res[i].Err != nil {
					w.err = fmt.Errorf("place story of article %d: %w", w.args.ArticleID, res[i].Err)
				}
			}
			close(w.done)
		}
	}
}
