package daemon

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// saveBatchMax is the most saves one round trip sends.
const saveBatchMax = 16

// saveBatcher sends the one-statement saves (store.PrepareSave) that
// workers finish at the same moment together (store.SaveArticles): one
// round trip and one commit for all of them.
type saveBatcher = batcher[store.PreparedSave, store.SaveOutcome]

// newSaveBatcher sends batches of saves to st, at most lanes at once (each
// on a connection of its own).
func newSaveBatcher(st *store.Store, lanes int) *saveBatcher {
	return newBatcher(saveBatchMax, lanes, func(ctx context.Context, saves []store.PreparedSave) ([]store.SaveOutcome, error) {
		out, err := st.SaveArticles(ctx, saves)
		if err == nil || len(saves) == 1 || !refusedOne(err) {
			return out, err
		}
		// One save undid the batch: each alone, so that it undoes only
		// its own, each with the time a batch has.
		out = make([]store.SaveOutcome, len(saves))
		for i := range saves {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), config.DefaultRecordTimeout)
			res, err := st.SaveArticles(sctx, saves[i:i+1])
			cancel()
			if err != nil {
				out[i].Err = err
			} else {
				out[i] = res[0]
			}
		}
		return out, nil
	})
}

// refusedOne reports whether err is one statement of a batch refused
// (PostgreSQL's error, or pgx's before sending), as opposed to the
// connection, the login or the server failing, which would fail each
// save sent alone too.
func refusedOne(err error) bool {
	var pre pgx.ErrPreprocessingBatch
	if errors.As(err, &pre) {
		return true
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	if len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "08", "28", "53", "57": // connection, authorisation, resources, operator intervention
		return false
	}
	return true
}

// saveLanes is how many batches of saves may be in flight at once for a
// classify stage of workers: one for each eight workers, at least two. On
// the feed farm's cold ingest (two cores, 16 workers), two lanes took the
// least time: one lane left a core idle, eight made smaller batches.
func saveLanes(workers int) int { return max(2, workers/8) }

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
