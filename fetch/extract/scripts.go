package extract

import (
	"bytes"
)

// emptyScripts returns page with the content of its <script> elements cut
// out, the tags themselves kept, so that the HTML parser does not read it
// byte by byte: news pages carry tens or hundreds of kilobytes of inline
// code and state, often more than their text, and nothing extracted reads
// it. JSON-LD scripts (metadata.go reads them) are kept whole. page itself
// is not changed; when there is nothing to cut it is returned as it is.
//
// The scan finds tags as the HTML tokenizer does: it steps over comments,
// doctypes, quoted attribute values and the raw text of elements such as
// <style>, <textarea> or <title>, so a "<script" inside any of them is
// not a tag. Where the tokenizer could read a script differently (a
// "<!--" inside it, which the HTML standard's escaped states treat apart),
// it stops and leaves the rest of the page as it is: cutting less is
// always safe, and the parsed tree is the same but for the script texts
// (scripts_test.go checks that on the corpora's real pages).
func emptyScripts(page []byte) []byte {
	var out []byte
	copied := 0 // page[:copied] is in out
	i := 0
	for {
		j := bytes.IndexByte(page[i:], '<')
		if j < 0 {
			break
		}
		i += j
		rest := page[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return finish(out, page, copied)
			}
			i += 4 + end + 3
			continue
		case len(rest) > 1 && (rest[1] == '!' || rest[1] == '?') ||
			len(rest) > 2 && rest[1] == '/' && !isASCIILetter(rest[2]):
			// A doctype or a bogus comment ("<!…", "<?…", "</" and no
			// letter): it ends at the first '>'.
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return finish(out, page, copied)
			}
			i += end + 1
			continue
		}
		name, attrs, end, ok := scanTag(rest)
		if !ok {
			i++ // a '<' that opens no tag is text
			continue
		}
		if end < 0 {
			return finish(out, page, copied)
		}
		i += end
		if rest[1] == '/' {
			continue
		}
		switch {
		case equalASCIIFold(name, []byte("plaintext")):
			return finish(out, page, copied)
		case equalASCIIFold(name, []byte("script")):
			close := closingTag(page[i:], []byte("script"))
			if close < 0 {
				return finish(out, page, copied)
			}
			body := page[i : i+close]
			if bytes.Contains(body, []byte("<!--")) {
				return finish(out, page, copied)
			}
			if len(body) > 0 && !isJSONLD(attrs) {
				out = append(out, page[copied:i]...)
				copied = i + close
			}
			i += close
		case equalASCIIFold(name, []byte("svg")) || equalASCIIFold(name, []byte("math")):
			// Foreign content: a script there is markup, not raw text,
			// so nothing in it is cut.
			close := closingTag(page[i:], name)
			if close < 0 {
				return finish(out, page, copied)
			}
			i += close
		case isRawText(name):
			close := closingTag(page[i:], name)
			if close < 0 {
				return finish(out, page, copied)
			}
			i += close
		}
	}
	return finish(out, page, copied)
}

// isRawText reports whether the tokenizer reads the content of the element
// named name as text up to its end tag (raw text and RCDATA; <noscript>
// too, as the parser runs with scripting on).
func isRawText(name []byte) bool {
	switch len(name) {
	case 3:
		return equalASCIIFold(name, []byte("xmp"))
	case 5:
		return equalASCIIFold(name, []byte("style")) || equalASCIIFold(name, []byte("title"))
	case 6:
		return equalASCIIFold(name, []byte("iframe"))
	case 7:
		return equalASCIIFold(name, []byte("noembed"))
	case 8:
		return equalASCIIFold(name, []byte("textarea")) || equalASCIIFold(name, []byte("noframes")) || equalASCIIFold(name, []byte("noscript"))
	}
	return false
}

// finish appends what is left of page to out; out nil means nothing was
// cut, and page is returned as it is.
func finish(out, page []byte, copied int) []byte {
	if out == nil {
		return page
	}
	return append(out, page[copied:]...)
}

// scanTag reads the tag that tag starts with ("<name …>" or "</name …>"):
// its name, its attribute bytes and the offset just past its
// '>' (-1 when the page ends inside it). ok is false when tag opens no tag
// (no letter after "<" or "</").
func scanTag(tag []byte) (name, attrs []byte, end int, ok bool) {
	i := 1
	if i < len(tag) && tag[i] == '/' {
		i++
	}
	if i >= len(tag) || !isASCIILetter(tag[i]) {
		return nil, nil, 0, false
	}
	start := i
	for i < len(tag) && !isTagSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' {
		i++
	}
	name = tag[start:i]
	attrStart := i
	// Attributes: a quote opens a value only after '=', as the tokenizer
	// reads them; an unquoted value ends at a space or '>'.
	for i < len(tag) {
		switch c := tag[i]; {
		case c == '>':
			return name, tag[attrStart:i], i + 1, true
		case c == '=':
			i++
			for i < len(tag) && isTagSpace(tag[i]) {
				i++
			}
			if i < len(tag) && (tag[i] == '"' || tag[i] == '\'') {
				q := bytes.IndexByte(tag[i+1:], tag[i])
				if q < 0 {
					return name, nil, -1, true
				}
				i += q + 2
			}
		default:
			i++
		}
	}
	return name, nil, -1, true
}

// closingTag is the offset in text of the first end tag of name ("</name"
// followed by a space, '/' or '>', in any case), or -1.
func closingTag(text, name []byte) int {
	off := 0
	for {
		j := bytes.Index(text[off:], []byte("</"))
		if j < 0 {
			return -1
		}
		at := off + j
		k := at + 2
		if k+len(name) <= len(text) && equalASCIIFold(text[k:k+len(name)], name) {
			if k+len(name) == len(text) {
				return -1
			}
			if c := text[k+len(name)]; isTagSpace(c) || c == '/' || c == '>' {
				return at
			}
		}
		off = at + 2
	}
}

// isJSONLD reports whether a script's attributes give it the JSON-LD type.
func isJSONLD(attrs []byte) bool {
	return bytes.Contains(bytes.ToLower(attrs), []byte("ld+json"))
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isTagSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// equalASCIIFold reports whether a and b are equal with ASCII letters
// compared without case, as the tokenizer compares tag names
// (bytes.EqualFold would also fold non-ASCII letters, such as 'ſ' to 's').
func equalASCIIFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
