package alert

import (
	"cmp"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/model"
)

// Topic sections follow the taxonomy's order, not the scores.
func TestDigestTopicsInTaxonomyOrder(t *testing.T) {
	labels := map[string]string{"a-first": "Alpha topic", "b-second": "Beta topic", "c-third": "Gamma topic"}
	mk := func(id int64, topic string, score float64) Item {
		it := Item{ArticleID: id, Title: "Story " + topic, URL: "https://example.org/" + topic, Score: score, Event: model.EventNew}
		fillItem(&it, []string{topic}, "", []model.TopicScore{{ID: topic, Score: score}}, labels)
		return it
	}
	d := Digest{Subscriber: "desk", PeriodEnd: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC),
		Items:      []Item{mk(1, "c-third", 0.95), mk(2, "a-first", 0.55), mk(3, "b-second", 0.75)},
		TopicOrder: []string{"a-first", "b-second", "c-third"}}
	m, err := RenderDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	plain := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m.HTML, ""))
	for _, part := range []string{plain, m.Text} {
		a, b, c := strings.Index(part, "Alpha topic ("), strings.Index(part, "Beta topic ("), strings.Index(part, "Gamma topic (")
		if a < 0 || !(a < b && b < c) {
			t.Errorf("sections not in taxonomy order (positions %d %d %d)", a, b, c)
		}
	}
}

// Only the decisive topic is shown, plus others scoring 0.5 or more.
func TestOnlyDecisiveTopicsShown(t *testing.T) {
	it := Item{Topics: []TopicScore{{ID: "a", Label: "A", Score: 0.8}, {ID: "b", Label: "B", Score: 0.5}, {ID: "c", Label: "C", Score: 0.1}}}
	got := it.ShownTopics()
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Errorf("shown topics %+v, want a and b", got)
	}
	if line := it.TopicLine(); strings.Contains(line, "C ") {
		t.Errorf("topic line shows a 0.10 topic: %q", line)
	}
	weak := Item{Topics: []TopicScore{{ID: "a", Label: "A", Score: 0.3}}}
	if len(weak.ShownTopics()) != 1 {
		t.Error("the decisive topic is always shown")
	}
}

// Excerpts are cut on sentence or word boundaries in English and on
// character boundaries in Chinese, never inside a word.
func TestExcerptBoundaries(t *testing.T) {
	words := strings.Fields(strings.Repeat("regulators extraordinarily comprehensive cybersecurity interoperability requirements ", 20))
	long := strings.Join(words, " ")
	for _, term := range []string{"", "interoperability"} {
		ex := excerpt(long+" the cross-border data term appears here "+long, cmp.Or(term, "cross-border data"))
		ex = strings.Trim(ex, "…")
		for _, w := range strings.Fields(ex) {
			if !slices.Contains(words, w) && !strings.Contains("the cross-border data term appears here", w) {
				t.Errorf("excerpt (term %q) cut a word: %q in %q", term, w, ex)
			}
		}
		if n := utf8.RuneCountInString(ex); n > excerptMax {
			t.Errorf("excerpt of %d runes, want ≤ %d", n, excerptMax)
		}
	}
	zh := strings.Repeat("国家互联网信息办公室发布数据出境安全评估办法", 30)
	ex := excerpt(zh, "")
	if !utf8.ValidString(ex) || utf8.RuneCountInString(ex) > excerptMax+1 || !strings.HasSuffix(ex, "…") {
		t.Errorf("Chinese excerpt %q", ex)
	}
	sent := excerpt(strings.Repeat("The regulator issued rules on data export assessments today. ", 8), "")
	if !strings.HasSuffix(sent, ".") {
		t.Errorf("excerpt of whole sentences should end on a sentence: %q", sent)
	}
}

// Every item shows outlet, language and the time in the reader's zone, and
// the text part carries the same content as the HTML part: every title,
// meta line, shown topic and excerpt, and the same counts.
func TestTextPartEqualsHTML(t *testing.T) {
	d := goldenDigest()
	d.Items = append(d.Items, bulkDigest(40).Items...)
	d.FullPerTopic = 2
	m, err := RenderDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	plainHTML := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m.HTML, ""))
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	text := flat(strings.NewReplacer("\n  > ", " ", "*", "").Replace(m.Text))
	textNoWrap := strings.ReplaceAll(flat(m.Text), " ", "")
	for _, it := range d.Items {
		meta := it.Meta(d.Location)
		inHTML := strings.Contains(plainHTML, it.Title)
		inText := strings.Contains(strings.ReplaceAll(textNoWrap, " ", ""), strings.ReplaceAll(it.Title, " ", ""))
		if inHTML != inText {
			t.Errorf("item %q: in HTML %v, in text %v", it.Title, inHTML, inText)
		}
		if inHTML && (!strings.Contains(plainHTML, meta) || !strings.Contains(textNoWrap, strings.ReplaceAll(meta, " ", ""))) {
			t.Errorf("item %q: meta line %q missing from a part", it.Title, meta)
		}
		if !strings.Contains(meta, it.LanguageName()) || !strings.Contains(meta, "GMT") {
			t.Errorf("meta %q lacks language or zone", meta)
		}
	}
	more := regexp.MustCompile(`and (\d+) more`)
	if a, b := more.FindString(plainHTML), more.FindString(text); a != b {
		t.Errorf("left-out counts differ: HTML %q, text %q", a, b)
	}
	if strings.Contains(plainHTML, "0.35") || strings.Contains(m.Text, "0.35") {
		t.Error("a secondary topic scoring 0.35 is shown")
	}
}
