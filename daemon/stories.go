package daemon

import (
	"context"

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

// placeInStory finds and writes an article's story in tx (reextract).
func placeInStory(ctx context.Context, tx *store.Tx, id int64, fp uint64, title, text, outlet string) error {
	cur, cands, err := tx.StoryCandidates(ctx, id, fp, "", storyQuery)
	if err != nil {
		return err
	}
	_, err = tx.SetStory(ctx, id, store.StoryAssign{FP: fp, StoryID: chooseStory(cur, cands, title, text, outlet)})
	return err
}
