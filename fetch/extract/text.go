package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockAtoms start a new paragraph in the rendered text.
var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Section: true,
	atom.Article: true, atom.Header: true, atom.Footer: true, atom.Figure: true, atom.Figcaption: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Hr: true, atom.Main: true, atom.Aside: true,
	atom.Center: true, atom.Form: true, atom.Nav: true, atom.Address: true, atom.Details: true,
	atom.Summary: true, atom.Caption: true, atom.Tbody: true, atom.Thead: true,
}

// skipAtoms never contribute text.
var skipAtoms = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Iframe: true,
	atom.Object: true, atom.Embed: true, atom.Svg: true, atom.Math: true, atom.Canvas: true,
	atom.Select: true, atom.Button: true, atom.Textarea: true, atom.Input: true, atom.Head: true,
	atom.Title: true, atom.Video: true, atom.Audio: true,
}

// textBuilder collects paragraphs with normalised whitespace, separated by
// blank lines, in one buffer.
type textBuilder struct {
	buf strings.Builder
	// inPara records that the current paragraph has text.
	inPara bool
	// pendingSpace records whitespace seen since the last character written.
	pendingSpace bool
}

// flush ends the current paragraph.
func (b *textBuilder) flush() {
	b.inPara = false
	b.pendingSpace = false
}

// startPara separates a paragraph's first character from the text before.
func (b *textBuilder) startPara() {
	if b.buf.Len() > 0 {
		b.buf.WriteString("\n\n")
	}
	b.inPara = true
}

func (b *textBuilder) write(s string) {
	for i := 0; i < len(s); {
		// A run of printable ASCII other than space goes in at once.
		if c := s[i]; c > ' ' && c < 0x7f {
			j := i + 1
			for j < len(s) && s[j] > ' ' && s[j] < 0x7f {
				j++
			}
			b.startChar()
			b.buf.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		if isSpace(r) || r == '\u200b' || r == '\ufeff' {
			b.pendingSpace = true
			continue
		}
		if r == utf8.RuneError {
			// Written as it is: no space before it, and whitespace before
			// it still counts before the next character.
			if !b.inPara {
				b.startPara()
			}
			b.buf.WriteString("\uFFFD")
			continue
		}
		if isControl(r) {
			continue
		}
		b.startChar()
		b.buf.WriteString(s[i-size : i])
	}
}

// startChar precedes a character with what the text before asks for: a
// paragraph break or a space.
func (b *textBuilder) startChar() {
	if !b.inPara {
		b.startPara()
	} else if b.pendingSpace {
		b.buf.WriteByte(' ')
	}
	b.pendingSpace = false
}

func (b *textBuilder) String() string {
	b.flush()
	return b.buf.String()
}

// isSpace is unicode.IsSpace, quicker for ASCII and for the runes above
// U+3000, the last white space character.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return r <= '\u3000' && unicode.IsSpace(r)
}

// isControl is unicode.IsControl: C0, DEL and C1.
func isControl(r rune) bool {
	return r < 0x20 || 0x7f <= r && r <= 0x9f
}

// nodeText renders the text of nodes as paragraphs separated by blank lines.
func nodeText(nodes ...*html.Node) string {
	var b textBuilder
	for _, n := range nodes {
		b.walk(n, 0)
		b.flush()
	}
	return b.String()
}

// maxWalkDepth bounds recursion on pathological documents.
const maxWalkDepth = 512

// (Duplicate by design: fetch/extract/reference_test.go keeps the code this replaced, frozen, as
// the reference the equivalence tests compare it with.)
func (b *textBuilder) walk(n *html.Node, depth int) {
	if depth > maxWalkDepth {
		return
	}
	var a atom.Atom
	switch n.Type {
	case html.TextNode:
		b.write(n.Data)
		return
	case html.ElementNode:
		a = elemAtom(n)
		if skipAtoms[a] {
			return
		}
		if hidden(n) {
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	block := n.Type == html.ElementNode && blockAtoms[a]
	if block {
		b.flush()
	}
	if a == atom.Td || a == atom.Th {
		b.pendingSpace = true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.walk(c, depth+1)
	}
	if block {
		b.flush()
	}
}

// elemAtom returns the element's atom. Trees built by code rather than by
// the parser (go-trafilatura's and readability's output) often set only
// Data, so the name is looked up when DataAtom is unset.
func elemAtom(n *html.Node) atom.Atom {
	if n.DataAtom != 0 {
		return n.DataAtom
	}
	return atom.Lookup([]byte(strings.ToLower(n.Data)))
}

// hidden reports elements hidden by attribute or inline style.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "style":
			s := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") {
				return true
			}
		case "aria-hidden":
			if a.Val == "true" {
				return true
			}
		}
	}
	return false
}

// cleanLine normalises whitespace of a one-line string (titles, bylines).
func cleanLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}

// runeCount counts non-space runes, the length measure used for thresholds
// (Chinese text has few spaces, so bytes or words would mislead).
func runeCount(s string) int {
	return runeCountUpTo(s, len(s))
}

// runeCountUpTo is runeCount, but stops counting at limit.
func runeCountUpTo(s string, limit int) int {
	n := 0
	for i := 0; i < len(s) && n < limit; i++ {
		if c := s[i]; c < utf8.RuneSelf {
			if !isSpace(rune(c)) {
				n++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			n++
		}
		i += size - 1
	}
	return n
}
