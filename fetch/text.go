package fetch

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// reTag finds something that really is an HTML tag, so that titles such as
// "x<y for all y" are not mistaken for markup.
var reTag = regexp.MustCompile(`(?i)</?[a-z][a-z0-9]*(\s[^<>]*)?/?>|<!--`)

// PlainText turns a feed title or summary into one line of plain text: markup
// removed (script and style dropped), entities decoded, NUL and other control
// characters removed, whitespace collapsed, and cut to maxRunes runes (0: no
// limit).
func PlainText(s string, maxRunes int) string {
	if reTag.MatchString(s) {
		s = stripTags(s)
	} else if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return cleanText(s, maxRunes)
}

// stripTags returns the text of an HTML fragment.
func stripTags(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script, atom.Style, atom.Template:
				skip++
			default:
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script, atom.Style, atom.Template:
				if skip > 0 {
					skip--
				}
			default:
				b.WriteByte(' ')
			}
		}
	}
}

// cleanText removes control characters, zero-width spaces and BOMs,
// collapses whitespace (including U+00A0 and the ideographic space U+3000)
// and truncates. A U+FFFD left by a decoded "&#0;" is kept: it marks a defect
// in the source, and is harmless.
func cleanText(s string, maxRunes int) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	n := 0
	for _, r := range s {
		if maxRunes > 0 && n >= maxRunes {
			break
		}
		switch {
		case unicode.IsSpace(r) || r == '\u00a0' || r == '\u3000':
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), r == '\u200b', r == '\ufeff':
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
