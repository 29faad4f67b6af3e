package alert

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/internal/runes"
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

// StoryCandidateDistance is the most differing fingerprint bits between
// two articles the check compares. Unrelated texts differ in about 32 ± 4
// bits, copies of one story in 0-24 (docs/stories.md): the fingerprint
// only narrows the search, the check decides.
const StoryCandidateDistance = 24

// StoryCandidateLimit is the most candidates checked for one article,
// nearest fingerprint first. Real items have about 11 within
// StoryCandidateDistance (TestStoryCandidateLoad); copies of one story are
// among the nearest. Each candidate costs its text and a sketch while the
// story lock is held, so the bound is kept low (docs/stories.md, "Cost").
const StoryCandidateLimit = 50

// StoryCheckChars is how many characters of a stored article's text the
// check needs: its window (storyMatchShipped.textRunes) after a wire
// dateline of up to 100 characters.
const StoryCheckChars = 300

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
	titleW    []uint64 // sorted distinct hashes of the title's words of four letters or more (spaced scripts)
	textW     []uint64 // of the text window's
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
	templateRule  bool    // one outlet, titles that differ by a short substitution ("女子"/"男子", "second"/"third"): a template
	followUpMin   int     // one outlet: a title that adds at least this many shingles to the other's is a follow-up (0: off)
	wordTitleMin  float64 // one outlet, own headlines: least containment of title words that still lets two transcript versions match (0: off)
	wordTextMin   float64 // and of text words
	bareInAllMin  float64 // a bare title against an article with text: least containment of the title in the article's title and text (0: titles only)
}

// storyMatchShipped is the daemon's setting, chosen on the development
// pairs (docs/stories.md).
var storyMatchShipped = storyMatchParams{
	textRunes: 150, minContain: 0.7, minTextOnly: 0.5, titleOnlyMin: 0.8, minTitleSame: 0.8, minShared: 4,
	numberRule: true, numbersWindow: 3, missFrac: 0.5, dateRule: true, roundupRule: true, sameOutletQA: true,
	templateRule: true, followUpMin: 8, bareInAllMin: 0.75, wordTitleMin: 0.85, wordTextMin: 0.6,
}

// NewStorySketch prepares an article for SameStoryText.
func NewStorySketch(d StoryDoc) StorySketch {
	return newStorySketch(d, storyMatchShipped)
}

func newStorySketch(d StoryDoc, p storyMatchParams) StorySketch {
	title := normaliseStoryTitle(d.Title)
	text := stripDateline(strings.TrimSpace(d.Text))
	// One rune past the window: the cut below looks at it.
	r := []rune(runes.Prefix(text, p.textRunes+1))
	if len(r) > p.textRunes {
		// Cut before a figure the window would split ("1992" → "199").
		cut := p.textRunes
		for cut > 0 && unicode.IsDigit(r[cut-1]) && unicode.IsDigit(r[cut]) {
			cut--
		}
		r = r[:cut]
	}
	text = string(r)
	titleDays, titleNum := daysAndFigures(d.Title)
	textDays, textNum := daysAndFigures(text)
	for _, x := range textDays {
		if !slices.Contains(titleDays, x) {
			titleDays = append(titleDays, x)
		}
	}
	s := StorySketch{
		title:    title,
		titleSh:  shingleHashes(title, nil),
		textSh:   shingleHashes(text, nil),
		titleW:   wordHashes(title),
		textW:    wordHashes(text),
		titleNum: titleNum,
		textNum:  textNum,
		days:     titleDays,
		outlet:   d.Outlet,
		roundup:  strings.Contains(d.Title, "联播快讯"),
		hasText:  len(r) > 0,
	}
	s.allSh = union(s.titleSh, s.textSh)
	// An item whose title is its text's first words (an announcement
	// carried whole) has no headline of its own.
	head := r[:min(len(r), 60)]
	if tr, xr := []rune(title), []rune(normaliseStoryTitle(string(head))); len(tr) > 0 && len(xr) >= min(len(tr), 30) && string(xr[:min(len(tr), 30)]) == string(tr[:min(len(tr), 30)]) {
		s.selfTitle = true
	}
	return s
}

// SameStoryText reports whether two candidate articles carry one story.
func SameStoryText(a, b *StorySketch) bool { return sameStoryWith(a, b, storyMatchShipped) }

func sameStoryWith(a, b *StorySketch, p storyMatchParams) bool {
	return storyFeaturesOf(a, b, p.numbersWindow).decide(p)
}

// storyFeatures are what the decision reads of a pair; the thresholds
// apply in decide, so a sweep computes them once per pair.
type storyFeatures struct {
	roundupMismatch bool    // one side is a round-up, the other not
	titleFigures    bool    // the titles' figures conflict
	otherDay        bool    // the texts name days, none in common
	bareTitle       bool    // a side has no text
	sameTitle       bool    // equal normalised titles
	titleC          float64 // title containment
	titleN          int     // shared title shingles
	missAB, missBA  float64 // share of each text's first figures the other lacks
	allC, textC     float64 // containment of title+text, of text alone
	allN, textN     int
	sameOutletTitle bool // same outlet, each with a headline of its own
	sameOutlet      bool
	template        bool    // the titles differ by a short substitution in the middle
	titleExtra      int     // shingles the longer title adds to the shorter
	oneBare         bool    // exactly one side has no text
	bareFigsFound   bool    // the bare title's figures are all in the other's title and text
	titleWC, textWC float64 // containment of title words, of text words
	titleWN         int
}

func storyFeaturesOf(a, b *StorySketch, nw int) storyFeatures {
	f := storyFeatures{
		roundupMismatch: a.roundup != b.roundup,
		titleFigures:    conflict(a.titleNum, b.titleNum),
		otherDay:        len(a.days) > 0 && len(b.days) > 0 && !intersects(a.days, b.days),
		bareTitle:       !a.hasText || !b.hasText,
		sameTitle:       a.title == b.title && a.title != "",
		missAB:          missing(a, b, nw),
		missBA:          missing(b, a, nw),
		sameOutletTitle: a.outlet != "" && a.outlet == b.outlet && !a.selfTitle && !b.selfTitle,
		sameOutlet:      a.outlet != "" && a.outlet == b.outlet,
		template:        a.outlet != "" && a.outlet == b.outlet && templateTitles(a.title, b.title), // only one outlet's titles are compared
		oneBare:         a.hasText != b.hasText,
	}
	if f.oneBare {
		bare, full := a, b
		if a.hasText {
			bare, full = b, a
		}
		f.bareFigsFound = true
		for _, x := range bare.titleNum {
			if !slices.Contains(full.titleNum, x) && !slices.Contains(full.textNum, x) {
				f.bareFigsFound = false
			}
		}
	}
	f.titleC, f.titleN = containment(a.titleSh, b.titleSh)
	f.titleExtra = max(len(a.titleSh), len(b.titleSh)) - f.titleN
	if f.sameOutletTitle {
		f.titleWC, f.titleWN = containment(a.titleW, b.titleW)
		f.textWC, _ = containment(a.textW, b.textW)
	}
	f.allC, f.allN = containment(a.allSh, b.allSh)
	f.textC, f.textN = containment(a.textSh, b.textSh)
	return f
}

func (f storyFeatures) decide(p storyMatchParams) bool {
	if p.roundupRule && f.roundupMismatch {
		return false
	}
	if p.numberRule && f.titleFigures {
		return false
	}
	if p.dateRule && f.otherDay {
		return false
	}
	if p.templateRule && f.sameOutlet && f.template {
		return false
	}
	if f.bareTitle {
		// One side is a bare title: the titles decide, or the bare title
		// is found in the other's title and text (another outlet's own
		// headline for one fact).
		if f.sameTitle || (f.titleN >= p.minShared && f.titleC >= p.titleOnlyMin) {
			return true
		}
		return p.bareInAllMin > 0 && f.oneBare && !f.sameOutlet && f.bareFigsFound && f.allN >= p.minShared && f.allC >= p.bareInAllMin
	}
	if p.followUpMin > 0 && f.sameOutletTitle && f.titleC >= 0.9 && f.titleExtra >= p.followUpMin {
		return false
	}
	if p.numberRule && f.missAB >= p.missFrac && f.missBA >= p.missFrac && f.missAB > 0 && f.missBA > 0 {
		return false
	}
	if p.sameOutletQA && f.sameOutletTitle && f.titleC < p.minTitleSame {
		// Two items of one outlet with different titles: two answers at
		// one briefing, or two items of a series, share stock sentences.
		// Unless the words, not their order, are the same: two
		// translations of one question and answer.
		return p.wordTitleMin > 0 && f.titleWN >= 12 && f.titleWC >= p.wordTitleMin && f.textWC >= p.wordTextMin
	}
	if f.allN >= p.minShared && f.allC >= p.minContain {
		return true
	}
	return f.textN >= p.minShared && f.textC >= p.minTextOnly
}

// templateTitles reports whether two normalised titles differ only by a
// short substitution: a long common start and end around two short,
// different middles ("女子500米" / "男子500米", "for a second day" / "for a
// third day").
func templateTitles(a, b string) bool {
	if a == b || a == "" || b == "" {
		return false
	}
	ra, rb := []rune(a), []rune(b)
	p := 0
	for p < len(ra) && p < len(rb) && ra[p] == rb[p] {
		p++
	}
	q := 0
	for q < len(ra)-p && q < len(rb)-p && ra[len(ra)-1-q] == rb[len(rb)-1-q] {
		q++
	}
	da, db := len(ra)-p-q, len(rb)-p-q
	if da == 0 || db == 0 || da > 8 || db > 8 || 10*(p+q) < 6*max(len(ra), len(rb)) {
		return false // one contains the other, or they differ too much
	}
	// In spaced text only a whole word that counts or sorts ("second" /
	// "third", "men" / "women") makes a template: transcript versions of
	// one answer differ by other single words.
	wa, wb := wordAt(ra, p, len(ra)-q), wordAt(rb, p, len(rb)-q)
	if hasHan(ra[p:len(ra)-q]) || hasHan(rb[p:len(rb)-q]) {
		return true
	}
	return templateWords[wa] && templateWords[wb]
}

// templateWords are the words whose substitution makes a template title.
var templateWords = map[string]bool{
	"first": true, "second": true, "third": true, "fourth": true, "fifth": true, "sixth": true, "seventh": true, "eighth": true, "ninth": true, "tenth": true,
	"one": true, "two": true, "three": true, "four": true, "five": true, "six": true, "seven": true, "eight": true, "nine": true, "ten": true,
	"men": true, "women": true, "man": true, "woman": true, "boys": true, "girls": true,
}

// wordAt widens r[i:j] to whole words (spaces delimit) and returns it.
func wordAt(r []rune, i, j int) string {
	for i > 0 && r[i-1] != ' ' {
		i--
	}
	for j < len(r) && r[j] != ' ' {
		j++
	}
	return string(r[i:j])
}

func hasHan(r []rune) bool {
	for _, c := range r {
		if unicode.Is(unicode.Han, c) {
			return true
		}
	}
	return false
}

// dropTitleColumn drops a column name of 1-12 characters before "丨"
// ("｜", "|") at the start of t, and the spaces after it.
func dropTitleColumn(t string) string {
	i := strings.IndexAny(t, "丨｜|")
	if i < 0 {
		return t
	}
	if n := utf8.RuneCountInString(t[:i]); n < 1 || n > 12 {
		return t
	}
	_, w := utf8.DecodeRuneInString(t[i:])
	return strings.TrimLeft(t[i+w:], " \t\n\f\r")
}

// dropTitleSection drops a section at the end of t: "--" and 1-8
// characters without "-", "【" digits "】", or "_" and 2-20 characters
// without "_" (the leftmost when several apply).
func dropTitleSection(t string) string {
	cut := len(t)
	if i := strings.LastIndexByte(t, '-'); i >= 1 && t[i-1] == '-' {
		if n := utf8.RuneCountInString(t[i+1:]); n >= 1 && n <= 8 {
			cut = min(cut, i-1)
		}
	}
	if strings.HasSuffix(t, "】") {
		if i := strings.LastIndex(t, "【"); i >= 0 {
			d := t[i+len("【") : len(t)-len("】")]
			if d != "" && strings.Trim(d, "0123456789") == "" {
				cut = min(cut, i)
			}
		}
	}
	if i := strings.LastIndexByte(t, '_'); i >= 0 {
		if n := utf8.RuneCountInString(t[i+1:]); n >= 2 && n <= 20 {
			cut = min(cut, i)
		}
	}
	return t[:cut]
}

// wordHashes returns the sorted distinct hashes of the words of four
// ASCII letters or digits or more in s (lowercased): what two translations
// of one English text share when their word order differs.
func wordHashes(s string) []uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	var out []uint64
	h, n := uint64(offset), 0
	end := func() {
		if n >= 4 {
			out = append(out, h)
		}
		h, n = offset, 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			h = (h ^ uint64(c)) * prime
			n++
			continue
		}
		end()
	}
	end()
	slices.Sort(out)
	return slices.Compact(out)
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

// Dates and figures. A day of the month ("5月19日", "19日", "Nov. 18",
// "February 12") says which day an item reports; other digit runs and
// Chinese ordinals ("第二次", "十五届") are its figures. Months and hours
// ("5月", "9点") are neither.
//
// Chinese ordinals are "第" and a run of numerals ("第二", "第三十二"), or
// a run of numerals before "届" ("十五届").
const (
	zhNumeralsAfterDi   = "一二三四五六七八九十百零〇两"
	zhNumeralsBeforeJie = "一二三四五六七八九十百"
)

// zhOrdinals appends the Chinese ordinals of s to figs ("#" and the
// numerals), each once, leftmost first.
func zhOrdinals(s string, figs []string) []string {
	add := func(n string) {
		if n := "#" + n; !slices.Contains(figs, n) {
			figs = append(figs, n)
		}
	}
	run := func(i int, set string) int { // end of the run of numerals of set from byte i
		for i < len(s) {
			c, n := utf8.DecodeRuneInString(s[i:])
			if !strings.ContainsRune(set, c) {
				break
			}
			i += n
		}
		return i
	}
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		if c == '第' {
			if j := run(i+n, zhNumeralsAfterDi); j > i+n {
				add(s[i+n : j])
				i = j
				continue
			}
		}
		if j := run(i, zhNumeralsBeforeJie); j > i && strings.HasPrefix(s[j:], "届") {
			add(s[i:j])
			i = j + len("届")
			continue
		}
		i += n
	}
	return figs
}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

var fullMonths = map[string]string{"jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july", "aug": "august", "sep": "september", "oct": "october", "nov": "november", "dec": "december"}

// isMonth reports whether w ("Nov.", "february") names a month.
func isMonth(w string) bool {
	if len(w) < 3 {
		return false
	}
	w = strings.TrimSuffix(strings.ToLower(w), ".")
	if len(w) < 3 {
		return false
	}
	for _, m := range monthNames {
		if strings.HasPrefix(w, m) {
			return len(w) <= 4 || strings.HasPrefix(w, fullMonths[m])
		}
	}
	return false
}

// daysAndFigures splits the digit runs of s into days of the month and
// figures, each distinct, in order.
func daysAndFigures(s string) (days, figs []string) {
	prevWord := "" // the last word before the current position
	isLetter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			n := s[i:j]
			next, _ := utf8.DecodeRuneInString(s[j:])
			switch {
			case next == '日' || next == '号' || (j-i <= 2 && isMonth(prevWord)):
				if d := strings.TrimLeft(n, "0"); !slices.Contains(days, d) {
					days = append(days, d)
				}
			case next == '月' || next == '点' || next == '时':
			default:
				if !slices.Contains(figs, n) {
					figs = append(figs, n)
				}
			}
			prevWord = ""
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && (isLetter(s[j]) || s[j] == '.') {
				j++
			}
			prevWord = s[i:j]
			i = j
		case c == ' ':
			i++
		default:
			prevWord = ""
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	}
	if strings.ContainsAny(s, "第届") {
		figs = zhOrdinals(s, figs)
	}
	return days, figs
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

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
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

// shingleHashes is hashSet(shingles(text)) without building the
// shingles: the FNV-1a hash of each word 3-shingle (words joined by a
// space) and Han bigram is computed on the fly, sorted and deduplicated.
func shingleHashes(text string, out []uint64) []uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	lower := strings.ToLower(text)
	var words [3]string // the last three words
	nw := 0
	var prevHan rune
	start := -1 // byte offset of the current word
	flush := func(end int) {
		if start < 0 {
			return
		}
		words[0], words[1], words[2] = words[1], words[2], lower[start:end]
		start = -1
		if nw++; nw >= 3 {
			h := uint64(offset)
			for k, w := range words {
				if k > 0 {
					h = (h ^ ' ') * prime
				}
				for i := 0; i < len(w); i++ {
					h = (h ^ uint64(w[i])) * prime
				}
			}
			out = append(out, h)
		}
	}
	var buf [8]byte
	for i, c := range lower {
		switch {
		case unicode.Is(unicode.Han, c):
			flush(i)
			if prevHan != 0 {
				n := utf8.EncodeRune(buf[:], prevHan)
				n += utf8.EncodeRune(buf[n:], c)
				h := uint64(offset)
				for _, x := range buf[:n] {
					h = (h ^ uint64(x)) * prime
				}
				out = append(out, h)
			}
			prevHan = c
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			if start < 0 {
				start = i
			}
		default:
			flush(i)
		}
	}
	flush(len(lower))
	slices.Sort(out)
	return slices.Compact(out)
}

// Title decorations that differ between copies of one item: a column name
// before "丨" ("新华社消息丨", "两会速递丨"), a section after "--"
// ("--国际"), a page number ("【5】"), a site suffix ("_第十五届全国运动会").
func normaliseStoryTitle(t string) string {
	t = strings.TrimSpace(t)
	t = dropTitleColumn(t)
	t = dropTitleSection(t)
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
