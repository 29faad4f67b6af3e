package alert

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/model"
)

// Item is one article as a message shows it: the content of an immediate
// alert, of one digest entry and of one webhook body.
type Item struct {
	// DeliveryID is the deliveries row (0 in previews of unsent items).
	DeliveryID int64 `json:"-"`
	// ArticleID is the articles row.
	ArticleID int64 `json:"article_id"`
	// Event is "new", "changed" or "removed".
	Event string `json:"event"`
	// URL is the article's canonical URL.
	URL string `json:"url"`
	// Title is the headline as extracted (untrusted).
	Title string `json:"title"`
	// Outlet names the publisher.
	Outlet string `json:"outlet"`
	// Language is "en", "zh" or "".
	Language string `json:"language"`
	// PublishedAt is the publication time (first-seen time when unknown).
	PublishedAt time.Time `json:"published_at"`
	// Score is the article's overall relevance score, 0 to 1.
	Score float64 `json:"score"`
	// Topics are the article's topics, best first.
	Topics []TopicScore `json:"topics"`
	// Excerpt is a one- or two-sentence passage with the evidence.
	Excerpt string `json:"excerpt"`
	// Terms are the matched phrases highlighted in Excerpt.
	Terms []string `json:"matched_terms"`
	// Edited is set when the outlet changed the text after first sight.
	Edited bool `json:"edited"`
	// Removed is set when the outlet took the article down.
	Removed bool `json:"removed"`
	// SummaryOnly is set when the article was judged on the feed's summary
	// alone (the page could not be fetched or yielded no text).
	SummaryOnly bool `json:"summary_only"`
	// StoryID is the story cluster the article belongs to (0: none).
	StoryID int64 `json:"story_id,omitempty"`
	// AlsoCarriedBy names the other outlets that carried the same story
	// (digests show one item per story).
	AlsoCarriedBy []string `json:"also_carried_by,omitempty"`
}

// TopicScore is one topic of an Item.
type TopicScore struct {
	ID    string  `json:"id"`
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// SafeURL returns the URL when it is an absolute http(s) URL, else "":
// a hostile feed cannot make a message link to javascript: or data:.
func (it Item) SafeURL() string {
	return safeURL(it.URL)
}

func safeURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

// Segment is a run of excerpt text, highlighted or not.
type Segment struct {
	Text string
	Mark bool
}

// Segments splits the excerpt at the matched terms.
func (it Item) Segments() []Segment { return highlight(it.Excerpt, it.Terms) }

// PrimaryTopic is the topic the item is grouped under.
func (it Item) PrimaryTopic() TopicScore {
	if len(it.Topics) == 0 {
		return TopicScore{ID: "other", Label: "Other"}
	}
	return it.Topics[0]
}

// NewItem builds the message content of a stored article; labels names
// the topics (from the taxonomy).
func NewItem(a model.StoredArticle, labels map[string]string) Item {
	it := Item{ArticleID: a.ID, URL: a.URL, Title: a.Title, Outlet: a.Outlet, Language: a.Language,
		PublishedAt: a.PublishedAt, Score: a.Score, Edited: a.Edited, Removed: a.Removed, SummaryOnly: a.SummaryOnly, StoryID: a.StoryID}
	fillItem(&it, a.Topics, a.Summary, slices.Clone(a.Scores), labels)
	return it
}

// fillItem derives topics, excerpt and terms from the classification.
func fillItem(it *Item, relevantTopics []string, summary string, scores []model.TopicScore, labels map[string]string) {
	it.Title = cleanText(it.Title)
	if it.Title == "" {
		it.Title = "(untitled)"
	}
	it.Outlet = cleanText(it.Outlet)
	slices.SortStableFunc(scores, func(a, b model.TopicScore) int { return cmp.Compare(b.Score, a.Score) })
	for _, s := range scores {
		if len(relevantTopics) > 0 && !slices.Contains(relevantTopics, s.ID) {
			continue
		}
		if s.Score <= 0 {
			continue
		}
		it.Topics = append(it.Topics, TopicScore{ID: s.ID, Label: topicLabel(s.ID, labels), Score: s.Score})
	}
	if len(it.Topics) == 0 {
		for _, t := range relevantTopics {
			it.Topics = append(it.Topics, TopicScore{ID: t, Label: topicLabel(t, labels)})
		}
	}
	// The excerpt: the heaviest evidence passage outside the title, from the
	// best topic first; the summary when there is none.
	var best *model.Evidence
	seenTerm := map[string]bool{}
	for i := range scores {
		if len(relevantTopics) > 0 && !slices.Contains(relevantTopics, scores[i].ID) {
			continue
		}
		for j := range scores[i].Evidence {
			e := &scores[i].Evidence[j]
			term := strings.TrimSpace(e.Term)
			if term != "" && !strings.HasPrefix(term, "rule:") && !seenTerm[strings.ToLower(term)] {
				seenTerm[strings.ToLower(term)] = true
				it.Terms = append(it.Terms, term)
			}
			if e.Snippet == "" || e.Field == "title" {
				continue
			}
			if best == nil || e.Weight > best.Weight {
				best = e
			}
		}
	}
	switch {
	case best != nil:
		it.Excerpt = excerpt(best.Snippet, best.Term)
	case summary != "":
		it.Excerpt = excerpt(summary, "")
	}
}

// topicLabel names a topic: the taxonomy's label, else the id made readable.
func topicLabel(id string, labels map[string]string) string {
	if l := labels[id]; l != "" {
		return l
	}
	s := strings.ReplaceAll(id, "-", " ")
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// cleanText collapses whitespace and drops control characters.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// excerptMax is the longest excerpt in runes.
const excerptMax = 280

// excerpt cuts a passage to at most two sentences (and excerptMax runes)
// around term.
func excerpt(s, term string) string {
	s = cleanText(s)
	r := []rune(s)
	if len(r) <= excerptMax && sentenceCount(r) <= 2 {
		return s
	}
	// Centre on the term when the passage is long.
	start := 0
	if term != "" {
		if i := indexFold(r, []rune(term)); i > excerptMax/2 {
			start = i - excerptMax/3
			// Begin at a sentence start when one is near, else at a word
			// (or, in Chinese, a character) boundary.
			sentence := false
			for k := start; k < i; k++ {
				if isSentenceEnd(r[k]) {
					start, sentence = k+1, true
					break
				}
			}
			if !sentence {
				for k := start; k < i; k++ {
					if r[k] == ' ' || isHan(r[k]) || isHan(r[k-1]) {
						start = k
						break
					}
				}
			}
		}
	}
	r = r[start:]
	end := len(r)
	sentences := 0
	for k, c := range r {
		if isSentenceEnd(c) {
			sentences++
			if sentences == 2 {
				end = k + 1
				break
			}
		}
	}
	if end > excerptMax {
		end = cutPoint(r, excerptMax)
	}
	out := strings.TrimSpace(string(r[:end]))
	if start > 0 {
		out = "…" + out
	}
	if end < len(r) && !isSentenceEnd(r[end-1]) {
		out += "…"
	}
	return out
}

// cutPoint is where to cut r to at most max runes: after the last sentence
// end in the second half, else at the last word boundary (a space, or
// beside a Han character: Chinese has no spaces), else at max (one word
// longer than half the excerpt).
func cutPoint(r []rune, max int) int {
	for k := max; k > max/2; k-- {
		if isSentenceEnd(r[k-1]) {
			return k
		}
	}
	for k := max; k > max/2; k-- {
		if r[k] == ' ' || isHan(r[k]) || isHan(r[k-1]) || (unicode.IsPunct(r[k-1]) && !unicode.IsLetter(r[k])) {
			return k
		}
	}
	return max
}

func isHan(c rune) bool { return unicode.Is(unicode.Han, c) }

func isSentenceEnd(c rune) bool {
	return c == '.' || c == '!' || c == '?' || c == '。' || c == '！' || c == '？'
}

func sentenceCount(r []rune) int {
	n := 0
	for _, c := range r {
		if isSentenceEnd(c) {
			n++
		}
	}
	return n
}

// indexFold finds needle in hay ignoring case, in runes.
func indexFold(hay, needle []rune) int {
	if len(needle) == 0 || len(needle) > len(hay) {
		return -1
	}
outer:
	for i := 0; i+len(needle) <= len(hay); i++ {
		for j, c := range needle {
			if unicode.ToLower(hay[i+j]) != unicode.ToLower(c) {
				continue outer
			}
		}
		return i
	}
	return -1
}

// highlight splits s into marked and unmarked runs; every occurrence of a
// term (case-insensitive) is marked, longest terms first.
func highlight(s string, terms []string) []Segment {
	if s == "" {
		return nil
	}
	r := []rune(s)
	mark := make([]bool, len(r))
	sorted := slices.Clone(terms)
	slices.SortFunc(sorted, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, t := range sorted {
		tr := []rune(strings.TrimSpace(t))
		if len(tr) < 2 {
			continue
		}
		for off := 0; off < len(r); {
			i := indexFold(r[off:], tr)
			if i < 0 {
				break
			}
			for k := off + i; k < off+i+len(tr); k++ {
				mark[k] = true
			}
			off += i + len(tr)
		}
	}
	var out []Segment
	for i := 0; i < len(r); {
		j := i
		for j < len(r) && mark[j] == mark[i] {
			j++
		}
		out = append(out, Segment{Text: string(r[i:j]), Mark: mark[i]})
		i = j
	}
	return out
}
