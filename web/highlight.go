package web

import (
	"slices"
	"strings"
	"unicode"

	"github.com/wirewatch/wirewatch/model"
)

// segment is a piece of text, marked or not; templates escape Text.
type segment struct {
	Text string
	Mark bool
}

// term is something to highlight. Latin terms match at a word start; a
// whole term must also end at a word end unless it is a prefix ("hack*",
// or a search word cut to its stem).
type term struct {
	r      []rune // lower-cased
	prefix bool
}

// searchTerms are the highlights of a search text.
func searchTerms(words []string) []term {
	out := make([]term, 0, len(words))
	for _, w := range words {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, term{r: []rune(strings.ToLower(w)), prefix: true})
		}
	}
	return sortTerms(out)
}

// evidenceTerms are the matched taxonomy terms of a classification:
// "rule:" and "model:" evidence names a rule or a model feature, not a
// phrase of the text, and is left out.
func evidenceTerms(scores []model.TopicScore) []term {
	seen := map[string]bool{}
	var out []term
	for _, t := range scores {
		for _, e := range t.Evidence {
			if e.Weight <= 0 || strings.HasPrefix(e.Term, "rule:") || strings.HasPrefix(e.Term, "model") {
				continue
			}
			s := strings.ToLower(strings.TrimSpace(e.Term))
			prefix := strings.HasSuffix(s, "*")
			s = strings.TrimSpace(strings.TrimSuffix(s, "*"))
			if s == "" || seen[s] {
				continue
			}
			seen[s] = true
			out = append(out, term{r: []rune(s), prefix: prefix})
		}
	}
	return sortTerms(out)
}

// sortTerms puts longer terms first, so the longest match at a position
// wins.
func sortTerms(ts []term) []term {
	slices.SortStableFunc(ts, func(a, b term) int { return len(b.r) - len(a.r) })
	return ts
}

func isWordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !unicode.Is(unicode.Han, r)
}

// highlight cuts text into segments, marking every occurrence of terms
// (case-insensitive).
func highlight(text string, terms []term) []segment {
	if len(terms) == 0 || text == "" {
		return []segment{{Text: text}}
	}
	src := []rune(text)
	low := make([]rune, len(src))
	for i, r := range src {
		low[i] = unicode.ToLower(r)
	}
	var out []segment
	plain := 0
	for i := 0; i < len(low); {
		n := matchAt(low, i, terms)
		if n == 0 {
			i++
			continue
		}
		if plain < i {
			out = append(out, segment{Text: string(src[plain:i])})
		}
		out = append(out, segment{Text: string(src[i : i+n]), Mark: true})
		i += n
		plain = i
	}
	if plain < len(src) {
		out = append(out, segment{Text: string(src[plain:])})
	}
	return out
}

// matchAt returns the length of the first term matching low at i, or 0.
func matchAt(low []rune, i int, terms []term) int {
	for _, t := range terms {
		n := len(t.r)
		if n == 0 || i+n > len(low) || low[i] != t.r[0] || !slices.Equal(low[i:i+n], t.r) {
			continue
		}
		if isWordRune(t.r[0]) && i > 0 && isWordRune(low[i-1]) {
			continue // inside a word
		}
		if !t.prefix && isWordRune(t.r[n-1]) && i+n < len(low) && isWordRune(low[i+n]) {
			continue // the word goes on
		}
		if t.prefix && isWordRune(t.r[n-1]) {
			// Mark the rest of the word too: "hack*" marks "hacking".
			for i+n < len(low) && isWordRune(low[i+n]) {
				n++
			}
		}
		return n
	}
	return 0
}

// paragraphs splits text at line breaks, dropping empty lines.
func paragraphs(text string) []string {
	var out []string
	for p := range strings.SplitSeq(text, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
