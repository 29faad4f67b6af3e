package daemon

import (
	"cmp"
	"context"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// printIndex holds the story prints of the last two story windows in
// memory, so that finding a new article's candidates compares
// fingerprints here instead of in a database scan of every recent print
// per article. A lookup first reads the prints recorded since the last
// read, with their check texts (store.StoryPrintsSince, by their record
// order, which is their commit order), at most every
// config.DefaultStorySync; replicas each keep their own. It is safe for
// concurrent use.
type printIndex struct {
	mu     sync.Mutex
	mark   int64
	synced time.Time     // when the prints recorded since mark were last read
	byID   map[int64]int // article → index in prints
	prints []store.StoryPrint
	// keys are what a lookup compares of each print, at the same index
	// as prints: a scan of every held print per lookup reads these few
	// bytes only.
	keys []printKey
	// hits is scratch space of near.
	hits []printHit
	// own are prints this process recorded past the mark, by record
	// order, until the ones before them are held too (recorded).
	own map[int64]ownPrint

	// sketches are the text-check sketches of held prints' articles,
	// made when the prints arrive (or, for a print read under the lock,
	// when first judged): a wire story's copies are each other's
	// candidates many times over.
	smu      sync.Mutex
	sketches map[int64]*alert.StorySketch
}

// sketch returns the text-check sketch of a candidate, made once while
// its print is held.
func (x *printIndex) sketch(c store.StoryCandidate) *alert.StorySketch {
	x.smu.Lock()
	sk, ok := x.sketches[c.ArticleID]
	x.smu.Unlock()
	if ok {
		return sk
	}
	made := alert.NewStorySketch(alert.StoryDoc{Title: c.Title, Text: c.Text, Outlet: c.Outlet})
	x.smu.Lock()
	defer x.smu.Unlock()
	if x.sketches == nil {
		x.sketches = map[int64]*alert.StorySketch{}
	}
	x.sketches[c.ArticleID] = &made
	return &made
}

// sketchesOf returns the sketches held for cands' articles, and the
// candidates that have none (whose text the caller reads).
func (x *printIndex) sketchesOf(cands []store.StoryCandidate) (held map[int64]*alert.StorySketch, missing []store.StoryCandidate) {
	held = make(map[int64]*alert.StorySketch, len(cands))
	x.smu.Lock()
	defer x.smu.Unlock()
	for _, c := range cands {
		if sk, ok := x.sketches[c.ArticleID]; ok {
			held[c.ArticleID] = sk
		} else {
			missing = append(missing, c)
		}
	}
	return held, missing
}

// dropSketches forgets the sketches of articles whose print changed or
// left the index.
func (x *printIndex) dropSketches(ids []int64) {
	if len(ids) == 0 {
		return
	}
	x.smu.Lock()
	defer x.smu.Unlock()
	for _, id := range ids {
		delete(x.sketches, id)
	}
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
	// At most every config.DefaultStorySync: the prints recorded since are
	// read under the lock anyway (StoryQuery.After), this only keeps them
	// few.
	if wall := time.Now(); x.mark == 0 || wall.Sub(x.synced) >= config.DefaultStorySync {
		fresh, next, err := st.StoryPrintsSince(ctx, x.mark, keep, q.TextChars)
		if err == nil && next < x.mark {
			// Numbers handed out again after a server crash: what is held
			// may no longer be what they name. Read everything again.
			x.reset()
			fresh, next, err = st.StoryPrintsSince(ctx, 0, keep, q.TextChars)
		}
		if err != nil {
			return nil, 0, false, err
		}
		x.add(fresh, next)
		x.synced = wall
		for seq := range x.own {
			if seq <= x.mark {
				delete(x.own, seq)
			}
		}
	}
	stale := 0
	keepNS, seenNS, window := keep.UnixNano(), seen.UnixNano(), int64(q.Window)
	// The prints near enough as (distance, place) pairs first: a loose
	// distance finds many, and only the nearest Limit become candidates.
	hits := x.hits[:0]
	for i, k := range x.keys {
		if k.seen <= keepNS {
			stale++
			continue
		}
		if d := bits.OnesCount64(k.fp ^ fp); d <= q.MaxDistance && k.lang == lang && absNanos(k.seen-seenNS) < window {
			if x.prints[i].ArticleID != id {
				hits = append(hits, printHit{d: int32(d), i: int32(i)})
			}
		}
	}
	slices.SortFunc(hits, func(a, b printHit) int {
		return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(x.prints[a.i].ArticleID, x.prints[b.i].ArticleID))
	})
	if q.Limit > 0 && len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	if len(hits) > 0 {
		cands = make([]store.StoryCandidate, len(hits))
	}
	for n, h := range hits {
		p := &x.prints[h.i]
		cands[n] = store.StoryCandidate{ArticleID: p.ArticleID, StoryID: p.StoryID, Distance: int(h.d)}
	}
	x.hits = hits
	if stale > len(x.prints)/4 {
		x.evict(keep)
	}
	return cands, x.mark, true, nil
}

// add takes the prints recorded up to mark, with the sketches of their
// texts; a print recorded again (its article placed anew) replaces the one
// held.
func (x *printIndex) add(fresh []store.StoryPrint, mark int64) {
	sketches := make([]alert.StorySketch, len(fresh))
	for i, p := range fresh {
		sketches[i] = alert.NewStorySketch(alert.StoryDoc{Title: p.Title, Text: p.Text, Outlet: p.Outlet})
		p.Title, p.Text = "", "" // the sketch is what is kept
		x.hold(p)
	}
	x.mark = max(x.mark, mark)
	x.smu.Lock()
	defer x.smu.Unlock()
	if x.sketches == nil {
		x.sketches = map[int64]*alert.StorySketch{}
	}
	for i, p := range fresh {
		x.sketches[p.ArticleID] = &sketches[i]
	}
}

// ownPrint is a print this process recorded, with its article's sketch.
type ownPrint struct {
	p  store.StoryPrint
	sk *alert.StorySketch
}

// recorded takes a print this process just recorded (seq: its place in
// the record order, store.StoryTry.Seq) with its article's sketch. The
// next lookups see it without reading it back; and when every print
// recorded before it is held too, the mark moves past it, so that a try
// made from those lookups does not find it recorded since and try again.
// A print recorded meanwhile by another replica leaves a gap that only
// the next read of the prints since the mark fills.
func (x *printIndex) recorded(p store.StoryPrint, seq int64, sk *alert.StorySketch) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if seq <= x.mark || x.synced.IsZero() {
		return // read already, or nothing read yet
	}
	if x.own == nil {
		x.own = map[int64]ownPrint{}
	}
	x.own[seq] = ownPrint{p: p, sk: sk}
	for {
		o, ok := x.own[x.mark+1]
		if !ok {
			return
		}
		delete(x.own, x.mark+1)
		x.hold(o.p)
		x.mark++
		x.smu.Lock()
		if x.sketches == nil {
			x.sketches = map[int64]*alert.StorySketch{}
		}
		x.sketches[o.p.ArticleID] = o.sk
		x.smu.Unlock()
	}
}

// hold puts p among the prints held, in place of its article's earlier
// print if any; x.mu is held.
func (x *printIndex) hold(p store.StoryPrint) {
	if x.byID == nil {
		x.byID = map[int64]int{}
	}
	if j, ok := x.byID[p.ArticleID]; ok {
		x.prints[j], x.keys[j] = p, keyOf(p)
		return
	}
	x.byID[p.ArticleID] = len(x.prints)
	x.prints = append(x.prints, p)
	x.keys = append(x.keys, keyOf(p))
}

// reset forgets every print held; x.mu is held.
func (x *printIndex) reset() {
	x.mark = 0
	x.prints, x.keys = x.prints[:0], x.keys[:0]
	clear(x.byID)
	clear(x.own)
	x.smu.Lock()
	clear(x.sketches)
	x.smu.Unlock()
}

// evict drops the prints first seen at or before keep.
func (x *printIndex) evict(keep time.Time) {
	var gone []int64
	x.prints = slices.DeleteFunc(x.prints, func(p store.StoryPrint) bool {
		if p.FirstSeenAt.After(keep) {
			return false
		}
		gone = append(gone, p.ArticleID)
		return true
	})
	x.dropSketches(gone)
	clear(x.byID)
	x.keys = x.keys[:0]
	for i, p := range x.prints {
		x.byID[p.ArticleID] = i
		x.keys = append(x.keys, keyOf(p))
	}
}

// printHit is a print near a looked-up article: its distance and its
// place in printIndex.prints.
type printHit struct{ d, i int32 }

// printKey is what a lookup compares of a held print.
type printKey struct {
	fp   uint64
	seen int64 // first seen, Unix nanoseconds
	lang string
}

func keyOf(p store.StoryPrint) printKey {
	return printKey{fp: p.FP, seen: p.FirstSeenAt.UnixNano(), lang: p.Language}
}

func absNanos(d int64) int64 {
	if d < 0 {
		return -d
	}
	return d
}
