package daemon

import (
	"context"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon/deliver"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

// ReclassifyReport counts what Reclassify changed.
type ReclassifyReport struct {
	Articles         int
	BecameRelevant   int
	NoLongerRelevant int
}

// Reclassify runs c over the stored articles first seen since from and
// stores the results, config.DefaultReclassifyBatch articles per
// transaction. With alerts, the deliveries of articles whose decision
// changed are queued in the same transaction (from the subscriptions the
// daemon stored: this does not sync the configuration); articles older
// than backfill when first seen stay held back (alert.Change.Backfill).
// progress, if not nil, is called with the counts so far after each batch.
func Reclassify(ctx context.Context, st *store.Store, c Classifier, from time.Time, alerts bool, backfill time.Duration, progress func(ReclassifyReport)) (ReclassifyReport, error) {
	var rep ReclassifyReport
	type result struct {
		id  int64
		cls model.Classification
	}
	batch := make([]result, 0, config.DefaultReclassifyBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		became, lost := 0, 0
		err := st.InTx(ctx, func(tx *store.Tx) error {
			became, lost = 0, 0
			for _, r := range batch {
				was, err := tx.SaveClassification(ctx, r.id, r.cls)
				if err != nil {
					return err
				}
				if was == r.cls.Relevant {
					continue
				}
				if r.cls.Relevant {
					became++
				} else {
					lost++
				}
				if alerts {
					if _, err := deliver.Queue(ctx, tx, r.id, alert.Change{WasRelevant: was, Backfill: backfill}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		batch = batch[:0]
		if err != nil {
			return err
		}
		rep.BecameRelevant += became
		rep.NoLongerRelevant += lost
		if progress != nil {
			progress(rep)
		}
		return nil
	}
	// The read stream and the batch writes use separate pool connections,
	// so memory stays at one batch whatever the archive's size.
	err := st.EachArticleText(ctx, from, func(a store.ArticleText) error {
		batch = append(batch, result{id: a.ID, cls: c.Classify(a.Title, a.Summary, a.Body, a.Language)})
		rep.Articles++
		if len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	return rep, flush()
}
