package web

import (
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffContext is how many unchanged paragraphs are shown around a change;
// longer unchanged runs are folded into one "n unchanged paragraphs" row.
const diffContext = 1

// diffTimeout bounds one diff computation; go-diff returns a coarser (still
// correct) diff when it runs out of time.
const diffTimeout = 500 * time.Millisecond

func newDMP() *diffmatchpatch.DiffMatchPatch {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = diffTimeout
	return dmp
}

// diffRow is one row of a side-by-side diff: a paragraph of the older
// revision beside the paragraph of the newer one.
type diffRow struct {
	// Kind is "same", "changed", "deleted", "inserted" or "fold".
	Kind        string
	Left, Right []segment // Mark: the deleted (left) or inserted (right) text
	Folded      int       // unchanged paragraphs hidden by a "fold" row
}

// sideBySide diffs two texts paragraph by paragraph; paired paragraphs
// that differ are diffed again character by character, so a changed word
// in a long paragraph stands out.
func sideBySide(older, newer string) []diffRow {
	dmp := newDMP()
	a := strings.Join(paragraphs(older), "\n") + "\n"
	b := strings.Join(paragraphs(newer), "\n") + "\n"
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)

	var rows []diffRow
	var deleted []string
	flush := func(inserted []string) {
		rows = append(rows, pairParagraphs(dmp, deleted, inserted)...)
		deleted = nil
	}
	for i, d := range diffs {
		ls := splitLines(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			deleted = append(deleted, ls...)
		case diffmatchpatch.DiffInsert:
			flush(ls)
		default:
			flush(nil)
			rows = append(rows, foldSame(ls, i == 0, i == len(diffs)-1)...)
		}
	}
	flush(nil)
	return rows
}

// similarEnough is the share of a paragraph that must survive an edit for
// the old and new versions to be shown side by side as one changed
// paragraph rather than as one deleted and one added.
const similarEnough = 0.5

// pairLookahead bounds how far ahead a deleted paragraph looks for its
// edited version, so a rewrite of many paragraphs costs a bounded number of
// comparisons per paragraph.
const pairLookahead = 8

// pairParagraphs lines up a run of deleted paragraphs with the run of
// inserted ones that replaced it, in order: a pair similar enough is one
// edited paragraph, the rest are whole deletions and insertions.
func pairParagraphs(dmp *diffmatchpatch.DiffMatchPatch, deleted, inserted []string) []diffRow {
	var rows []diffRow
	i, j := 0, 0
	for i < len(deleted) || j < len(inserted) {
		switch {
		case i == len(deleted):
			rows = append(rows, diffRow{Kind: "inserted", Right: []segment{{Text: inserted[j], Mark: true}}})
			j++
		case j == len(inserted):
			rows = append(rows, diffRow{Kind: "deleted", Left: []segment{{Text: deleted[i], Mark: true}}})
			i++
		case similarity(dmp, deleted[i], inserted[j]) >= similarEnough:
			l, r := inlineDiff(dmp, deleted[i], inserted[j])
			rows = append(rows, diffRow{Kind: "changed", Left: l, Right: r})
			i, j = i+1, j+1
		default:
			// Keep whichever side has a later match: a deleted paragraph
			// whose edited version comes further down is preceded by
			// insertions, and the other way round.
			k := j + 1
			for k < min(len(inserted), j+pairLookahead) && similarity(dmp, deleted[i], inserted[k]) < similarEnough {
				k++
			}
			if k < min(len(inserted), j+pairLookahead) {
				for ; j < k; j++ {
					rows = append(rows, diffRow{Kind: "inserted", Right: []segment{{Text: inserted[j], Mark: true}}})
				}
				continue
			}
			rows = append(rows, diffRow{Kind: "deleted", Left: []segment{{Text: deleted[i], Mark: true}}})
			i++
		}
	}
	return rows
}

// similarity is the share of the longer text left unchanged by an edit
// from a to b.
func similarity(dmp *diffmatchpatch.DiffMatchPatch, a, b string) float64 {
	la, lb := len([]rune(a)), len([]rune(b))
	n := max(la, lb)
	if n == 0 {
		return 1
	}
	if float64(min(la, lb)) < similarEnough*float64(n) {
		return 0 // too different in length to be similar enough
	}
	return 1 - float64(dmp.DiffLevenshtein(dmp.DiffMain(a, b, false)))/float64(n)
}

// foldSame shows unchanged paragraphs next to changes and folds the rest.
func foldSame(ls []string, first, last bool) []diffRow {
	head, tail := diffContext, diffContext
	if first {
		head = 0
	}
	if last {
		tail = 0
	}
	var rows []diffRow
	same := func(p string) diffRow {
		return diffRow{Kind: "same", Left: []segment{{Text: p}}, Right: []segment{{Text: p}}}
	}
	if len(ls) <= head+tail+1 {
		for _, p := range ls {
			rows = append(rows, same(p))
		}
		return rows
	}
	for _, p := range ls[:head] {
		rows = append(rows, same(p))
	}
	rows = append(rows, diffRow{Kind: "fold", Folded: len(ls) - head - tail})
	for _, p := range ls[len(ls)-tail:] {
		rows = append(rows, same(p))
	}
	return rows
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// inlineDiff marks what changed between two versions of a paragraph.
func inlineDiff(dmp *diffmatchpatch.DiffMatchPatch, a, b string) (left, right []segment) {
	for _, d := range dmp.DiffCleanupSemantic(dmp.DiffMain(a, b, false)) {
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			left = append(left, segment{Text: d.Text})
			right = append(right, segment{Text: d.Text})
		case diffmatchpatch.DiffDelete:
			left = append(left, segment{Text: d.Text, Mark: true})
		case diffmatchpatch.DiffInsert:
			right = append(right, segment{Text: d.Text, Mark: true})
		}
	}
	return left, right
}
