package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/store"
)

// maxOffset bounds how deep paging goes (store.MaxSearchLimit results).
const maxOffset = store.MaxSearchLimit

// searchForm is the search page's query string, parsed.
type searchForm struct {
	Q, Outlet, Lang, Topic, Since, Until string
	Relevant                             bool
	// ByRank orders by relevance to the text instead of newest first.
	// Newest first is the default: it is what a monitoring desk reads, and
	// it stays fast however many articles match, where ranking must score
	// every match (seconds for a term in a third of a 200,000-article
	// archive; see the README's performance section).
	ByRank bool
	Page   int
}

func parseSearchForm(v url.Values) (searchForm, store.SearchQuery, error) {
	f := searchForm{
		Q: strings.TrimSpace(v.Get("q")), Outlet: v.Get("outlet"), Lang: v.Get("lang"), Topic: v.Get("topic"),
		Since: strings.TrimSpace(v.Get("since")), Until: strings.TrimSpace(v.Get("until")),
		Relevant: v.Get("relevant") == "1", Page: 1,
	}
	switch sort := v.Get("sort"); sort {
	case "", "date":
	case "rank":
		f.ByRank = true
	default:
		return f, store.SearchQuery{}, badRequest("Sort must be date or rank, not %q.", sort)
	}
	q := store.SearchQuery{Text: f.Q, Outlet: f.Outlet, Topic: f.Topic, RelevantOnly: f.Relevant, ByDate: !f.ByRank}
	switch f.Lang {
	case "", "en", "zh":
		q.Language = f.Lang
	default:
		return f, q, badRequest("Language must be en or zh, not %q.", f.Lang)
	}
	var err error
	if q.Since, err = parseDay(f.Since, "From"); err != nil {
		return f, q, err
	}
	if q.Until, err = parseDay(f.Until, "To"); err != nil {
		return f, q, err
	}
	if !q.Until.IsZero() {
		q.Until = q.Until.AddDate(0, 0, 1) // the form's "to" day is included
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return f, q, badRequest("Page must be a number from 1, not %q.", p)
		}
		f.Page = n
	}
	return f, q, nil
}

// parseDay reads a YYYY-MM-DD date (UTC midnight).
func parseDay(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, badRequest("%s date must look like 2026-03-04, not %q.", field, s)
	}
	return t, nil
}

// query returns the form as a query string, with page set (0: none).
func (f searchForm) query(page int) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Q, "outlet": f.Outlet, "lang": f.Lang, "topic": f.Topic, "since": f.Since, "until": f.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Relevant {
		v.Set("relevant", "1")
	}
	if f.ByRank {
		v.Set("sort", "rank")
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v.Encode()
}

// exportURL links to the export of every result in format.
func (f searchForm) exportURL(format string) string {
	q := f.query(0)
	if q != "" {
		q += "&"
	}
	return "/export?" + q + "format=" + format
}

type searchHit struct {
	store.SearchResult
	TitleMarks, SnippetMarks []segment
}

type searchPage struct {
	Form      searchForm
	Choices   store.FilterChoices
	Searched  bool
	Message   string
	Hits      []searchHit
	FirstRank int
	LastRank  int
	PrevURL   string
	NextURL   string
	ExportCSV string
	ExportJSL string
	// RankWindow is web.rank_window: best match ranks the newest this
	// many matches, which the page says.
	RankWindow int
}

func (s *Server) search(ctx context.Context, st *store.Store, r *http.Request) (view, error) {
	f, q, err := parseSearchForm(r.URL.Query())
	if err != nil {
		return view{}, err
	}
	p := searchPage{Form: f, RankWindow: s.cfg.RankWindow}
	if p.Choices, err = st.SearchFilterChoices(ctx); err != nil {
		return view{}, err
	}
	title := "Search"
	if f.Q != "" {
		title = f.Q + " — search"
	}
	offset := (f.Page - 1) * s.cfg.PageSize
	if offset > maxOffset {
		return view{}, badRequest("Results stop at %d; narrow the search down with the filters.", maxOffset)
	}
	q.Limit = s.cfg.PageSize + 1
	q.RankWindow = s.cfg.RankWindow
	res, err := st.SearchPage(ctx, q, offset)
	if errors.Is(err, store.ErrEmptyQuery) {
		p.Message = "There is nothing to search for in that text (only punctuation or common English words)."
		return view{name: "search", title: title, data: p}, nil
	}
	if err != nil {
		return view{}, err
	}
	p.Searched = true
	more := len(res) > s.cfg.PageSize
	if more {
		res = res[:s.cfg.PageSize]
	}
	terms := searchTerms(store.HighlightTerms(f.Q))
	for _, x := range res {
		p.Hits = append(p.Hits, searchHit{SearchResult: x, TitleMarks: highlight(x.Title, terms), SnippetMarks: highlight(x.Snippet, terms)})
	}
	p.FirstRank, p.LastRank = offset+1, offset+len(res)
	if f.Page > 1 {
		p.PrevURL = "/search?" + f.query(f.Page-1)
	}
	if more && offset+s.cfg.PageSize < maxOffset {
		p.NextURL = "/search?" + f.query(f.Page+1)
	}
	if len(res) > 0 {
		p.ExportCSV, p.ExportJSL = f.exportURL("csv"), f.exportURL("jsonl")
	}
	return view{name: "search", title: title, data: p}, nil
}

// export streams every result of a search (up to web.export_max) in the
// columns of `wirewatch export`.
func (s *Server) export(ctx context.Context, st *store.Store, w http.ResponseWriter, r *http.Request) error {
	_, q, err := parseSearchForm(r.URL.Query())
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	ctype := map[string]string{"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}[format]
	if ctype == "" {
		return badRequest("Export format must be csv or jsonl, not %q.", format)
	}
	q.Limit = s.cfg.ExportMax
	q.RankWindow = s.cfg.RankWindow
	res, err := st.SearchPage(ctx, q, 0)
	if errors.Is(err, store.ErrEmptyQuery) {
		return badRequest("There is nothing to search for in that text.")
	}
	if err != nil {
		return err
	}
	ids := make([]int64, len(res))
	for i, x := range res {
		ids[i] = x.ID
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="wirewatch-search-%s.%s"`, time.Now().UTC().Format("20060102-150405"), format))
	n, err := st.ExportArticles(ctx, ids, format, w)
	if err != nil && n == 0 {
		// Nothing was sent yet (rows leave in 64 KiB blocks): an error page
		// can still replace the download.
		w.Header().Del("Content-Disposition")
		return err
	}
	if err != nil {
		// Rows are out: all that is left is to log it and cut the download
		// short.
		s.log.Error("web export failed", "rows", len(ids), "written", n, "error", err)
		return errWritten
	}
	return nil
}

func articleID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, &httpError{status: http.StatusNotFound, msg: "No such article."}
	}
	return id, nil
}

// requestedArticle reads the article the request's path names.
func requestedArticle(ctx context.Context, st *store.Store, r *http.Request) (store.ArticleView, error) {
	id, err := articleID(r)
	if err != nil {
		return store.ArticleView{}, err
	}
	return st.Article(ctx, id)
}

type topicView struct {
	ID       string
	Score    float64
	Evidence []evidenceView
}

type evidenceView struct {
	Term, Field string
	Weight      float64
	Snippet     []segment
}

type articlePage struct {
	A          store.ArticleView
	TitleMarks []segment
	Paragraphs [][]segment
	Topics     []topicView
	Marked     int // evidence phrases found in the text
}

func (s *Server) article(ctx context.Context, st *store.Store, r *http.Request) (view, error) {
	a, err := requestedArticle(ctx, st, r)
	if err != nil {
		return view{}, err
	}
	terms := evidenceTerms(a.Scores)
	p := articlePage{A: a, TitleMarks: highlight(a.Title, terms)}
	p.Marked += countMarks(p.TitleMarks)
	text := a.BodyText
	if text == "" {
		text = a.Summary
	}
	for _, para := range paragraphs(text) {
		segs := highlight(para, terms)
		p.Marked += countMarks(segs)
		p.Paragraphs = append(p.Paragraphs, segs)
	}
	for _, t := range a.Scores {
		tv := topicView{ID: t.ID, Score: t.Score}
		for _, e := range t.Evidence {
			tv.Evidence = append(tv.Evidence, evidenceView{Term: e.Term, Field: e.Field, Weight: e.Weight, Snippet: highlight(e.Snippet, terms)})
		}
		p.Topics = append(p.Topics, tv)
	}
	return view{name: "article", title: a.Title, data: p}, nil
}

func countMarks(segs []segment) int {
	n := 0
	for _, s := range segs {
		if s.Mark {
			n++
		}
	}
	return n
}

type revisionStep struct {
	From, To     store.RevisionView
	TitleChanged bool
	OldTitle     []segment
	NewTitle     []segment
	Rows         []diffRow
}

type revisionsPage struct {
	A     store.ArticleView
	First *store.RevisionView
	Steps []revisionStep // newest first
}

func (s *Server) revisions(ctx context.Context, st *store.Store, r *http.Request) (view, error) {
	a, err := requestedArticle(ctx, st, r)
	if err != nil {
		return view{}, err
	}
	revs, err := st.Revisions(ctx, a.ID)
	if err != nil {
		return view{}, err
	}
	p := revisionsPage{A: a}
	if len(revs) > 0 {
		p.First = &revs[0]
	}
	for i := len(revs) - 1; i > 0; i-- {
		from, to := revs[i-1], revs[i]
		step := revisionStep{From: from, To: to, Rows: sideBySide(from.BodyText, to.BodyText)}
		if from.Title != to.Title {
			step.TitleChanged = true
			step.OldTitle, step.NewTitle = inlineDiff(newDMP(), from.Title, to.Title)
		}
		p.Steps = append(p.Steps, step)
	}
	return view{name: "revisions", title: "Revisions of " + a.Title, data: p}, nil
}

// raw serves the page bytes stored with a revision as plain text in their
// original charset, sandboxed: an outlet's HTML is shown, never run.
func (s *Server) raw(ctx context.Context, st *store.Store, w http.ResponseWriter, r *http.Request) error {
	id, err := articleID(r)
	if err != nil {
		return err
	}
	rev := 0
	if v := r.URL.Query().Get("revision"); v != "" {
		if rev, err = strconv.Atoi(v); err != nil || rev < 1 {
			return badRequest("Revision must be a number from 1, not %q.", v)
		}
	}
	p, err := st.RawPage(ctx, id, rev)
	if errors.Is(err, store.ErrNotFound) {
		return &httpError{status: http.StatusNotFound, msg: "No raw page was kept for that article or revision."}
	}
	if err != nil {
		return err
	}
	return writeRaw(w, r, p)
}

type changesPage struct {
	Relevant bool
	Items    []store.ChangedArticle
	Page     int
	PrevURL  string
	NextURL  string
	FeedURL  string
}

func changesQuery(v url.Values, pageSize int) (store.ChangeQuery, int, error) {
	q := store.ChangeQuery{RelevantOnly: v.Get("relevant") == "1", Limit: pageSize + 1}
	page := 1
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || (n-1)*pageSize > maxOffset {
			return q, 0, badRequest("Page must be a number from 1 to %d, not %q.", maxOffset/pageSize+1, p)
		}
		page = n
	}
	q.Offset = (page - 1) * pageSize
	return q, page, nil
}

func (s *Server) changes(ctx context.Context, st *store.Store, r *http.Request) (view, error) {
	q, page, err := changesQuery(r.URL.Query(), s.cfg.PageSize)
	if err != nil {
		return view{}, err
	}
	items, err := st.Changes(ctx, q)
	if err != nil {
		return view{}, err
	}
	p := changesPage{Relevant: q.RelevantOnly, Page: page, FeedURL: "/changes.atom"}
	rel := ""
	if q.RelevantOnly {
		rel = "relevant=1&"
		p.FeedURL += "?relevant=1"
	}
	if len(items) > s.cfg.PageSize {
		items = items[:s.cfg.PageSize]
		p.NextURL = fmt.Sprintf("/changes?%spage=%d", rel, page+1)
	}
	if page > 1 {
		p.PrevURL = fmt.Sprintf("/changes?%spage=%d", rel, page-1)
	}
	p.Items = items
	return view{name: "changes", title: "Edited or removed after publication", data: p}, nil
}

type sourcesPage struct {
	Sources []store.SourceStatus
	Broken  int
	// HeldBack is the sum of the sources' held-back articles.
	HeldBack int
}

func (s *Server) sources(ctx context.Context, st *store.Store, _ *http.Request) (view, error) {
	src, err := st.SourceStatuses(ctx)
	if err != nil {
		return view{}, err
	}
	p := sourcesPage{Sources: src}
	for _, x := range src {
		if x.Broken() {
			p.Broken++
		}
		p.HeldBack += x.HeldBack
	}
	return view{name: "sources", title: "Sources", data: p}, nil
}

type deliveriesPage struct {
	Subscriber  string
	Status      string
	Statuses    []string
	Subscribers []store.SubscriberDeliveries
	Rows        []store.DeliveryRow
	PrevURL     string
	NextURL     string
}

func (s *Server) deliveries(ctx context.Context, st *store.Store, r *http.Request) (view, error) {
	v := r.URL.Query()
	p := deliveriesPage{Subscriber: v.Get("subscriber"), Status: v.Get("status"),
		Statuses: []string{"", "failed", "pending", "sending", "sent", "cancelled"}}
	if !slices.Contains(p.Statuses, p.Status) {
		return view{}, badRequest("Status must be pending, sending, sent, failed or cancelled, not %q.", p.Status)
	}
	page := 1
	if ps := v.Get("page"); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || (n-1)*s.cfg.PageSize > maxOffset {
			return view{}, badRequest("Page must be a number from 1, not %q.", ps)
		}
		page = n
	}
	var err error
	if p.Subscribers, err = st.SubscriberDeliveryCounts(ctx); err != nil {
		return view{}, err
	}
	rows, err := st.Deliveries(ctx, store.DeliveryQuery{Subscriber: p.Subscriber, Status: p.Status,
		Limit: s.cfg.PageSize + 1, Offset: (page - 1) * s.cfg.PageSize})
	if err != nil {
		return view{}, err
	}
	link := func(n int) string {
		q := url.Values{}
		if p.Subscriber != "" {
			q.Set("subscriber", p.Subscriber)
		}
		if p.Status != "" {
			q.Set("status", p.Status)
		}
		q.Set("page", strconv.Itoa(n))
		return "/deliveries?" + q.Encode()
	}
	if len(rows) > s.cfg.PageSize {
		rows = rows[:s.cfg.PageSize]
		p.NextURL = link(page + 1)
	}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	p.Rows = rows
	return view{name: "deliveries", title: "Deliveries", data: p}, nil
}
