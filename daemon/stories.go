package daemon

import (
	"context"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// storyQuery is which recent articles are candidates for a new article's
// story: its language, first seen within the window, a near fingerprint.
var storyQuery = store.StoryQuery{
	MaxDistance: alert.StoryCandidateDistance,
	Window:      config.DefaultStoryWindow,
	TextChars:   alert.StoryCheckChars,
	Limit:       alert.StoryCandidateLimit,
}

// chooseStory decides an article's story from what Tx.StoryCandidates
// returned: the story it is in already, else the first candidate, nearest
// first, that the text check (alert.SameStoryText) accepts, else 0 (a new
// story).
func chooseStory(current int64, cands []store.StoryCandidate, title, text, outlet string) int64 {
	if current > 0 {
		return current
	}
	self := alert.NewStorySketch(alert.StoryDoc{Title: title, Text: text, Outlet: outlet})
	for _, c := range cands {
		other := alert.NewStorySketch(alert.StoryDoc{Title: c.Title, Text: c.Text, Outlet: c.Outlet})
		if alert.SameStoryText(&self, &other) {
			return c.StoryID
		}
	}
	return 0
}

// placeInStory finds an article's story and records it (StoryLock.Record),
// and returns it; the caller's save writes it into the article row with
// the text. The candidates are found first, without the lock (in the
// recent prints held in memory, printIndex, or else in the database); the short
// transaction that records the story takes the lock and reads only the
// prints recorded since (StoryQuery.After), so that the serialised part
// is one round trip to the server after the lock, one insert statement
// and a commit that does not wait for the disk (store.LockStory).
func (d *Daemon) placeInStory(ctx context.Context, id int64, fp uint64, lang string, seen time.Time, title, text, outlet string) (int64, error) {
	older, mark, ok, err := d.prints.near(ctx, d.st, d.now(), id, fp, lang, seen, storyQuery)
	switch {
	case err != nil:
		return 0, err
	case ok:
		older, err = d.st.StoryCheckTexts(ctx, older, storyQuery.TextChars)
	default:
		older, mark, err = d.st.StoryLookup(ctx, id, fp, lang, storyQuery)
	}
	if err != nil {
		return 0, err
	}
	q := storyQuery
	q.After = mark
	lk, err := d.st.LockStory(ctx, id, fp, lang, q)
	if err != nil {
		return 0, err
	}
	defer lk.Close()
	cands := store.MergeStoryCandidates(lk.Candidates, older, storyQuery.Limit)
	return lk.Record(ctx, store.StoryAssign{FP: fp, StoryID: chooseStory(lk.Current, cands, title, text, outlet), Lang: lang, Title: title, Text: text})
}

// setStory finds and writes an article's story in tx (reextract: the
// text is saved already, so the row is written again).
func setStory(ctx context.Context, tx *store.Tx, id int64, fp uint64, title, text, outlet string) error {
	cur, cands, err := tx.StoryCandidates(ctx, id, fp, "", storyQuery)
	if err != nil {
		return err
	}
	_, err = tx.SetStory(ctx, id, store.StoryAssign{FP: fp, StoryID: chooseStory(cur, cands, title, text, outlet)})
	return err
}
