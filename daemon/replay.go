package daemon

import (
	"context"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/daemon/deliver"
	"github.com/wirewatch/wirewatch/store"
)

// ReplayReport says what Replay did.
type ReplayReport struct {
	// Articles is how many relevant articles were published since the
	// given time; Queued how many deliveries were queued for them.
	Articles, Queued int
}

// Replay queues alerts, on purpose, for the relevant articles published
// since the given time that the subscribers have not had: the ones
// alert.backfill held back. Articles already delivered (or queued) are not
// sent again and refused ones never. The daemon sends what is queued.
func Replay(ctx context.Context, st *store.Store, since time.Time) (ReplayReport, error) {
	var rep ReplayReport
	ids, err := st.RelevantSince(ctx, since)
	if err != nil {
		return rep, err
	}
	rep.Articles = len(ids)
	for _, id := range ids {
		err := st.InTx(ctx, func(tx *store.Tx) error {
			n, err := deliver.Queue(ctx, tx, id, alert.Change{WasRelevant: true, Replay: true})
			rep.Queued += n
			return err
		})
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}
