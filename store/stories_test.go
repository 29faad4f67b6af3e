package store_test

import (
	"context"
	"errors"
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

// placeCopy is the daemon's way to place an article in a story: the
// candidates read first, without the lock (StoryLookup), the nearest
// taken, then TryPlaceStory from the lookup's mark, judging the prints it
// returns and trying again until it records. It returns the story and
// every candidate seen.
func placeCopy(ctx context.Context, t *testing.T, s *store.Store, id int64, sa store.StoryAssign, q store.StoryQuery) (int64, []store.StoryCandidate) {
	t.Helper()
	cands, mark, err := s.StoryLookup(ctx, id, sa.FP, sa.Lang, q)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	for tries := 0; ; tries++ {
		sa.StoryID = 0
		if len(cands) > 0 {
			sa.StoryID = cands[0].StoryID
		}
		lq := q
		lq.After = mark
		try, err := s.TryPlaceStory(ctx, id, sa, lq)
		if err != nil || try.Story > 0 {
			if err != nil {
				t.Error(err)
			}
			return try.Story, cands
		}
		if len(try.Fresh) == 0 || try.Mark <= mark || tries > 100 {
			t.Errorf("try %d recorded nothing: %+v after mark %d", tries, try, mark)
			return 0, cands
		}
		cands, mark = store.MergeStoryCandidates(try.Fresh, cands, q.Limit), try.Mark
	}
}

// The daemon's order: the story is recorded first, in a transaction of its
// own (TryPlaceStory, with the title and text the check reads), and the
// save writes it into the article row with the text. Once the first
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
		return placeCopy(ctx, t, s, id, store.StoryAssign{FP: fp, Lang: "en", Title: "Placed title", Text: "Placed text."}, q)
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
	// Placed again with a far fingerprint, and asking for a new story, an
	// article keeps the story it is in.
	if try, err := s.TryPlaceStory(ctx, a.ID, store.StoryAssign{FP: fp ^ 0xFFFF, Lang: "en"}, q); err != nil || try.Story != story {
		t.Errorf("a placed article placed again: %+v, %v; want its story %d", try, err, story)
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

// A try records nothing when a print near the article was recorded after
// its mark, and returns that print with its check text and a new mark; a
// print that is not near (another language, too many differing bits)
// does not stop it. Copies placed at once join one story. An article that
// does not exist is ErrNotFound.
func TestTryPlaceStory(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t).Store
	newArticle := func(n int, lang string) int64 {
		var id int64
		if err := s.Pool.QueryRow(ctx, `INSERT INTO articles (canonical_url, outlet, language, title, summary) VALUES ($1, 'X', $2, $3, 'Summary text') RETURNING id`,
			fmt.Sprintf("https://o%d.example/wire", n), lang, fmt.Sprintf("Title %d", n)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	const base = uint64(0x0123_4567_89AB_CDEF)
	q := store.StoryQuery{MaxDistance: 3, Window: 72 * time.Hour, TextChars: 7, Limit: 20}
	asker := newArticle(0, "en")
	_, mark, err := s.StoryLookup(ctx, asker, base, "en", q)
	if err != nil {
		t.Fatal(err)
	}
	// Recorded after the asker's lookup: a far print, a print in another
	// language, then a near one.
	far, zh, near := newArticle(1, "en"), newArticle(2, "zh"), newArticle(3, "en")
	for _, p := range []struct {
		id   int64
		fp   uint64
		lang string
	}{{far, ^base, "en"}, {zh, base, "zh"}, {near, base ^ 0b101, "en"}} {
		if story, _ := placeCopy(ctx, t, s, p.id, store.StoryAssign{FP: p.fp, Lang: p.lang}, q); story == 0 {
			t.Fatalf("article %d: no story", p.id)
		}
	}
	lq := q
	lq.After = mark
	try, err := s.TryPlaceStory(ctx, asker, store.StoryAssign{FP: base, Lang: "en"}, lq)
	if err != nil {
		t.Fatal(err)
	}
	if try.Story != 0 || len(try.Fresh) != 1 || try.Fresh[0].ArticleID != near || try.Fresh[0].Distance != 2 || try.Fresh[0].Text != "Summary" || try.Mark <= mark {
		t.Fatalf("try after a near print: %+v (mark was %d); want nothing recorded, the near print with 7 characters of text, a newer mark", try, mark)
	}
	var prints int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM story_prints WHERE article_id = $1`, asker).Scan(&prints); err != nil || prints != 0 {
		t.Fatalf("a failed try left %d prints (%v)", prints, err)
	}
	lq.After = try.Mark
	again, err := s.TryPlaceStory(ctx, asker, store.StoryAssign{FP: base, StoryID: try.Fresh[0].StoryID, Lang: "en"}, lq)
	if err != nil || again.Story != try.Fresh[0].StoryID {
		t.Fatalf("try from the new mark: %+v, %v; want story %d", again, err, try.Fresh[0].StoryID)
	}

	// Copies placed concurrently.
	const copies = 12
	ids := make([]int64, copies)
	for i := range ids {
		ids[i] = newArticle(10+i, "en")
	}
	const wire = uint64(0xFEDC_BA98_0000_1111)
	stories := make([]int64, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			stories[i], _ = placeCopy(wctx, t, s, id, store.StoryAssign{FP: wire ^ (1 << (i % 8)), Lang: "en"}, q)
		})
	}
	wg.Wait()
	oneStory(t, stories, errs)
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(DISTINCT story_id) FROM story_prints WHERE article_id = ANY ($1)`, ids).Scan(&n); err != nil || n != 1 {
		t.Errorf("copies in %d stories (%v), want 1", n, err)
	}
	for _, story := range []int64{0, stories[0]} {
		if try, err := s.TryPlaceStory(ctx, -1, store.StoryAssign{FP: base, StoryID: story}, q); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no such article, story %d: %+v, %v; want ErrNotFound", story, try, err)
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
