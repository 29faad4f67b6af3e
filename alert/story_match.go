package alert

import (
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Story matching, second step. The fingerprint (StoryFingerprint) only
// proposes candidates: articles of the same language, first seen within
// the story window, whose fingerprints differ in at most
// StoryCandidateDistance bits. Each candidate is then checked on the text
// itself (SameStoryText): how much of the shorter text's shingles the
// other contains (containment, not overlap, so a feed summary matches
// the full text it summarises), whether their figures agree (a template
// repeated with new numbers is a new story), and rules for the CCTV news
// round-up and for two answers at one press conference.

// StoryDoc is what the check reads of an article: its title, its text
// (the body, or the feed summary when that is all there is) and its
// outlet.
type StoryDoc struct {
	Title, Text, Outlet string
}

// StorySketch is an article prepared for SameStoryText: its shingles and
// figures, computed once per article.
type StorySketch struct {
	title     string   // normalised title (column prefixes and section suffixes dropped)
	titleSh   []uint64 // sorted distinct shingle hashes of the title
	textSh    []uint64 // of the text window
	allSh     []uint64 // of both
	titleNum  []string // figures of the title (digit runs, Chinese ordinals; not dates)
	textNum   []string // figures of the text window
	days      []string // days of the month named in the title and text window
	selfTitle bool     // the title is the text's first sentence (no headline of its own)
	outlet    string
	roundup   bool // a news round-up ("联播快讯") bundling several items
	hasText   bool
}

// storyMatchParams are the check's settings; the evaluation sweeps them
// on the development pairs.
type storyMatchParams struct {
	textRunes     int     // runes of text (after a dateline) the check reads
	minContain    float64 // least containment of the shorter text's shingles in the other's
	minTextOnly   float64 // least containment of text in text when the titles differ (same-outlet answers)
	titleOnlyMin  float64 // least title containment when a side has no text
	numberRule    bool    // disagreeing figures make different stories
	roundupRule   bool    // a round-up and a single item are different stories
	sameOutletQA  bool    // same outlet, different titles: the titles must match too
	minTitleSame  float64 // title containment counted as "same title"
	minShared     int     // fewest shared shingles for a match
	numbersWindow int     // digit runs of the text compared (first n of the shorter)
	missFrac      float64 // share of those missing from the other text that makes them disagree
	dateRule      bool    // texts naming different days are different stories
}

// storyMatchShipped is the daemon's setting, chosen on the development
// pairs (docs/stories.md).
var storyMatchShipped = storyMatchParams{
	textRunes: 300, minContain: 0.6, minTextOnly: 0.6, titleOnlyMin: 0.8,
	numberRule: true, roundupRule: true, sameOutletQA: true, minTitleSame: 0.5, minShared: 4, numbersWindow: 4,
	missFrac: 0.5, dateRule: true,
}

// NewStorySketch prepares an article for SameStoryText.
func NewStorySketch(d StoryDoc) StorySketch {
	return newStorySketch(d, storyMatchShipped)
}

func newStorySketch(d StoryDoc, p storyMatchParams) StorySketch {
	title := normaliseStoryTitle(d.Title)
	text := stripDateline(strings.TrimSpace(d.Text))
	r := []rune(text)
	if len(r) > p.textRunes {
		r = r[:p.textRunes]
	}
	text = string(r)
	s := StorySketch{
		title:    title,
		titleSh:  hashSet(shingles(title)),
		textSh:   hashSet(shingles(text)),
		titleNum: figures(d.Title),
		textNum:  figures(text),
		days:     days(d.Title + "\n" + text),
		outlet:   d.Outlet,
		roundup:  strings.Contains(d.Title, "联播快讯"),
		hasText:  len(r) > 0,
	}
	s.allSh = union(s.titleSh, s.textSh)
	if c, _ := containment(s.titleSh, s.textSh); len(s.titleSh) > 0 && c >= 0.9 && len(s.titleSh) <= len(s.textSh) {
		s.selfTitle = true
	}
	return s
}

// SameStoryText reports whether two candidate articles carry one story.
func SameStoryText(a, b *StorySketch) bool { return sameStoryWith(a, b, storyMatchShipped) }

func sameStoryWith(a, b *StorySketch, p storyMatchParams) bool {
	if p.roundupRule && a.roundup != b.roundup {
		return false
	}
	titleC, titleN := containment(a.titleSh, b.titleSh)
	if p.numberRule && conflict(a.titleNum, b.titleNum) {
		return false
	}
	if p.dateRule && len(a.days) > 0 && len(b.days) > 0 && !intersects(a.days, b.days) {
		return false
	}
	if !a.hasText || !b.hasText {
		// One side is a bare title: the titles decide.
		if a.title == b.title && a.title != "" {
			return true
		}
		return titleN >= p.minShared && titleC >= p.titleOnlyMin && (!p.numberRule || subset(a.titleNum, b.titleNum) || subset(b.titleNum, a.titleNum))
	}
	if p.numberRule && numbersDisagree(a, b, p.numbersWindow, p.missFrac) {
		return false
	}
	allC, allN := containment(a.allSh, b.allSh)
	textC, textN := containment(a.textSh, b.textSh)
	if p.sameOutletQA && a.outlet != "" && a.outlet == b.outlet && !a.selfTitle && !b.selfTitle && titleC < p.minTitleSame {
		// Two items of one outlet with different titles: two answers at
		// one briefing, or two items of a series, share stock sentences.
		return false
	}
	if allN >= p.minShared && allC >= p.minContain {
		return true
	}
	return textN >= p.minShared && textC >= p.minTextOnly
}

// numbersDisagree reports whether the texts' figures disagree: each
// text's first n figures are, for at least the share frac, missing from
// the other's (a template repeated with new numbers). A text without
// figures is no evidence either way.
func numbersDisagree(a, b *StorySketch, n int, frac float64) bool {
	return missing(a, b, n) >= frac && missing(b, a, n) >= frac
}

// missing is the share of a's first n text figures that b lacks (0 when
// either has none).
func missing(a, b *StorySketch, n int) float64 {
	nums := a.textNum
	if len(nums) > n {
		nums = nums[:n]
	}
	if len(nums) == 0 || len(b.textNum)+len(b.titleNum) == 0 {
		return 0
	}
	miss := 0
	for _, x := range nums {
		if !slices.Contains(b.textNum, x) && !slices.Contains(b.titleNum, x) {
			miss++
		}
	}
	return float64(miss) / float64(len(nums))
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// Dates and figures. A day of the month ("5月19日", "19日", "Nov. 18",
// "February 12") says which day an item reports; other digit runs and
// Chinese ordinals ("第二次", "十五届") are its figures.
var (
	zhDay       = regexp.MustCompile(`(\d{1,2})[日号]`)
	enDay       = regexp.MustCompile(`(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})\b`)
	zhMonthHour = regexp.MustCompile(`\d{1,2}[月点时]`)
	zhOrdinal   = regexp.MustCompile(`第([一二三四五六七八九十百零〇两]+)|([一二三四五六七八九十百]+)届`)
)

func days(s string) []string {
	var out []string
	for _, re := range []*regexp.Regexp{zhDay, enDay} {
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			d := strings.TrimLeft(m[1], "0")
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

func figures(s string) []string {
	s = zhDay.ReplaceAllString(s, " ")
	s = enDay.ReplaceAllString(s, " ")
	s = zhMonthHour.ReplaceAllString(s, " ")
	out := digitRuns(s)
	for _, m := range zhOrdinal.FindAllStringSubmatch(s, -1) {
		n := "#" + m[1] + m[2]
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// conflict: both have figures and neither's are all in the other's.
func conflict(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	return !subset(a, b) && !subset(b, a)
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// containment is the share of the smaller set found in the other, and the
// size of the intersection.
func containment(a, b []uint64) (float64, int) {
	n := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	m := min(len(a), len(b))
	if m == 0 {
		return 0, 0
	}
	return float64(n) / float64(m), n
}

func union(a, b []uint64) []uint64 {
	out := make([]uint64, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func hashSet(sh []string) []uint64 {
	out := make([]uint64, 0, len(sh))
	for _, s := range sh {
		h := fnv.New64a()
		h.Write([]byte(s))
		out = append(out, h.Sum64())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Title decorations that differ between copies of one item: a column name
// before "丨" ("新华社消息丨", "两会速递丨"), a section after "--"
// ("--国际"), a page number ("【5】"), a site suffix ("_第十五届全国运动会").
var (
	titleColumn  = regexp.MustCompile(`^[^丨｜|]{1,12}[丨｜|]\s*`)
	titleSection = regexp.MustCompile(`(--[^-]{1,8}|【\d+】|_[^_]{2,20})$`)
)

func normaliseStoryTitle(t string) string {
	t = strings.TrimSpace(t)
	t = titleColumn.ReplaceAllString(t, "")
	t = titleSection.ReplaceAllString(t, "")
	var b strings.Builder
	for _, c := range strings.ToLower(t) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.Is(unicode.Han, c) {
			b.WriteRune(c)
		} else {
			b.WriteRune(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
