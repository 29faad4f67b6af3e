package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/daemon/deliver"
	"github.com/wirewatch/wirewatch/model"
	"github.com/wirewatch/wirewatch/store"
)

// ReextractOptions tunes Reextract.
type ReextractOptions struct {
	// Since limits the run to articles first seen at or after it; zero
	// means all.
	Since time.Time
	// DryRun counts what would change and writes nothing.
	DryRun bool
	// Backfill keeps articles that were old when first seen held back from
	// alerts (alert.backfill); zero holds nothing back.
	Backfill time.Duration
	// MaxRaw is the most bytes a stored page may decompress to; larger
	// pages are counted as failed. Zero means config's fetch.max_body_bytes
	// default (15 MiB).
	MaxRaw int64
	// Progress, when set, is called after each batch with the pages done
	// so far and the total.
	Progress func(done, total int, rep ReextractReport)
}

// ReextractReport counts what Reextract did.
type ReextractReport struct {
	Pages int // stored pages read
	// Changed is how many texts differ from the stored ones (written
	// unless DryRun).
	Changed int
	// Failed is how many pages gave no usable text now; their stored
	// text is kept.
	Failed int
	// Stale is how many changed texts were not written because the
	// daemon stored a newer revision meanwhile.
	Stale int
	// Methods counts the methods of the changed texts ("rule",
	// "generic").
	Methods map[string]int
	// BecameRelevant and NoLongerRelevant count the changed decisions of
	// the re-classification that follows a changed text.
	BecameRelevant, NoLongerRelevant int
}

// minReextractText is the shortest text that replaces a stored one (the
// daemon keeps the feed summary below it too).
const minReextractText = 40

// reextractBatch is how many texts go to the database in one transaction.
const reextractBatch = 200

// Reextract runs ex over the raw pages stored with the articles' current
// revisions and replaces every text that came out differently, in the
// article and in its revision (no new revision: the outlet changed
// nothing). A changed text is classified again with c and stored (with the
// deliveries its new decision makes when alerts is set), as `reclassify`
// does. It streams: memory stays at one batch.
func Reextract(ctx context.Context, st *store.Store, ex Extractor, c Classifier, alerts bool, opts ReextractOptions) (ReextractReport, error) {
	rep := ReextractReport{Methods: map[string]int{}}
	if opts.MaxRaw <= 0 {
		opts.MaxRaw = 15 << 20
	}
	total, err := st.CountStoredPages(ctx, opts.Since)
	if err != nil {
		return rep, err
	}
	var texts []store.Reextracted
	classes := map[int64]model.Classification{}
	// fps are the story fingerprints of the new texts: a changed text
	// refreshes its article's fingerprint, and an article stored without
	// a story (before stories existed, or with too short a text) gets one.
	fps := map[int64]uint64{}
	docs := map[int64]alert.StoryDoc{}
	flush := func() error {
		if len(texts) > 0 && !opts.DryRun {
			saved, err := st.SaveReextracted(ctx, texts)
			if err != nil {
				return err
			}
			rep.Stale += len(texts) - len(saved)
			became, lost := 0, 0
			err = st.InTx(ctx, func(tx *store.Tx) error {
				became, lost = 0, 0
				for _, id := range saved {
					cls := classes[id]
					was, err := tx.SaveClassification(ctx, id, cls)
					if err != nil {
						return err
					}
					if was == cls.Relevant {
						continue
					}
					if cls.Relevant {
						became++
					} else {
						lost++
					}
					if alerts {
						if _, err := deliver.Queue(ctx, tx, id, alert.Change{WasRelevant: was, Backfill: opts.Backfill}); err != nil {
							return err
						}
					}
				}
				// Last: story assignment is serialised until commit.
				for _, id := range saved {
					if fp, ok := fps[id]; ok {
						if err := setStory(ctx, tx, id, fp, docs[id].Title, docs[id].Text, docs[id].Outlet); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			rep.BecameRelevant += became
			rep.NoLongerRelevant += lost
		}
		texts = texts[:0]
		clear(classes)
		clear(fps)
		clear(docs)
		if opts.Progress != nil {
			opts.Progress(rep.Pages, total, rep)
		}
		return nil
	}
	err = st.EachStoredPage(ctx, opts.Since, opts.MaxRaw, func(p store.StoredPage) error {
		rep.Pages++
		if err := ctx.Err(); err != nil {
			return err
		}
		contentType := ""
		if f := strings.Fields(p.RawCharset); len(f) > 0 {
			contentType = "text/html; charset=" + f[0]
		}
		got, _, err := ex.Extract(p.Raw, contentType, p.URL)
		if err != nil || len(got.Text) < minReextractText {
			rep.Failed++
		} else if got.Text != p.Text {
			rep.Changed++
			rep.Methods[got.Method]++
			h := sha256.Sum256([]byte(p.Title + "\n" + got.Text))
			texts = append(texts, store.Reextracted{ID: p.ID, Revision: p.Revision, Text: got.Text, Method: got.Method, ContentHash: hex.EncodeToString(h[:16])})
			classes[p.ID] = c.Classify(p.Title, p.Summary, got.Text, p.Language)
			if fp, ok := alert.StoryFingerprint(p.Title, got.Text); ok && classes[p.ID].Relevant {
				fps[p.ID] = fp
				docs[p.ID] = alert.StoryDoc{Title: p.Title, Text: got.Text, Outlet: p.Outlet}
			}
		}
		if rep.Pages%reextractBatch == 0 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	return rep, flush()
}
