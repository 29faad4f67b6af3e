package daemon

import (
	"context"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// saveBatcher sends the one-statement saves (store.PrepareSave) that
// workers finish at the same moment together (store.SaveArticles): one
// round trip and one commit for all of them.
type saveBatcher = batcher[store.PreparedSave, store.SaveOutcome]

// newSaveBatcher sends batches of saves to st, at most lanes at once (each
// on a connection of its own).
func newSaveBatcher(st *store.Store, lanes int) *saveBatcher {
	return newBatcher(config.DefaultSaveBatch, lanes, aloneWhenRefused(st.SaveArticles, func(err error) store.SaveOutcome {
		return store.SaveOutcome{Err: err}
	}))
}

// saveLanes is how many batches of saves may be in flight at once for a
// classify stage of workers (config.DefaultSaveLaneWorkers). On the feed
// farm's cold ingest (two cores, 16 workers), two lanes took the least
// time: one lane left a core idle, eight made smaller batches.
func saveLanes(workers int) int { return max(2, workers/config.DefaultSaveLaneWorkers) }

// saveArticle stores a save that plans no deliveries: in the next batch of
// d.saves when it needs nothing read first, else alone.
func (d *Daemon) saveArticle(ctx context.Context, save store.ArticleSave) (store.SaveResult, error) {
	p, ok, err := store.PrepareSave(save)
	if err != nil {
		return store.SaveResult{}, err
	}
	if !ok {
		return d.st.SaveArticle(ctx, save)
	}
	out, err := d.saves.do(ctx, p)
	if err == nil {
		err = out.Err
	}
	return out.Result, err
}
