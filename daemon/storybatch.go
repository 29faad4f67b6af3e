package daemon

import (
	"context"
	"fmt"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// storyBatcher sends the story tries that workers make at the same moment
// together (store.TryPlaceStories): one round trip, one transaction and
// one taking of the story lock for all of them. One batch at a time: the
// lock would serialise them anyway.
type storyBatcher = batcher[store.StoryTryArgs, store.StoryTry]

func newStoryBatcher(st *store.Store) *storyBatcher {
	return newBatcher(config.DefaultStoryBatch, 1, st.TryPlaceStories)
}

// tryStory makes one article's try (store.TryPlaceStory) in the next batch
// b sends.
func tryStory(ctx context.Context, b *storyBatcher, args store.StoryTryArgs) (store.StoryTry, error) {
	res, err := b.do(ctx, args)
	if err == nil && res.Err != nil {
		err = fmt.Errorf("place story of article %d: %w", args.ArticleID, res.Err)
	}
	return res, err
}
