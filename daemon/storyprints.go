package daemon

import (
	"cmp"
	"context"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/wirewatch/wirewatch/store"
)

// printIndex holds the story prints of the last two story windows in
// memory, so that finding a new article's candidates compares
// fingerprints here instead of in a database scan of every recent print
// per article. Each lookup first reads the prints recorded since the last
// one (store.StoryPrintsSince, by their record order, which is their
// commit order); replicas each keep their own. It is safe for concurrent
// use.
type printIndex struct {
	mu     sync.Mutex
	mark   int64
	byID   map[int64]int // article → index in prints
	prints []store.StoryPrint
}

// near returns the candidates for an article's story as the unlocked
// lookup would (without their texts: store.StoryCheckTexts reads them),
// and the mark of the prints it holds. ok is false when the article was
// first seen too long ago for the prints held, and the caller asks the
// database (store.StoryLookup).
func (x *printIndex) near(ctx context.Context, st *store.Store, now time.Time, id int64, fp uint64, lang string, seen time.Time, q store.StoryQuery) (cands []store.StoryCandidate, mark int64, ok bool, err error) {
	keep := now.Add(-2 * q.Window)
	if seen.Add(-q.Window).Before(keep) {
		return nil, 0, false, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	fresh, next, err := st.StoryPrintsSince(ctx, x.mark, keep)
	if err != nil {
		return nil, 0, false, err
	}
	x.add(fresh, next)
	stale := 0
	for _, p := range x.prints {
		if !p.FirstSeenAt.After(keep) {
			stale++
			continue
		}
		if p.ArticleID == id || p.Language != lang || absDuration(p.FirstSeenAt.Sub(seen)) >= q.Window {
			continue
		}
		if d := bits.OnesCount64(p.FP ^ fp); d <= q.MaxDistance {
			cands = append(cands, store.StoryCandidate{ArticleID: p.ArticleID, StoryID: p.StoryID, Distance: d})
		}
	}
	if stale > len(x.prints)/4 {
		x.evict(keep)
	}
	slices.SortFunc(cands, func(a, b store.StoryCandidate) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ArticleID, b.ArticleID))
	})
	if q.Limit > 0 && len(cands) > q.Limit {
		cands = cands[:q.Limit]
	}
	return cands, x.mark, true, nil
}

// add takes the prints recorded up to mark; a print recorded again (its
// article placed anew) replaces the one held.
func (x *printIndex) add(fresh []store.StoryPrint, mark int64) {
	if x.byID == nil {
		x.byID = map[int64]int{}
	}
	for _, p := range fresh {
		if i, ok := x.byID[p.ArticleID]; ok {
			x.prints[i] = p
			continue
		}
		x.byID[p.ArticleID] = len(x.prints)
		x.prints = append(x.prints, p)
	}
	x.mark = max(x.mark, mark)
}

// evict drops the prints first seen at or before keep.
func (x *printIndex) evict(keep time.Time) {
	x.prints = slices.DeleteFunc(x.prints, func(p store.StoryPrint) bool { return !p.FirstSeenAt.After(keep) })
	clear(x.byID)
	for i, p := range x.prints {
		x.byID[p.ArticleID] = i
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
