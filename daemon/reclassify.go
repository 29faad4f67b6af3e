package daemon

import (
	"context"
	"time"

	"github.com/wirewatch/wirewatch/store"
)

// ReclassifyReport counts what Reclassify changed.
type ReclassifyReport struct {
	Articles         int
	BecameRelevant   int
	NoLongerRelevant int
}

// Reclassify runs c over the stored articles first seen since from and
// stores the results in batches, queueing alerts (hook) for articles that
// became relevant.
func Reclassify(ctx context.Context, st *store.Store, c Classifier, from time.Time, hook store.Hook) (ReclassifyReport, error) {
	var rep ReclassifyReport
	const batchSize = 500
	batch := make([]store.Reclassified, 0, batchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		b, l, err := st.SaveClassifications(ctx, batch, hook)
		rep.BecameRelevant += b
		rep.NoLongerRelevant += l
		batch = batch[:0]
		return err
	}
	// The read stream and the batch writes use separate pool connections,
	// so memory stays at one batch whatever the archive's size.
	err := st.EachArticleText(ctx, from, func(a store.ArticleText) error {
		batch = append(batch, store.Reclassified{ID: a.ID, Classification: c.Classify(a.Title, a.Summary, a.Body, a.Language)})
		rep.Articles++
		if len(batch) == batchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	return rep, flush()
}
