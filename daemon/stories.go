package daemon

import (
	"context"
	"slices"
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

// storyChooser decides an article's story among candidates: the story it
// is in already, else the first candidate, nearest first, that the text
// check (alert.SameStoryText) accepts, else 0 (a new story). It remembers
// each verdict, so that the candidates judged before the story lock is
// taken are not judged again under it.
type storyChooser struct {
	self    alert.StorySketch
	verdict map[int64]bool // article → accepted
	// sketch makes a candidate's sketch (nil: made each time).
	sketch func(store.StoryCandidate) *alert.StorySketch
}

func newStoryChooser(title, text, outlet string) *storyChooser {
	return &storyChooser{
		self:    alert.NewStorySketch(alert.StoryDoc{Title: title, Text: text, Outlet: outlet}),
		verdict: map[int64]bool{},
	}
}

func (c *storyChooser) accepts(cand store.StoryCandidate) bool {
	if v, ok := c.verdict[cand.ArticleID]; ok {
		return v
	}
	var other *alert.StorySketch
	if c.sketch != nil {
		other = c.sketch(cand)
	} else {
		sk := alert.NewStorySketch(alert.StoryDoc{Title: cand.Title, Text: cand.Text, Outlet: cand.Outlet})
		other = &sk
	}
	v := alert.SameStoryText(&c.self, other)
	c.verdict[cand.ArticleID] = v
	return v
}

// forget drops the verdicts on cands (recorded again since they were
// judged: their text may have changed).
func (c *storyChooser) forget(cands []store.StoryCandidate) {
	for _, x := range cands {
		delete(c.verdict, x.ArticleID)
	}
}

// choose returns the story for the article (see storyChooser).
func (c *storyChooser) choose(current int64, cands []store.StoryCandidate) int64 {
	if current > 0 {
		return current
	}
	for _, x := range cands {
		if c.accepts(x) {
			return x.StoryID
		}
	}
	return 0
}

// chooseStory decides an article's story from what Tx.StoryCandidates
// returned (see storyChooser).
func chooseStory(current int64, cands []store.StoryCandidate, title, text, outlet string) int64 {
	return newStoryChooser(title, text, outlet).choose(current, cands)
}

// placeInStory finds an article's story and records it, and returns it;
// the caller's save writes it into the article row with the text. The
// candidates are found and judged first, without the lock (in the recent
// prints held in memory, printIndex, or else in the database); then
// store.TryPlaceStories records the story decided in one round trip, with
// those other workers decided at the same moment (storyBatcher), holding
// the story lock only while the server runs it. When prints near
// the article were recorded since the candidates were read (a copy saved
// at the same moment), it records nothing and returns them: they are
// judged on the text read then, and the story is decided and tried again.
// Each try that fails means another copy was recorded, so the tries end.
func (d *Daemon) placeInStory(ctx context.Context, id int64, fp uint64, lang string, seen time.Time, title, text, outlet string) (int64, error) {
	chooser := newStoryChooser(title, text, outlet)
	var held map[int64]*alert.StorySketch
	older, mark, ok, err := d.prints.near(ctx, d.st, d.now(), id, fp, lang, seen, storyQuery)
	switch {
	case err != nil:
		return 0, err
	case ok:
		// Candidates from the prints held: the sketches made of them
		// before are kept there, and only the others' texts are read.
		var missing []store.StoryCandidate
		held, missing = d.prints.sketchesOf(older)
		var texts []store.StoryCandidate
		if texts, err = d.st.StoryCheckTexts(ctx, missing, storyQuery.TextChars); err != nil {
			return 0, err
		}
		for _, c := range texts {
			held[c.ArticleID] = d.prints.sketch(c)
		}
		older = slices.DeleteFunc(older, func(c store.StoryCandidate) bool { return held[c.ArticleID] == nil })
		chooser.sketch = func(c store.StoryCandidate) *alert.StorySketch {
			if sk := held[c.ArticleID]; sk != nil {
				return sk
			}
			return d.prints.sketch(c) // recorded since: read with its text by the try
		}
	default:
		if older, mark, err = d.st.StoryLookup(ctx, id, fp, lang, storyQuery); err != nil {
			return 0, err
		}
	}
	q := storyQuery
	q.After = mark
	for {
		story := chooser.choose(0, older)
		try, err := tryStory(ctx, d.storyTries, store.StoryTryArgs{ArticleID: id, Query: q,
			Story: store.StoryAssign{FP: fp, StoryID: story, Lang: lang, Title: title, Text: text}})
		if err != nil {
			return 0, err
		}
		if try.Story > 0 {
			if lang != "" {
				d.prints.recorded(store.StoryPrint{ArticleID: id, StoryID: try.Story, FP: fp, Language: lang, FirstSeenAt: seen}, try.Seq, &chooser.self)
			}
			return try.Story, nil
		}
		// Prints recorded since the candidates were read: judged on the
		// text read now.
		chooser.forget(try.Fresh)
		if held != nil {
			recorded := make([]int64, len(try.Fresh))
			for i, c := range try.Fresh {
				delete(held, c.ArticleID)
				recorded[i] = c.ArticleID
			}
			d.prints.dropSketches(recorded)
		}
		older = store.MergeStoryCandidates(try.Fresh, older, storyQuery.Limit)
		q.After = try.Mark
	}
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
