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
		n := max(len(deleted), len(inserted))
		for i := range n {
			switch {
			case i < len(deleted) && i < len(inserted):
				l, r := inlineDiff(dmp, deleted[i], inserted[i])
				rows = append(rows, diffRow{Kind: "changed", Left: l, Right: r})
			case i < len(deleted):
				rows = append(rows, diffRow{Kind: "deleted", Left: []segment{{Text: deleted[i], Mark: true}}})
			default:
				rows = append(rows, diffRow{Kind: "inserted", Right: []segment{{Text: inserted[i], Mark: true}}})
			}
		}
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
