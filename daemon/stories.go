package daemon

import (
	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// storyMatch is how a new article finds its story: the store lists recent
// articles of its language with a near fingerprint, and the text check
// (alert.SameStoryText) decides on each, nearest first.
func storyMatch(title, text, outlet string) store.StoryMatch {
	self := alert.NewStorySketch(alert.StoryDoc{Title: title, Text: text, Outlet: outlet})
	return store.StoryMatch{
		MaxDistance: alert.StoryCandidateDistance,
		Window:      config.DefaultStoryWindow,
		TextChars:   alert.StoryCheckChars,
		Limit:       alert.StoryCandidateLimit,
		Same: func(c store.StoryCandidate) bool {
			other := alert.NewStorySketch(alert.StoryDoc{Title: c.Title, Text: c.Text, Outlet: c.Outlet})
			return alert.SameStoryText(&self, &other)
		},
	}
}
