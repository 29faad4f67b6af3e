package web

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/model"
)

// render shows marked segments in [brackets].
func render(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Mark {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

func TestHighlight(t *testing.T) {
	ev := evidenceTerms([]model.TopicScore{{ID: "x", Evidence: []model.Evidence{
		{Term: "hack*", Weight: 0.8},
		{Term: "data security", Weight: 0.5},
		{Term: "data security law", Weight: 0.4},
		{Term: "rule:hack+accusation", Weight: 0.4},
		{Term: "model:us", Weight: 0.6},
		{Term: "ai", Weight: 0.3},
		{Term: "网络安全", Weight: 1},
		{Term: "sanction", Weight: -0.5}, // counter-evidence is not highlighted
	}}})
	for _, tc := range []struct{ in, want string }{
		{"Hackers and hacking: the Data Security Law", "[Hackers] and [hacking]: the [Data Security Law]"},
		{"He said AI, not said", "He said [AI], not said"}, // "ai" only as a word
		{"shacks are not hacks", "shacks are not [hacks]"}, // a prefix term starts a word
		{"维护网络安全和数据安全", "维护[网络安全]和数据安全"},                   // Han terms match anywhere
		{"sanctions", "sanctions"},
		{"", ""},
	} {
		if got := render(highlight(tc.in, ev)); got != tc.want {
			t.Errorf("highlight(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	st := searchTerms([]string{"regulat", "数据安全"})
	if got := render(highlight("Regulations on 数据安全管理", st)); got != "[Regulations] on [数据安全]管理" {
		t.Errorf("search highlight: %q", got)
	}
}

func TestSideBySide(t *testing.T) {
	older := "One.\n\nTwo.\n\nThree.\n\nFour.\n\nFive.\n\nSix has a word.\n\nSeven."
	newer := "One.\n\nTwo.\n\nThree.\n\nFour.\n\nFive.\n\nSix has one word.\n\nSeven.\n\nEight is new."
	var kinds []string
	for _, r := range sideBySide(older, newer) {
		kinds = append(kinds, r.Kind)
		if r.Kind == "changed" && (render(r.Left) != "Six has [a] word." || render(r.Right) != "Six has [one] word.") {
			t.Errorf("changed row: %q | %q", render(r.Left), render(r.Right))
		}
		if r.Kind == "fold" && r.Folded != 4 {
			t.Errorf("folded %d paragraphs, want 4", r.Folded)
		}
	}
	if got := strings.Join(kinds, " "); got != "fold same changed same inserted" {
		t.Errorf("rows %s", got)
	}
	if rows := sideBySide("same", "same"); len(rows) != 1 || rows[0].Kind != "same" {
		t.Errorf("identical texts: %+v", rows)
	}
}

func TestRawHelpers(t *testing.T) {
	for h, want := range map[string]bool{"gzip, deflate, br": true, "br": false, "gzip;q=0": false, "GZIP": true, "": false} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", h)
		if acceptsGzip(r) != want {
			t.Errorf("acceptsGzip(%q) = %v", h, !want)
		}
	}
	for in, want := range map[string]string{"gb18030": "gb18030", "utf-8": "utf-8", "x\"; evil": "", "": ""} {
		if got := safeCharset(in); got != want {
			t.Errorf("safeCharset(%q) = %q", in, got)
		}
	}
}

// Highlighting never loses or reorders text, whatever the text and terms.
func FuzzHighlight(f *testing.F) {
	f.Add("Hackers and hacking: the Data Security Law", "hack*")
	f.Add("维护网络安全和数据安全", "网络安全")
	f.Add("İstanbul ǅemal straße", "ǆ")
	f.Fuzz(func(t *testing.T, text, termText string) {
		if !utf8.ValidString(text) {
			return
		}
		terms := evidenceTerms([]model.TopicScore{{Evidence: []model.Evidence{{Term: termText, Weight: 1}}}})
		terms = append(terms, searchTerms(strings.Fields(termText))...)
		var b strings.Builder
		for _, s := range highlight(text, terms) {
			if s.Mark && s.Text == "" {
				t.Fatalf("empty mark")
			}
			b.WriteString(s.Text)
		}
		if b.String() != text {
			t.Fatalf("highlight changed the text: %q → %q", text, b.String())
		}
		_ = sideBySide(text, termText)
	})
}
