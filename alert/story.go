package alert

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/wirewatch/wirewatch/internal/runes"
)

// Story clusters: the same story carried by several outlets (wire copy is
// the norm in state media) is shown once, with the other outlets named.
//
// Finding an article's story takes two steps. A 64-bit SimHash of its
// normalised text (the title and the start of the body, as word 3-shingles
// for spaced scripts and character 2-shingles for Han text) is stored with
// the article; recent articles of the same language whose fingerprints
// differ in at most StoryCandidateDistance bits are candidates. A text
// check (SameStoryText, story_match.go) then decides on each candidate,
// nearest first.

// StoryTextRunes is how much of an article's text (after the title) the
// fingerprint reads: rewrites of one wire item agree most at the start, and
// a feed summary or truncated lead shares only its first 150-300 characters
// with the full text (docs/stories.md).
const StoryTextRunes = 150

// storyFingerprintOnlyDistance was the whole rule before the text check:
// two articles whose fingerprints differed in at most 11 bits were one
// story. The evaluation still reports it for comparison.
const storyFingerprintOnlyDistance = 11

// storyMinShingles is the fewest shingles a fingerprint needs: a text with
// fewer (a bare title of a few words) gets none and joins no story. The
// check needs at least as many shared shingles (storyMatchParams.minShared).
const storyMinShingles = 4

// StoryFingerprint returns the SimHash of an article for clustering, and
// false when the text is too short to tell stories apart.
func StoryFingerprint(title, text string) (uint64, bool) {
	return storyFingerprintWith(title, text, storyShipped)
}

// storyParams are the fingerprint's settings.
type storyParams struct {
	textRunes     int  // runes of text read after the title
	minShingles   int  // fewest shingles for a fingerprint
	stripDateline bool // drop a leading wire dateline ("BEIJING, Dec. 5 (Xinhua) --", "新华社北京12月5日电") from the text
}

var storyShipped = storyParams{textRunes: StoryTextRunes, minShingles: storyMinShingles, stripDateline: true}

// storyFingerprintWith is StoryFingerprint with its settings as parameters.
func storyFingerprintWith(title, text string, p storyParams) (uint64, bool) {
	if p.stripDateline {
		text = stripDateline(text)
	}
	in := title + "\n" + runes.Prefix(text, p.textRunes)
	sh := shingles(in)
	if len(sh) < p.minShingles {
		return 0, false
	}
	var votes [64]int
	for _, s := range sh {
		v := fnv64a(s)
		for b := range 64 {
			if v&(1<<b) != 0 {
				votes[b]++
			} else {
				votes[b]--
			}
		}
	}
	var fp uint64
	for b, v := range votes {
		if v > 0 {
			fp |= 1 << b
		}
	}
	return fp, true
}

// fnv64a is the 64-bit FNV-1a hash of s (as hash/fnv's, without its
// allocation per call).
func fnv64a(s string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	v := uint64(offset)
	for i := 0; i < len(s); i++ {
		v ^= uint64(s[i])
		v *= prime
	}
	return v
}

// Wire datelines: copies of one item keep or drop them, and in a short
// window they weigh a lot.
var (
	datelineEN = regexp.MustCompile(`^\s*[A-Z][A-Z .'-]*(, [A-Z][A-Za-z .'-]*)?, [A-Z][a-z]{2,4}\.? \d{1,2} \([^)]{1,40}\) *(--|—|-) *`)
	datelineZH = regexp.MustCompile(`^\s*新华社[^电，。]{1,16}?\d{1,2}月\d{1,2}日电\s*(（[^）]{0,40}）)?\s*`)
)

// stripDateline drops a leading wire dateline from text.
func stripDateline(text string) string {
	// Cheap tests first: most texts have no dateline, and the regular
	// expressions cost more than the rest of a story check.
	lead := strings.TrimLeft(text, " \t\n\f\r")
	if lead == "" {
		return text
	}
	if c := lead[0]; c >= 'A' && c <= 'Z' && strings.IndexByte(text, '(') >= 0 {
		if m := datelineEN.FindStringIndex(text); m != nil {
			return text[m[1]:]
		}
	}
	if strings.HasPrefix(lead, "新华社") {
		if m := datelineZH.FindStringIndex(text); m != nil {
			return text[m[1]:]
		}
	}
	return text
}

// shingles normalises text (case, punctuation, width) into overlapping
// tokens: three consecutive words, or two consecutive Han characters.
func shingles(text string) []string {
	var words []string
	var han []rune
	var cur strings.Builder
	// (Alike by design: a splitter of its own; alert/render.go's tokens
	// splits for display with other rules.)
	flushWord := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, c := range strings.ToLower(text) {
		switch {
		case unicode.Is(unicode.Han, c):
			flushWord()
			han = append(han, c)
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			cur.WriteRune(c)
		default:
			flushWord()
		}
	}
	flushWord()
	var out []string
	for i := 0; i+3 <= len(words); i++ {
		out = append(out, strings.Join(words[i:i+3], " "))
	}
	for i := 0; i+2 <= len(han); i++ {
		out = append(out, string(han[i:i+2]))
	}
	return out
}

// FoldStories keeps one item per story: the best-scoring one (ties: the
// earliest), with the other outlets that carried it in AlsoCarriedBy.
// Items without a story stay as they are; the order is that of the kept
// items' first appearance.
func FoldStories(items []Item) []Item {
	best := map[int64]int{} // story → index in out
	var out []Item
	for _, it := range items {
		if it.StoryID == 0 {
			out = append(out, it)
			continue
		}
		i, ok := best[it.StoryID]
		if !ok {
			best[it.StoryID] = len(out)
			out = append(out, it)
			continue
		}
		kept := &out[i]
		other := it
		if it.Score > kept.Score || (it.Score == kept.Score && it.PublishedAt.Before(kept.PublishedAt)) {
			other = *kept
			it.AlsoCarriedBy = kept.AlsoCarriedBy
			*kept = it
		}
		if o := other.Outlet; o != "" && o != kept.Outlet && !slices.Contains(kept.AlsoCarriedBy, o) {
			kept.AlsoCarriedBy = append(kept.AlsoCarriedBy, o)
		}
		for _, o := range other.AlsoCarriedBy {
			if o != kept.Outlet && !slices.Contains(kept.AlsoCarriedBy, o) {
				kept.AlsoCarriedBy = append(kept.AlsoCarriedBy, o)
			}
		}
	}
	return out
}
