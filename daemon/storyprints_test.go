package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// The in-memory prints answer as the database lookup does: same language,
// within the window, within the distance, nearest first, at most the
// limit, never the article itself. They follow prints recorded later
// (new ones, and one recorded again with a new story), and an article
// first seen before the prints held is left to the database.
func TestPrintIndexMatchesDatabaseLookup(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t).Store
	now := time.Now()
	q := store.StoryQuery{MaxDistance: 4, Window: 72 * time.Hour, TextChars: 50, Limit: 3}
	const base = uint64(0x5555_AAAA_0F0F_F0F0)
	newArticle := func(n int, lang string, seen time.Time) int64 {
		var id int64
		if err := st.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary, first_seen_at) VALUES ($1, 'X', $2, $3, 'text', $4) RETURNING id`,
			fmt.Sprintf("https://p.example/%d", n), lang, fmt.Sprintf("Title %d", n), seen).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	record := func(id int64, fp uint64, story int64) int64 {
		// The story given, whatever the candidates: a mark after them all.
		_, mark, err := st.StoryLookup(ctx, id, fp, "", q)
		if err != nil {
			t.Fatal(err)
		}
		lq := q
		lq.After = mark
		try, err := st.TryPlaceStory(ctx, id, store.StoryAssign{FP: fp, StoryID: story}, lq)
		if err != nil || try.Story == 0 {
			t.Fatalf("record: %+v, %v", try, err)
		}
		return try.Story
	}
	flips := []uint64{0b1, 0b11, 0b111, 0b1111, 0b11111, 0b1 << 40} // distances 1, 2, 3, 4, 5, 1
	var ids []int64
	for i, f := range flips {
		lang, seen := "en", now.Add(-time.Duration(i)*time.Hour)
		if i == 5 {
			lang = "zh"
		}
		id := newArticle(i, lang, seen)
		record(id, base^f, 0)
		ids = append(ids, id)
	}
	old := newArticle(10, "en", now.Add(-100*time.Hour)) // outside the window of a new article
	record(old, base, 0)
	asker := newArticle(11, "en", now)

	var x printIndex
	compare := func(when string) {
		t.Helper()
		got, mark, ok, err := x.near(ctx, st, now, asker, base, "en", now, q)
		if err != nil || !ok {
			t.Fatalf("%s: near: ok %v, %v", when, ok, err)
		}
		want, wantMark, err := st.StoryLookup(ctx, asker, base, "en", q)
		if err != nil {
			t.Fatal(err)
		}
		if mark != wantMark || len(got) != len(want) {
			t.Fatalf("%s: memory %+v (mark %d), database %+v (mark %d)", when, got, mark, want, wantMark)
		}
		for i := range got {
			if got[i].ArticleID != want[i].ArticleID || got[i].StoryID != want[i].StoryID || got[i].Distance != want[i].Distance {
				t.Errorf("%s: candidate %d: memory %+v, database %+v", when, i, got[i], want[i])
			}
		}
	}
	compare("first load")
	if first, _, _, _ := x.near(ctx, st, now, asker, base, "en", now, q); len(first) == 0 {
		t.Fatal("no candidates")
	} else if _, missing := x.sketchesOf(first); len(missing) != 0 {
		t.Errorf("%d candidates without a sketch: the prints' texts come with them", len(missing))
	}
	// A later print, and one recorded again in a new story.
	late := newArticle(12, "en", now)
	record(late, base, 0)
	record(ids[0], base^0b1, record(newArticle(13, "en", now), ^base, 0))
	// Within config.DefaultStorySync of the last read the new prints are
	// not read yet: the mark stays, so the locked read takes them.
	x.synced = time.Now()
	if _, mark, _, err := x.near(ctx, st, now, asker, base, "en", now, q); err != nil || mark != x.mark {
		t.Fatalf("mark %d (%v), want the held mark %d", mark, err, x.mark)
	} else if _, dbMark, _ := st.StoryLookup(ctx, asker, base, "en", q); dbMark <= mark {
		t.Fatalf("database mark %d not past the held mark %d", dbMark, mark)
	}
	x.synced = time.Time{}
	compare("after new prints")

	texts, err := st.StoryCheckTexts(ctx, []store.StoryCandidate{{ArticleID: late}, {ArticleID: -5}}, 3)
	if err != nil || len(texts) != 1 || texts[0].Title != "Title 12" || texts[0].Text != "tex" || texts[0].Outlet != "X" {
		t.Errorf("check texts %+v (%v): want the one article that exists, text cut to 3 characters", texts, err)
	}

	if _, _, ok, err := x.near(ctx, st, now, old, base, "en", now.Add(-100*time.Hour), q); ok || err != nil {
		t.Errorf("an article first seen 100 h ago was answered from memory (ok %v, %v)", ok, err)
	}
	// Two windows on, every print held is stale and dropped.
	later := now.Add(2*q.Window + time.Hour)
	if got, _, ok, err := x.near(ctx, st, later, asker, base, "en", later, q); err != nil || !ok || len(got) != 0 {
		t.Errorf("after two windows: %+v (ok %v, %v), want none", got, ok, err)
	}
	if len(x.prints) != 0 {
		t.Errorf("%d prints still held after two windows", len(x.prints))
	}
}

// The chooser judges candidates nearest first and keeps each verdict: a
// candidate judged before one try to record the story is not judged again
// for the next unless it was recorded again (forget), when its new text
// decides.
func TestStoryChooserRemembersVerdicts(t *testing.T) {
	const title = "China issues rules on cross-border data flows"
	const text = "BEIJING, Nov. 18 (Xinhua) -- China's cyberspace regulator on Monday issued rules on cross-border data flows that ease requirements for companies."
	same := store.StoryCandidate{ArticleID: 1, StoryID: 10, Outlet: "China Daily", Title: title, Text: text, Distance: 2}
	other := store.StoryCandidate{ArticleID: 2, StoryID: 20, Outlet: "CGTN", Title: "Football league opens new season in Shanghai", Text: "SHANGHAI -- The new season of the football league opened on Saturday with a match in front of forty thousand fans.", Distance: 1}
	c := newStoryChooser(title, text, "Xinhua")
	if got := c.choose(0, []store.StoryCandidate{other, same}); got != 10 {
		t.Errorf("story %d, want 10", got)
	}
	if len(c.verdict) != 2 || c.verdict[2] || !c.verdict[1] {
		t.Fatalf("verdicts %v: want article 2 rejected, article 1 accepted", c.verdict)
	}
	if got := c.choose(7, []store.StoryCandidate{same}); got != 7 {
		t.Errorf("story %d, want the current story 7", got)
	}
	// Article 1 recorded again with another text, in another story.
	changed := other
	changed.ArticleID, changed.StoryID = 1, 11
	c.forget([]store.StoryCandidate{changed})
	if got := c.choose(0, []store.StoryCandidate{other, changed}); got != 0 {
		t.Errorf("story %d, want 0 (a new story): the changed text does not match", got)
	}
	if chooseStory(0, []store.StoryCandidate{other, same}, title, text, "Xinhua") != 10 {
		t.Error("chooseStory does not take the first accepted candidate")
	}
}

// Copies of one story placed at the same moment by the workers of two
// replicas (each with its own prints in memory) join one story, and a
// story of another text beside them gets its own: a try that finds a copy
// recorded since its candidates were read judges it and tries again.
func TestPlaceInStoryConcurrentCopies(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t).Store
	now := time.Now()
	const title = "China issues rules on cross-border data flows"
	const text = "BEIJING, Nov. 18 (Xinhua) -- China's cyberspace regulator on Monday issued rules on cross-border data flows that ease requirements for companies."
	const otherTitle = "Football league opens new season in Shanghai"
	const otherText = "SHANGHAI -- The new season of the football league opened on Saturday with a match in front of forty thousand fans."
	const copies = 16
	const base = uint64(0x0F0F_1234_5678_9ABC)
	type art struct {
		id          int64
		fp          uint64
		title, text string
	}
	var arts []art
	for i := range copies + 1 {
		a := art{fp: base ^ (1 << (i % 3)), title: title, text: text}
		if i == copies {
			a.title, a.text = otherTitle, otherText // near fingerprint, another text
		}
		if err := st.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, first_seen_at) VALUES ($1, $2, 'en', $3) RETURNING id`,
			fmt.Sprintf("https://o%d.example/wire", i), fmt.Sprintf("Outlet %d", i), now).Scan(&a.id); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a)
	}
	replicas := []*Daemon{{st: st, now: time.Now, storyTries: newStoryBatcher(st)}, {st: st, now: time.Now, storyTries: newStoryBatcher(st)}}
	stories := make([]int64, len(arts))
	errs := make([]error, len(arts))
	var wg sync.WaitGroup
	for i, a := range arts {
		wg.Go(func() {
			d := replicas[i%2]
			stories[i], errs[i] = d.placeInStory(ctx, a.id, a.fp, "en", now, a.title, a.text, fmt.Sprintf("Outlet %d", i))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || stories[i] == 0 {
			t.Fatalf("article %d: story %d, %v", i, stories[i], err)
		}
	}
	for i := 1; i < copies; i++ {
		if stories[i] != stories[0] {
			t.Errorf("copy %d in story %d, copy 0 in %d: want one story", i, stories[i], stories[0])
		}
	}
	if stories[copies] == stories[0] {
		t.Errorf("the other text joined the copies' story %d", stories[0])
	}
	var n, prints int
	if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM stories), (SELECT count(*) FROM story_prints)`).Scan(&n, &prints); err != nil || n != 2 || prints != len(arts) {
		t.Errorf("%d stories and %d prints (%v), want 2 and %d", n, prints, err, len(arts))
	}
	// Placed again (an edit), an article keeps its story.
	if again, err := replicas[0].placeInStory(ctx, arts[copies].id, base, "en", now, title, text, "Outlet"); err != nil || again != stories[copies] {
		t.Errorf("placed again: story %d (%v), want its own %d", again, err, stories[copies])
	}
}

// Tries that wait while a batch is in flight go out together, in order, in
// one transaction: of copies that all ask for a new story, the first is
// recorded and each later one finds the first's print and records nothing.
// A try whose article does not exist fails alone. A worker that gives up
// waiting leaves the queue, and the lead passes on.
func TestStoryBatcherSendsWaitingTriesTogether(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t).Store
	q := store.StoryQuery{MaxDistance: 4, Window: 72 * time.Hour, TextChars: 50, Limit: 10}
	const fp = uint64(0x1357_9BDF_2468_ACE0)
	const copies = 6
	var ids []int64
	for i := range copies {
		var id int64
		if err := st.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary) VALUES ($1, 'X', 'en', 'Wire', 'Wire text') RETURNING id`,
			fmt.Sprintf("https://b%d.example/wire", i)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ids = append(ids, -1) // no such article

	b := newStoryBatcher(st)
	b.leading = 1 // a batch in flight: the tries below wait
	res := make([]store.StoryTry, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		// In order: each try is pending before the next starts.
		wg.Go(func() {
			res[i], errs[i] = tryStory(ctx, b, store.StoryTryArgs{ArticleID: id, Story: store.StoryAssign{FP: fp, Lang: "en"}, Query: q})
		})
		waitPending(b, i+1)
	}
	b.sendBatch(ctx, nil) // as the leader of the batch in flight would: the waiting tries go out together
	wg.Wait()

	if errs[0] != nil || res[0].Story == 0 {
		t.Fatalf("first copy: %+v, %v; want recorded", res[0], errs[0])
	}
	for i := 1; i < copies; i++ {
		if errs[i] != nil || res[i].Story != 0 || len(res[i].Fresh) != 1 || res[i].Fresh[0].ArticleID != ids[0] {
			t.Errorf("copy %d: %+v, %v; want nothing recorded and the first copy to judge", i, res[i], errs[i])
		}
	}
	if !errors.Is(errs[copies], store.ErrNotFound) {
		t.Errorf("no such article: %v, want ErrNotFound", errs[copies])
	}
	b.mu.Lock()
	if b.leading != 0 || len(b.pending) != 0 {
		t.Errorf("after the batch: leading %v, %d pending", b.leading, len(b.pending))
	}
	// A worker that gives up while its try waits leaves the queue.
	b.leading = 1
	b.mu.Unlock()
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error)
	go func() {
		_, err := tryStory(cctx, b, store.StoryTryArgs{ArticleID: ids[1], Story: store.StoryAssign{FP: ^fp, Lang: "en"}, Query: q})
		gaveUp <- err
	}()
	waitPending(b, 1)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("gave up with %v, want context.Canceled", err)
	}
	b.sendBatch(ctx, nil)
	b.mu.Lock()
	if b.leading != 0 || len(b.pending) != 0 {
		t.Errorf("after giving up: leading %v, %d pending", b.leading, len(b.pending))
	}
	b.mu.Unlock()
	// With nothing in flight, a try leads itself.
	tctx, tcancel := context.WithTimeout(ctx, 10*time.Second)
	defer tcancel()
	if r, err := tryStory(tctx, b, store.StoryTryArgs{ArticleID: ids[1], Story: store.StoryAssign{FP: ^fp, Lang: "en"}, Query: q}); err != nil || r.Story == 0 {
		t.Errorf("a try alone: %+v, %v; want recorded", r, err)
	}
}

// Prints this process records join the index at once, and move its mark
// when every print recorded before them is held: a print another replica
// recorded in between holds the mark back until the next read.
func TestPrintIndexTakesOwnPrints(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t).Store
	q := store.StoryQuery{MaxDistance: 4, Window: 72 * time.Hour, TextChars: 50, Limit: 10}
	now := time.Now()
	ids := make([]int64, 4)
	for i := range ids {
		if err := st.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary, first_seen_at) VALUES ($1, 'X', 'en', 'T', 'text', $2) RETURNING id`,
			fmt.Sprintf("https://own%d.example/a", i), now).Scan(&ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	const fp = uint64(0x0F0F_1234_5678_9ABC)
	var x printIndex
	if _, mark, ok, err := x.near(ctx, st, now, ids[3], fp, "en", now, q); err != nil || !ok || mark != 0 {
		t.Fatalf("first lookup: mark %d, ok %v, %v", mark, ok, err)
	}
	var last int64 // the newest print: each record is decided on all before it
	record := func(i int, tell bool) int64 {
		qa := q
		qa.After = last
		try, err := st.TryPlaceStory(ctx, ids[i], store.StoryAssign{FP: fp ^ uint64(i), Lang: "en"}, qa)
		last = try.Seq
		if err != nil || try.Story == 0 || try.Seq == 0 {
			t.Fatalf("record %d: %+v, %v", i, try, err)
		}
		if tell {
			sk := alert.NewStorySketch(alert.StoryDoc{Title: "T", Text: "text", Outlet: "X"})
			x.recorded(store.StoryPrint{ArticleID: ids[i], StoryID: try.Story, FP: fp ^ uint64(i), Language: "en", FirstSeenAt: now}, try.Seq, &sk)
		}
		return try.Seq
	}
	held := func() (int64, int, int) {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.mark, len(x.prints), len(x.own)
	}

	s0 := record(0, true)
	if mark, n, own := held(); mark != s0 || n != 1 || own != 0 {
		t.Errorf("after an own print: mark %d (want %d), %d held, %d waiting", mark, s0, n, own)
	}
	record(1, false) // another replica's
	s2 := record(2, true)
	if mark, n, own := held(); mark != s0 || n != 1 || own != 1 {
		t.Errorf("after a gap: mark %d (want %d), %d held, %d waiting; want the own print waiting", mark, s0, n, own)
	}
	x.mu.Lock()
	x.synced = time.Time{}.Add(time.Nanosecond) // the next lookup reads
	x.mu.Unlock()
	cands, mark, ok, err := x.near(ctx, st, now, ids[3], fp, "en", now, q)
	if err != nil || !ok || mark != s2 || len(cands) != 3 {
		t.Errorf("after reading: mark %d (want %d), %d candidates (want 3), %v", mark, s2, len(cands), err)
	}
	if _, _, own := held(); own != 0 {
		t.Errorf("%d own prints still waiting after the read", own)
	}
}

// After a server crash lost the last story records (they commit without
// waiting for the disk), record numbers are handed out again below the
// index's mark: the index then forgets what it holds and reads all again.
func TestPrintIndexReadsAgainWhenNumbersGoBack(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t).Store
	q := store.StoryQuery{MaxDistance: 4, Window: 72 * time.Hour, TextChars: 50, Limit: 10}
	now := time.Now()
	const fp = uint64(0x7777_0000_1234_4321)
	article := func(n int) int64 {
		var id int64
		if err := st.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary, first_seen_at) VALUES ($1, 'X', 'en', 'T', 'text', $2) RETURNING id`,
			fmt.Sprintf("https://back%d.example/a", n), now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	ids := []int64{article(0), article(1), article(2)}
	var x printIndex
	sync := func() []store.StoryCandidate {
		x.mu.Lock()
		x.synced = time.Time{}.Add(time.Nanosecond)
		x.mu.Unlock()
		cands, _, ok, err := x.near(ctx, st, now, ids[2], fp, "en", now, q)
		if err != nil || !ok {
			t.Fatalf("lookup: %v %v", ok, err)
		}
		return cands
	}
	for _, id := range ids[:2] {
		if _, err := st.TryPlaceStory(ctx, id, store.StoryAssign{FP: fp, Lang: "en"}, store.StoryQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := sync(); len(got) != 2 {
		t.Fatalf("%d candidates, want 2", len(got))
	}
	// The crash: the second record and the sequence's step are lost.
	if _, err := st.Pool.Exec(ctx, `DELETE FROM story_prints WHERE article_id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `SELECT setval('story_prints_seq', (SELECT max(seq) FROM story_prints))`); err != nil {
		t.Fatal(err)
	}
	// Nothing new yet: the mark is above the newest number, and the print
	// lost is not a candidate any more.
	if got := sync(); len(got) != 1 || got[0].ArticleID != ids[0] {
		t.Fatalf("after the numbers went back: %+v, want article %d alone", got, ids[0])
	}
	// A print recorded now takes the lost one's number, and is read.
	if _, err := st.TryPlaceStory(ctx, ids[1], store.StoryAssign{FP: fp ^ 1, Lang: "en"}, store.StoryQuery{}); err != nil {
		t.Fatal(err)
	}
	if got := sync(); len(got) != 2 {
		t.Errorf("a print recorded under a number handed out again: %d candidates, want 2", len(got))
	}
}
