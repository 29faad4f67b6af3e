// Package opml reads and writes OPML subscription lists, the format feed
// readers (Miniflux, FreshRSS, Feedly, NetNewsWire, …) exchange. It reads
// OPML 1.0 and 2.0, folders (outlines without a feed inside which feeds
// are nested) and the OPML 2.0 category attribute, and writes OPML 2.0.
package opml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// MaxSize caps the OPML document read (a subscription list of 10,000 feeds
// is about 2 MB).
const MaxSize = 16 << 20

// Feed is one subscription.
type Feed struct {
	Title    string // text or title attribute
	XMLURL   string // the feed's address
	HTMLURL  string // the site's address, if given
	Language string // language attribute (OPML 2.0), if given
	Category string // the folder, nested folders joined with "/"; "" for none
}

type outline struct {
	Attrs    []xml.Attr `xml:",any,attr"`
	Outlines []outline  `xml:"outline"`
}

// attr finds an attribute by local name, ignoring case: xmlUrl is written
// xmlurl by some old exporters.
func (o outline) attr(name string) string {
	for _, a := range o.Attrs {
		if a.Name.Space == "" && strings.EqualFold(a.Name.Local, name) {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

type document struct {
	XMLName xml.Name  `xml:"opml"`
	Version string    `xml:"version,attr"`
	Title   string    `xml:"head>title"`
	Body    []outline `xml:"body>outline"`
}

// Parse reads an OPML document and returns its feeds in document order.
// Outlines without xmlUrl are folders; their text names the category of the
// feeds inside them.
func Parse(r io.Reader) ([]Feed, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("opml: read: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("opml: document larger than %d bytes", MaxSize)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charset.NewReaderLabel
	var doc document
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("opml: empty document")
		}
		return nil, fmt.Errorf("opml: not an OPML document: %w", err)
	}
	var feeds []Feed
	var walk func(os []outline, folder []string)
	walk = func(os []outline, folder []string) {
		for _, o := range os {
			text := o.attr("text")
			if text == "" {
				text = o.attr("title")
			}
			u := o.attr("xmlUrl")
			if u == "" {
				if text != "" {
					walk(o.Outlines, append(folder[:len(folder):len(folder)], text))
				} else {
					walk(o.Outlines, folder)
				}
				continue
			}
			f := Feed{Title: text, XMLURL: u, HTMLURL: o.attr("htmlUrl"), Language: o.attr("language"), Category: strings.Join(folder, "/")}
			if f.Category == "" {
				// OPML 2.0: category="/Tech/Security,/Tags/x"; the first is the folder.
				c, _, _ := strings.Cut(o.attr("category"), ",")
				f.Category = strings.Trim(strings.TrimSpace(c), "/")
			}
			feeds = append(feeds, f)
			walk(o.Outlines, folder) // feeds nested in a feed (rare) are kept too
		}
	}
	walk(doc.Body, nil)
	return feeds, nil
}

type outOutline struct {
	XMLName  xml.Name      `xml:"outline"`
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Language string        `xml:"language,attr,omitempty"`
	Children []*outOutline `xml:"outline"`
}

// Write writes feeds as an OPML 2.0 document titled title, feeds grouped
// in folders by Category (nested at "/"), in the order given.
func Write(w io.Writer, title string, created time.Time, feeds []Feed) error {
	root := &outOutline{}
	folders := map[string]*outOutline{"": root}
	var folder func(path string) *outOutline
	folder = func(path string) *outOutline {
		if f, ok := folders[path]; ok {
			return f
		}
		parent, name := "", path
		if i := strings.LastIndex(path, "/"); i >= 0 {
			parent, name = path[:i], path[i+1:]
		}
		f := &outOutline{Text: name, Title: name}
		p := folder(parent)
		p.Children = append(p.Children, f)
		folders[path] = f
		return f
	}
	for _, f := range feeds {
		p := folder(strings.Trim(f.Category, "/"))
		p.Children = append(p.Children, &outOutline{
			Text: f.Title, Title: f.Title, Type: "rss", XMLURL: f.XMLURL, HTMLURL: f.HTMLURL, Language: f.Language,
		})
	}
	doc := struct {
		XMLName xml.Name `xml:"opml"`
		Version string   `xml:"version,attr"`
		Head    struct {
			Title       string `xml:"title"`
			DateCreated string `xml:"dateCreated"`
		} `xml:"head"`
		Body struct {
			Outlines []*outOutline `xml:"outline"`
		} `xml:"body"`
	}{Version: "2.0"}
	doc.Head.Title = title
	doc.Head.DateCreated = created.UTC().Format(time.RFC1123Z)
	doc.Body.Outlines = root.Children
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("opml: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("opml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("opml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
