package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

// Near-duplicate fingerprints join one story; a distant one starts its
// own; an article keeps its story when saved again; articles first seen
// further apart than the window are different stories.
func TestAssignStory(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	newArticle := func(url string, seen time.Time) int64 {
		var id int64
		if err := db.Store.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, first_seen_at) VALUES ($1, 'X', $2) RETURNING id`, url, seen).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	now := time.Now()
	assign := func(id int64, fp uint64) int64 {
		var story int64
		err := db.Store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			story, err = assignStory(ctx, tx, id, fp, store.StoryQuery{MaxDistance: 3, Window: 72 * time.Hour, TextChars: 100, Limit: 10}, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return story
	}
	const base = uint64(0xF0F0_F0F0_1234_5678)
	a := assign(newArticle("https://a.example/1", now), base)
	bID := newArticle("https://b.example/1", now.Add(time.Hour))
	b := assign(bID, base^0b101)                                                      // 2 bits apart
	c := assign(newArticle("https://c.example/1", now), base^0xFFFF)                  // 16 bits apart
	d := assign(newArticle("https://d.example/1", now.Add(-100*time.Hour)), base^0b1) // too long before
	if a == 0 || a != b {
		t.Errorf("near duplicates in stories %d and %d, want one", a, b)
	}
	if c == a || d == a || c == d {
		t.Errorf("stories a=%d c=%d d=%d: want c and d apart from a", a, c, d)
	}
	if again := assign(bID, base^0xFFFF_0000); again != a {
		t.Errorf("a saved article moved from story %d to %d", a, again)
	}
}

// The fingerprint only proposes candidates (same language, nearest
// first); the check reads each candidate's outlet, title and the start of
// its text (the summary when there is no body) and decides. A candidate
// it rejects is skipped for the next one; when it rejects all, the
// article starts a story of its own.
func TestAssignStoryChecksCandidates(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	now := time.Now()
	newArticle := func(url, lang, title, summary, body string) int64 {
		var id int64
		if err := db.Store.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary, body_text, first_seen_at)
			VALUES ($1, 'Xinhua', $2, $3, $4, $5, $6) RETURNING id`, url, lang, title, summary, body, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	var seen []store.StoryCandidate
	assign := func(id int64, fp uint64, accept func(store.StoryCandidate) bool) int64 {
		var story int64
		err := db.Store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			story, err = assignStory(ctx, tx, id, fp, store.StoryQuery{MaxDistance: 8, Window: 72 * time.Hour, TextChars: 12, Limit: 10},
				func(c store.StoryCandidate) bool { seen = append(seen, c); return accept(c) })
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return story
	}
	none := func(store.StoryCandidate) bool { return false }
	const base = uint64(0x0123_4567_89AB_CDEF)
	near := newArticle("https://x.example/near", "en", "Template item", "", "Figures for Monday: 312 new cases and more text after")
	far := newArticle("https://x.example/far", "en", "The same story", "Summary only, no body here", "")
	zh := newArticle("https://x.example/zh", "zh", "中文", "", "正文")
	sNear := assign(near, base^0b1, none)
	sFar := assign(far, base^0b111, none)
	sZh := assign(zh, base, none)
	if sNear == sFar || sNear == sZh || sFar == sZh {
		t.Fatalf("all rejected: want three stories, got %d %d %d", sNear, sFar, sZh)
	}

	seen = nil
	id := newArticle("https://x.example/new", "en", "The same story, again", "", "Body")
	got := assign(id, base, func(c store.StoryCandidate) bool { return strings.HasPrefix(c.Title, "The same") })
	if got != sFar {
		t.Errorf("joined story %d, want %d (the candidate the check accepts)", got, sFar)
	}
	if len(seen) != 2 {
		t.Fatalf("check saw %d candidates, want 2 (the Chinese article is no candidate): %+v", len(seen), seen)
	}
	if seen[0].ArticleID != near || seen[0].Distance != 1 || seen[0].Text != "Figures for " || seen[0].Outlet != "Xinhua" {
		t.Errorf("first candidate %+v: want the nearest, distance 1, text cut to 12 characters", seen[0])
	}
	if seen[1].ArticleID != far || seen[1].Distance != 3 || seen[1].Text != "Summary only" || seen[1].StoryID != sFar {
		t.Errorf("second candidate %+v: want the summary as its text", seen[1])
	}
}

// Copies saved at once by concurrent transactions join one story: the
// assignment is serialised and each sees the previous one's commit.
func TestAssignStoryConcurrentCopies(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	const copies = 12
	ids := make([]int64, copies)
	for i := range ids {
		if err := db.Store.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet) VALUES ($1, 'X') RETURNING id`,
			fmt.Sprintf("https://o%d.example/wire", i)).Scan(&ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	const base = uint64(0x0123_4567_89AB_CDEF)
	stories := make([]int64, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			errs[i] = db.Store.InTx(ctx, func(tx *store.Tx) error {
				var err error
				stories[i], err = assignStory(ctx, tx, id, base^(1<<(i%8)), store.StoryQuery{MaxDistance: 3, Window: 72 * time.Hour, TextChars: 100, Limit: 20}, nil)
				return err
			})
		})
	}
	wg.Wait()
	oneStory(t, stories, errs)
	var n int
	if err := db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM stories`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d story rows (%v), want 1", n, err)
	}
	if err := db.Store.InTx(ctx, func(tx *store.Tx) error {
		_, err := assignStory(ctx, tx, -1, base, store.StoryQuery{MaxDistance: 3, Window: time.Hour, TextChars: 100, Limit: 20}, nil)
		return err
	}); err == nil {
		t.Error("a story assigned to an article that does not exist")
	}
}

// assignStory does what the daemon does: the candidates under the story
// lock, a choice (accept; nil takes the nearest), the write.
func assignStory(ctx context.Context, tx *store.Tx, id int64, fp uint64, q store.StoryQuery, accept func(store.StoryCandidate) bool) (int64, error) {
	cur, cands, err := tx.StoryCandidates(ctx, id, fp, "", q)
	if err != nil {
		return 0, err
	}
	story := cur
	if story == 0 {
		for _, c := range cands {
			if accept == nil || accept(c) {
				story = c.StoryID
				break
			}
		}
	}
	return tx.SetStory(ctx, id, store.StoryAssign{FP: fp, StoryID: story})
}

// The daemon's order: the story is recorded first, in a transaction of its
// own (LockStory, then Record with the title and text the check reads), and the save
// writes it into the article row with the text. Once the first
// transaction commits, a copy finds the story and reads the placed text
// although the article row has none yet; a save names the story it
// writes; an article keeps the story it is in.
func TestPlaceStoryThenSave(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	a := claimOne(t, s, "me")
	q := store.StoryQuery{MaxDistance: 3, Window: 72 * time.Hour, TextChars: 100, Limit: 10}
	const fp = uint64(0xABCD_0000_1234_5678)
	place := func(id int64, fp uint64) (int64, []store.StoryCandidate) {
		older, mark, err := s.StoryLookup(ctx, id, fp, "en", q)
		if err != nil {
			t.Fatal(err)
		}
		lq := q
		lq.After = mark
		lk, err := s.LockStory(ctx, id, fp, "en", lq)
		if err != nil {
			t.Fatal(err)
		}
		defer lk.Close()
		cands := store.MergeStoryCandidates(lk.Candidates, older, q.Limit)
		pick := lk.Current
		if pick == 0 && len(cands) > 0 {
			pick = cands[0].StoryID
		}
		story, err := lk.Record(ctx, store.StoryAssign{FP: fp, StoryID: pick, Lang: "en", Title: "Placed title", Text: "Placed text."})
		if err != nil {
			t.Fatal(err)
		}
		return story, cands
	}
	story, _ := place(a.ID, fp)
	if story == 0 {
		t.Fatal("no story placed")
	}
	var copyID int64
	if err := s.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary) VALUES ('https://y.example/copy', 'Y', 'en', 'Copy', 'Copy summary') RETURNING id`).Scan(&copyID); err != nil {
		t.Fatal(err)
	}
	joined, cands := place(copyID, fp^0b11)
	if joined != story || len(cands) != 1 || cands[0].ArticleID != a.ID || cands[0].Text != "Placed text." || cands[0].Title != "Placed title" {
		t.Errorf("copy placed in story %d (want %d), candidates %+v: want the first article, read with its placed title and text", joined, story, cands)
	}
	if again, _ := place(a.ID, fp^0xFFFF); again != story {
		t.Errorf("a placed article moved from story %d to %d", story, again)
	}

	bad := saveOf(a, "me", "h1", "Data security rules.")
	bad.Story = &store.StoryAssign{FP: fp}
	if _, err := s.SaveArticle(ctx, bad); err == nil {
		t.Error("a save with a story but no story id was accepted")
	}
	save := saveOf(a, "me", "h1", "Data security rules.")
	save.Story = &store.StoryAssign{FP: fp, StoryID: story, Lang: "en"}
	if _, err := s.SaveArticle(ctx, save); err != nil {
		t.Fatal(err)
	}
	var rowStory, rowFP int64
	if err := s.Pool.QueryRow(ctx, `SELECT story_id, story_fp FROM articles WHERE id = $1`, a.ID).Scan(&rowStory, &rowFP); err != nil {
		t.Fatal(err)
	}
	if rowStory != story || uint64(rowFP) != fp {
		t.Errorf("article row has story %d, fingerprint %x; want %d, %x", rowStory, rowFP, story, fp)
	}
}

// The daemon's path under load: copies looked up at once (StoryLookup,
// unlocked, all before any is recorded) and then recorded under the lock
// (LockStory with the lookup's mark) join one story; a lock closed without
// a record writes nothing and frees the lock; an article that does not
// exist is an error.
func TestLockStoryConcurrentCopies(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	const copies = 12
	ids := make([]int64, copies)
	for i := range ids {
		if err := s.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language) VALUES ($1, 'X', 'en') RETURNING id`,
			fmt.Sprintf("https://o%d.example/wire", i)).Scan(&ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	const base = uint64(0x0123_4567_89AB_CDEF)
	q := store.StoryQuery{MaxDistance: 3, Window: 72 * time.Hour, TextChars: 100, Limit: 20}
	// An unrelated story first, so that the lookups' mark is above 0 and
	// the locked reads take only the prints after it.
	var other int64
	if err := s.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language) VALUES ('https://other.example/1', 'Y', 'en') RETURNING id`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	if lk, err := s.LockStory(ctx, other, ^base, "en", q); err != nil {
		t.Fatal(err)
	} else if _, err := lk.Record(ctx, store.StoryAssign{FP: ^base}); err != nil {
		t.Fatal(err)
	}
	olders := make([][]store.StoryCandidate, copies)
	marks := make([]int64, copies)
	for i, id := range ids {
		var err error
		if olders[i], marks[i], err = s.StoryLookup(ctx, id, base^(1<<(i%8)), "en", q); err != nil {
			t.Fatal(err)
		}
		if marks[i] == 0 || len(olders[i]) != 0 {
			t.Fatalf("lookup: mark %d, candidates %+v; want a mark and none", marks[i], olders[i])
		}
	}
	// A lock opened and closed without a record.
	lk, err := s.LockStory(ctx, ids[0], base, "en", q)
	if err != nil {
		t.Fatal(err)
	}
	lk.Close()
	lk.Close() // twice is harmless
	if _, err := lk.Record(ctx, store.StoryAssign{FP: base}); err == nil {
		t.Error("a closed story transaction recorded a story")
	}

	stories := make([]int64, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			lq := q
			lq.After = marks[i]
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			lk, err := s.LockStory(wctx, id, base^(1<<(i%8)), "en", lq)
			if err != nil {
				errs[i] = err
				return
			}
			defer lk.Close()
			pick := lk.Current
			if c := store.MergeStoryCandidates(lk.Candidates, olders[i], q.Limit); pick == 0 && len(c) > 0 {
				pick = c[0].StoryID
			}
			stories[i], errs[i] = lk.Record(wctx, store.StoryAssign{FP: base ^ (1 << (i % 8)), StoryID: pick, Lang: "en"})
		})
	}
	wg.Wait()
	oneStory(t, stories, errs)
	var n, prints int
	if err := s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM stories), (SELECT count(*) FROM story_texts)`).Scan(&n, &prints); err != nil || n != 2 || prints != copies+1 {
		t.Errorf("%d story rows and %d story texts (%v), want 2 and %d", n, prints, err, copies+1)
	}
	if lk, err := s.LockStory(ctx, -1, base, "en", q); err == nil {
		_, err = lk.Record(ctx, store.StoryAssign{FP: base})
		if err == nil {
			t.Error("a story recorded for an article that does not exist")
		}
	}
}

// MergeStoryCandidates keeps one entry per article (the newer), nearest
// first, at most the limit.
func TestMergeStoryCandidates(t *testing.T) {
	older := []store.StoryCandidate{{ArticleID: 1, StoryID: 10, Distance: 2}, {ArticleID: 2, StoryID: 20, Distance: 5}}
	newer := []store.StoryCandidate{{ArticleID: 2, StoryID: 21, Distance: 5}, {ArticleID: 3, StoryID: 30, Distance: 1}}
	got := store.MergeStoryCandidates(newer, older, 2)
	if len(got) != 2 || got[0].ArticleID != 3 || got[1].ArticleID != 1 {
		t.Errorf("merged %+v, want articles 3 then 1 (limit 2)", got)
	}
	all := store.MergeStoryCandidates(newer, older, 0)
	if len(all) != 3 || all[2].StoryID != 21 {
		t.Errorf("merged %+v, want three, article 2 with its newer story 21", all)
	}
}

// oneStory fails unless every copy was placed, all in one story.
func oneStory(t *testing.T, stories []int64, errs []error) {
	t.Helper()
	for i := range stories {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if stories[i] != stories[0] || stories[i] == 0 {
			t.Fatalf("copies in stories %v, want one", stories)
		}
	}
}
