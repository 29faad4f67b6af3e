package web

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wirewatch/wirewatch/store"
)

// The Atom feed of edited and removed articles (RFC 4287).

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title   string     `xml:"title"`
	ID      string     `xml:"id"`
	Updated string     `xml:"updated"`
	Links   []atomLink `xml:"link"`
	Summary string     `xml:"summary"`
}

// changesFeed serves the latest page of changes as Atom. Each edit and each
// removal is its own entry (its id names the article and the revision or
// the removal), so a feed reader shows a second edit as news.
func (s *Server) changesFeed(ctx context.Context, st *store.Store, w http.ResponseWriter, r *http.Request) error {
	q, _, err := changesQuery(r.URL.Query(), s.cfg.PageSize)
	if err != nil {
		return err
	}
	q.Limit = s.cfg.PageSize
	items, err := st.Changes(ctx, q)
	if err != nil {
		return err
	}
	base := baseURL(r)
	self := base + "/changes.atom"
	if q.RelevantOnly {
		self += "?relevant=1"
	}
	f := atomFeed{
		Title:  "wirewatch: articles edited or removed after publication",
		ID:     self,
		Links:  []atomLink{{Rel: "self", Href: self, Type: "application/atom+xml"}, {Rel: "alternate", Href: base + "/changes", Type: "text/html"}},
		Author: atomAuthor{Name: "wirewatch"},
	}
	updated := time.Unix(0, 0).UTC()
	for _, it := range items {
		if it.ChangedAt.After(updated) {
			updated = it.ChangedAt
		}
		e := atomEntry{Updated: it.ChangedAt.UTC().Format(time.RFC3339)}
		page := base + "/articles/" + strconv.FormatInt(it.ID, 10)
		if it.Kind == "removed" {
			e.Title = "Removed: " + it.Title
			e.ID = fmt.Sprintf("%s#removed-%d", page, it.ChangedAt.Unix())
			e.Summary = fmt.Sprintf("%s removed this article; wirewatch noticed at %s.", it.Outlet, when(it.ChangedAt))
			e.Links = []atomLink{{Rel: "alternate", Href: page, Type: "text/html"}}
		} else {
			e.Title = "Edited: " + it.Title
			e.ID = fmt.Sprintf("%s/revisions#r%d", page, it.Revision)
			e.Summary = fmt.Sprintf("%s changed this article: revision %d, seen at %s.", it.Outlet, it.Revision, when(it.ChangedAt))
			e.Links = []atomLink{{Rel: "alternate", Href: fmt.Sprintf("%s/revisions#r%d", page, it.Revision), Type: "text/html"}}
		}
		e.Links = append(e.Links, atomLink{Rel: "related", Href: it.URL})
		f.Entries = append(f.Entries, e)
	}
	f.Updated = updated.Format(time.RFC3339)
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("web: atom feed: %w", err)
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
	return nil
}

// baseURL is the UI's address as the visitor reached it, for the absolute
// links a feed needs.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
