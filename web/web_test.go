package web_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
	"github.com/wirewatch/wirewatch/web"
)

// testUI is the UI on a seeded database, served by httptest on loopback.
type testUI struct {
	srv *httptest.Server
	fx  fixture
	rst *store.Store
	db  *storetest.Database
}

func newUI(t testing.TB, cfg config.Web) *testUI {
	t.Helper()
	db := storetest.New(t)
	fx := seed(t, db.Store)
	logger := slog.New(slog.DiscardHandler)
	rst, err := store.OpenReader(context.Background(), db.Config(), 2, logger)
	if err != nil {
		t.Fatalf("open reader: %v", err)
	}
	t.Cleanup(rst.Close)
	ui, err := web.New(cfg, "127.0.0.1:0", logger)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	ui.SetStore(rst)
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)
	return &testUI{srv: srv, fx: fx, rst: rst, db: db}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (u *testUI) get(t testing.TB, path string) response {
	t.Helper()
	return do(t, u.srv.Client(), u.srv.URL+path, nil)
}

func do(t testing.TB, c *http.Client, target string, edit func(*http.Request)) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", target, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func mustOK(t testing.TB, r response, what string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: status %d, body:\n%s", what, r.status, r.body)
	}
}

// order returns the positions of each string in body, failing when one is
// missing.
func order(t testing.TB, body string, parts ...string) []int {
	t.Helper()
	out := make([]int, len(parts))
	for i, p := range parts {
		out[i] = strings.Index(body, p)
		if out[i] < 0 {
			t.Fatalf("page lacks %q", p)
		}
	}
	return out
}

func titleOf(key string) string {
	for _, a := range seedArticles {
		if a.key == key {
			if a.editedTitle != "" {
				return a.editedTitle
			}
			return a.title
		}
	}
	panic("no seed article " + key)
}

func TestSearchEnglishAndChinese(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())

	r := u.get(t, "/search?q="+url.QueryEscape("hacking"))
	mustOK(t, r, "English search")
	if !strings.Contains(r.body, fmt.Sprintf(`href="/articles/%d"`, u.fx.ids["hacking"])) {
		t.Errorf("English search does not list the hacking article:\n%s", r.body)
	}
	if !strings.Contains(r.body, "<mark>hacking</mark>") {
		t.Errorf("English search does not highlight the match")
	}
	if strings.Contains(r.body, "Panda") {
		t.Errorf("English search lists an unrelated article")
	}

	r = u.get(t, "/search?q="+url.QueryEscape("数据安全"))
	mustOK(t, r, "Chinese search")
	if !strings.Contains(r.body, fmt.Sprintf(`href="/articles/%d"`, u.fx.ids["zh-datasec"])) {
		t.Errorf("Chinese search does not list the Chinese data-security article:\n%s", r.body)
	}
	if !strings.Contains(r.body, "<mark>数据安全</mark>") {
		t.Errorf("Chinese search does not highlight the match")
	}
	if strings.Contains(r.body, titleOf("zh-hacking")) {
		t.Errorf("Chinese search lists an article without the phrase")
	}
}

func TestSearchFiltersAndPaging(t *testing.T) {
	t.Parallel()
	cfg := config.DefaultWeb()
	cfg.PageSize = 3
	u := newUI(t, cfg)

	// Outlet and language: Xinhua publishes in both languages.
	r := u.get(t, "/search?outlet=Xinhua&lang=zh")
	mustOK(t, r, "filters")
	if !strings.Contains(r.body, titleOf("zh-hacking")) || strings.Contains(r.body, titleOf("datasec")) {
		t.Errorf("outlet+language filter: want only Xinhua's Chinese article")
	}
	// Relevant only drops the panda story.
	r = u.get(t, "/search?relevant=1")
	mustOK(t, r, "relevant only")
	if strings.Contains(r.body, "Panda cub") {
		t.Errorf("relevant-only lists an irrelevant article")
	}
	// Topic.
	r = u.get(t, "/search?topic=hacking-espionage")
	mustOK(t, r, "topic")
	if !strings.Contains(r.body, titleOf("hacking")) || strings.Contains(r.body, "Panda cub") {
		t.Errorf("topic filter wrong")
	}
	// Date range (inclusive days): everything is younger than 8 days.
	day := time.Now().UTC().AddDate(0, 0, -8).Format(time.DateOnly)
	r = u.get(t, "/search?until="+day)
	mustOK(t, r, "until")
	if !strings.Contains(r.body, `id="noresults"`) {
		t.Errorf("until 8 days ago: want nothing found")
	}
	r = u.get(t, "/search?since="+day+"&q=hacking")
	mustOK(t, r, "since")
	if !strings.Contains(r.body, fmt.Sprintf(`href="/articles/%d"`, u.fx.ids["hacking"])) {
		t.Errorf("since 8 days ago: hacking article missing")
	}

	// Paging: 7 articles, 3 a page.
	titles := regexp.MustCompile(`class="title" href="/articles/(\d+)"`)
	seen := map[string]bool{}
	for page := 1; page <= 3; page++ {
		r := u.get(t, fmt.Sprintf("/search?page=%d", page))
		mustOK(t, r, "page")
		ids := titles.FindAllStringSubmatch(r.body, -1)
		want := 3
		if page == 3 {
			want = 1
		}
		if len(ids) != want {
			t.Fatalf("page %d: %d results, want %d", page, len(ids), want)
		}
		for _, m := range ids {
			if seen[m[1]] {
				t.Errorf("article %s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		hasNext := strings.Contains(r.body, `rel="next"`)
		if hasNext != (page < 3) {
			t.Errorf("page %d: next link %v", page, hasNext)
		}
	}

	// Newest first by default; best match on request (the title match of
	// the older article ranks first).
	link := func(key string) string { return fmt.Sprintf(`class="title" href="/articles/%d"`, u.fx.ids[key]) }
	r = u.get(t, "/search?q=cyberspace")
	if pos := order(t, r.body, link("hacking"), link("rumors")); pos[0] > pos[1] {
		t.Errorf("default order is not newest first")
	}
	r = u.get(t, "/search?q=cyberspace&sort=rank")
	if pos := order(t, r.body, link("hacking"), link("rumors")); pos[0] < pos[1] {
		t.Errorf("sort=rank does not put the title match first")
	}
	if !strings.Contains(r.body, "Best match among the newest 300 matches") {
		t.Errorf("sort=rank does not say how many matches it ranks (web.rank_window)")
	}
	if r = u.get(t, "/search?q=cyberspace"); strings.Contains(r.body, `class="rankwindow"`) {
		t.Errorf("newest first speaks of the rank window")
	}

	// Bad input gets a clear message, not a 500.
	for _, q := range []string{"since=yesterday", "lang=fr", "page=0", "page=x", "sort=random"} {
		r := u.get(t, "/search?"+q)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `id="error"`) {
			t.Errorf("%s: status %d, want 400 with a message", q, r.status)
		}
	}
	r = u.get(t, "/search?q="+url.QueryEscape("the and of"))
	if r.status != http.StatusOK || !strings.Contains(r.body, "nothing to search for") {
		t.Errorf("stop-word search: status %d", r.status)
	}
}

func TestSearchExport(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	r := u.get(t, "/search?q=hacking")
	mustOK(t, r, "search")
	if !strings.Contains(r.body, `href="/export?q=hacking&amp;format=csv"`) {
		t.Fatalf("no CSV export link on the results page")
	}
	r = u.get(t, "/export?q=hacking&format=csv")
	mustOK(t, r, "csv export")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("csv Content-Type %q", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	if strings.Join(recs[0], ",") != strings.Join(store.ExportColumns, ",") {
		t.Errorf("csv header %v, want the columns of wirewatch export", recs[0])
	}
	found := false
	for _, rec := range recs[1:] {
		if rec[0] == fmt.Sprint(u.fx.ids["hacking"]) {
			found = true
			if !strings.Contains(rec[16], "Volt Typhoon") {
				t.Errorf("csv body_text lacks the text")
			}
		}
	}
	if !found {
		t.Errorf("csv export lacks the hacking article")
	}

	r = u.get(t, "/export?q="+url.QueryEscape("黑客")+"&format=jsonl")
	mustOK(t, r, "jsonl export")
	sc := bufio.NewScanner(strings.NewReader(r.body))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var row store.ExportRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("jsonl line %d: %v", n+1, err)
		}
		if row.ID != u.fx.ids["zh-hacking"] {
			t.Errorf("jsonl: unexpected article %d", row.ID)
		}
		n++
	}
	if n != 1 {
		t.Errorf("jsonl: %d rows, want 1", n)
	}
	if r := u.get(t, "/export?q=x&format=xml"); r.status != http.StatusBadRequest {
		t.Errorf("unknown export format: status %d", r.status)
	}
}

// An article of a story names the other outlets that carried it, with
// links to their articles; one without a story has no such section.
func TestArticlePageShowsStory(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	ctx := context.Background()
	a, b := u.fx.ids["datasec"], u.fx.ids["zh-datasec"]
	if _, err := u.db.Store.Pool.Exec(ctx, `WITH s AS (INSERT INTO stories (first_article_id) VALUES ($1) RETURNING id)
		UPDATE articles SET story_id = (SELECT id FROM s) WHERE id IN ($1, $2)`, a, b); err != nil {
		t.Fatal(err)
	}
	r := u.get(t, fmt.Sprintf("/articles/%d", a))
	mustOK(t, r, "article")
	if !strings.Contains(r.body, "Also carried by") || !strings.Contains(r.body, fmt.Sprintf(`href="/articles/%d"`, b)) {
		t.Errorf("story section missing or without a link to article %d", b)
	}
	r = u.get(t, fmt.Sprintf("/articles/%d", u.fx.ids["panda"]))
	mustOK(t, r, "article")
	if strings.Contains(r.body, "Also carried by") {
		t.Error("an article without a story shows a story section")
	}
}

func TestArticlePageShowsEvidence(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	id := u.fx.ids["datasec"]
	r := u.get(t, fmt.Sprintf("/articles/%d", id))
	mustOK(t, r, "article")
	// The classifier's evidence phrases (which ones depends on the trained
	// model) are highlighted in the text.
	if n := strings.Count(r.body, "<mark>"); n < 2 {
		t.Errorf("article page highlights %d evidence phrases, want at least 2", n)
	}
	for _, want := range []string{
		`<span class="topic">data-security</span>`,
		`href="https://english.news.cn/20261204/network-data-regulation/c.html"`,
		fmt.Sprintf(`href="/articles/%d/raw"`, id),
		"Xinhua", "relevant · score",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("article page lacks %q", want)
		}
	}
	if r := u.get(t, "/articles/999999"); r.status != http.StatusNotFound {
		t.Errorf("missing article: status %d", r.status)
	}
	if r := u.get(t, "/articles/abc"); r.status != http.StatusNotFound {
		t.Errorf("bad id: status %d", r.status)
	}

	// The raw page is shown as text, in a sandbox: its script never runs.
	r = u.get(t, fmt.Sprintf("/articles/%d/raw", id))
	mustOK(t, r, "raw")
	if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("raw Content-Type %q", ct)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
		t.Errorf("raw CSP %q", csp)
	}
	if !strings.Contains(r.body, `<script>document.title="pwned"</script>`) {
		t.Errorf("raw page body not the stored page")
	}
	// A client that does not take gzip gets it decompressed.
	r = do(t, &http.Client{Transport: &http.Transport{DisableCompression: true}}, u.srv.URL+fmt.Sprintf("/articles/%d/raw", id), nil)
	if r.header.Get("Content-Encoding") != "" || !strings.Contains(r.body, "<h1>") {
		t.Errorf("raw without gzip: encoding %q", r.header.Get("Content-Encoding"))
	}
}

func TestRevisionsShowDiff(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	r := u.get(t, fmt.Sprintf("/articles/%d/revisions", u.fx.ids["hacking"]))
	mustOK(t, r, "revisions")
	for _, want := range []string{
		"Revision 1 → 2",
		// a paragraph edited: the change is marked inside it
		`<td class="old">China is itself a major victim`,
		"issues<ins> and to return to dialogue</ins>.",
		// a paragraph deleted, another added
		`<tr class="deleted"><td class="old"><del>&#34;The United States is the world&#39;s largest hacker empire,&#34;`,
		`<tr class="inserted"><td class="old"></td><td class="new"><ins>The spokesperson also called on the international community`,
		"<ins>, calls for dialogue</ins>", // the title's change
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("revisions page lacks %q", want)
		}
	}
	r = u.get(t, fmt.Sprintf("/articles/%d/revisions", u.fx.ids["datasec"]))
	mustOK(t, r, "single revision")
	if !strings.Contains(r.body, "Only one version was ever seen") {
		t.Errorf("an unedited article should say it has one version")
	}
}

// (Alike by design: every page test opens with a UI on the fixture and one checked page.)
func TestChangesPageAndFeed(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	r := u.get(t, "/changes")
	mustOK(t, r, "changes")
	pos := order(t, r.body, titleOf("rumors"), titleOf("hacking"))
	if pos[0] > pos[1] {
		t.Errorf("the latest change (the removal, 1 h ago) should come before the edit (3 h ago)")
	}
	if strings.Contains(r.body, titleOf("panda")) {
		t.Errorf("an unchanged article is listed")
	}

	r = u.get(t, "/changes.atom")
	mustOK(t, r, "atom")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Errorf("atom Content-Type %q", ct)
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Entries []struct {
			Title string `xml:"title"`
			ID    string `xml:"id"`
			Links []struct {
				Rel  string `xml:"rel,attr"`
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(r.body), &feed); err != nil {
		t.Fatalf("atom: %v", err)
	}
	if len(feed.Entries) != 2 {
		t.Fatalf("atom: %d entries, want 2", len(feed.Entries))
	}
	if feed.Entries[0].Title != "Removed: "+titleOf("rumors") || feed.Entries[1].Title != "Edited: "+titleOf("hacking") {
		t.Errorf("atom titles: %q, %q", feed.Entries[0].Title, feed.Entries[1].Title)
	}
	if want := u.srv.URL + fmt.Sprintf("/articles/%d/revisions#r2", u.fx.ids["hacking"]); feed.Entries[1].Links[0].Href != want {
		t.Errorf("atom link %q, want %q", feed.Entries[1].Links[0].Href, want)
	}
}

func TestSourcesBrokenFirst(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	r := u.get(t, "/sources")
	mustOK(t, r, "sources")
	names := regexp.MustCompile(`<span class="name">([^<]+)</span>`).FindAllStringSubmatch(r.body, -1)
	if len(names) != len(seedSources) {
		t.Fatalf("%d sources listed, want %d", len(names), len(seedSources))
	}
	if names[0][1] != "chinadaily-china" || names[1][1] != "cac-gov-cn" {
		t.Errorf("broken sources not first (most failures first): %v, %v", names[0][1], names[1][1])
	}
	if !strings.Contains(r.body, "2 broken") || !strings.Contains(r.body, "listing page matched no items") {
		t.Errorf("sources page does not show what is broken")
	}
	// Items in the last 24 h of People's Daily IT: zh-datasec (20 h ago).
	row := r.body[strings.Index(r.body, "people-cn-it"):]
	row = row[:strings.Index(row, "</tr>")]
	if cells := regexp.MustCompile(`<td class="num">([^<]*)</td>`).FindAllStringSubmatch(row, -1); len(cells) != 3 || cells[0][1] != "1" || cells[1][1] != "1" || cells[2][1] != "100%" {
		t.Errorf("people-cn-it counts: %v", cells)
	}
}

// The sources page says, per source, how many articles the backfill
// policy held back, and their sum; sources that held none back say
// nothing.
func TestSourcesShowHeldBack(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	r := u.get(t, "/sources")
	mustOK(t, r, "sources")
	rows := regexp.MustCompile(`(?s)<tr class="[^"]*">.*?</tr>`).FindAllString(r.body, -1)
	if len(rows) != len(seedSources) {
		t.Fatalf("%d source rows, want %d", len(rows), len(seedSources))
	}
	for _, row := range rows {
		held := strings.Contains(row, "held back by the backfill policy")
		switch {
		case strings.Contains(row, ">xinhua-english-china<"):
			if !strings.Contains(row, `<div class="small held-back">12 held back by the backfill policy</div>`) {
				t.Errorf("xinhua-english-china row does not say 12 held back:\n%s", row)
			}
		case held:
			t.Errorf("a source that held nothing back says it did:\n%s", row)
		}
	}
	if !strings.Contains(r.body, "12 articles were held back by the backfill policy") || !strings.Contains(r.body, "wirewatch alert replay") {
		t.Errorf("the page does not sum the held-back articles or say how to send them")
	}
	// With nothing held back anywhere the page says nothing of it.
	if _, err := u.db.Store.Pool.Exec(context.Background(), `UPDATE sources SET held_back = 0`); err != nil {
		t.Fatal(err)
	}
	if r := u.get(t, "/sources"); strings.Contains(r.body, "held back") {
		t.Errorf("the sources page mentions held-back articles when there are none")
	}
}

// (Alike by design: every page test opens with a UI on the fixture and one checked page.)
func TestDeliveriesFailedFirst(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	r := u.get(t, "/deliveries")
	mustOK(t, r, "deliveries")
	pos := order(t, r.body, `<span class="badge st-failed">failed</span>`, `<span class="badge st-sent">sent</span>`, "502 Bad Gateway")
	if pos[0] > pos[1] {
		t.Errorf("failed deliveries not first")
	}
	r = u.get(t, "/deliveries?subscriber=policy-desk&status=pending")
	mustOK(t, r, "filtered deliveries")
	if strings.Count(r.body, `class="badge st-`) != 1 || !strings.Contains(r.body, titleOf("zh-datasec")) {
		t.Errorf("filter by subscriber and status wrong")
	}
	if r := u.get(t, "/deliveries?status=lost"); r.status != http.StatusBadRequest {
		t.Errorf("bad status filter: %d", r.status)
	}
}

func TestSecurityHeadersEscapingAndMethods(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	for _, p := range []string{"/search", "/search?q=x", "/sources", "/deliveries", "/changes", fmt.Sprintf("/articles/%d", u.fx.ids["hacking"]), "/nope"} {
		r := u.get(t, p)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: missing nosniff or frame denial", p)
		}
		if strings.Contains(r.body, "<script") || strings.Contains(r.body, " style=") || strings.Contains(r.body, "<style") {
			t.Errorf("%s: inline script or style in the page", p)
		}
	}
	r := u.get(t, "/search?q="+url.QueryEscape(`"><script>alert(1)</script>`))
	if strings.Contains(r.body, "<script>alert(1)") {
		t.Errorf("search text reflected unescaped")
	}
	res, err := u.srv.Client().Post(u.srv.URL+"/search", "application/x-www-form-urlencoded", strings.NewReader("q=x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", res.StatusCode)
	}
	r = u.get(t, "/static/style.css")
	mustOK(t, r, "stylesheet")
}

func TestQueriesRunAsReader(t *testing.T) {
	t.Parallel()
	u := newUI(t, config.DefaultWeb())
	ctx := context.Background()
	var role string
	if err := u.rst.Pool.QueryRow(ctx, `SELECT current_user`).Scan(&role); err != nil || role != store.ReaderRole {
		t.Fatalf("web pool runs as %q (%v), want %s", role, err, store.ReaderRole)
	}
	_, err := u.rst.Pool.Exec(ctx, `UPDATE articles SET title = 'x'`)
	if err == nil {
		t.Fatal("the web pool could write")
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultWeb()
	cfg.PasswordHash = config.Secret(hash)
	u := newUI(t, cfg)
	c := u.srv.Client()
	r := do(t, c, u.srv.URL+"/sources", nil)
	if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("no credentials: status %d", r.status)
	}
	r = do(t, c, u.srv.URL+"/sources", func(req *http.Request) { req.SetBasicAuth("analyst", "wrong password") })
	if r.status != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d", r.status)
	}
	r = do(t, c, u.srv.URL+"/sources", func(req *http.Request) { req.SetBasicAuth("someone", "correct horse battery") })
	if r.status != http.StatusUnauthorized {
		t.Errorf("wrong user: status %d", r.status)
	}
	for range 2 { // the second is served from the verified-credentials cache
		r = do(t, c, u.srv.URL+"/sources", func(req *http.Request) { req.SetBasicAuth("analyst", "correct horse battery") })
		mustOK(t, r, "right password")
	}
}

func TestProxyHeaderLogin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		trusted string
		header  bool
		want    int
	}{
		{"127.0.0.1/32", true, http.StatusOK},
		{"127.0.0.1/32", false, http.StatusForbidden},
		{"10.0.0.0/8", true, http.StatusForbidden}, // the header from an untrusted address counts for nothing
	} {
		cfg := config.DefaultWeb()
		cfg.ProxyHeader = "X-Forwarded-User"
		cfg.TrustedProxies = []string{tc.trusted}
		u := newUI(t, cfg)
		r := do(t, u.srv.Client(), u.srv.URL+"/sources", func(req *http.Request) {
			if tc.header {
				req.Header.Set("X-Forwarded-User", "li.wei@example.org")
			}
		})
		if r.status != tc.want {
			t.Errorf("trusted %s, header %v: status %d, want %d", tc.trusted, tc.header, r.status, tc.want)
		}
	}
}

func TestNonLoopbackNeedsLogin(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	open := config.DefaultWeb()
	for _, addr := range []string{"0.0.0.0:9091", ":9091", "[::]:9091", "192.0.2.7:9091", "wirewatch.example.org:80"} {
		if _, err := web.New(open, addr, logger); !errors.Is(err, config.ErrWebNeedsLogin) {
			t.Errorf("%s without login: %v, want ErrWebNeedsLogin", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:9091", "127.0.0.2:80", "[::1]:9091", "localhost:9091"} {
		if _, err := web.New(open, addr, logger); err != nil {
			t.Errorf("%s (loopback) without login: %v", addr, err)
		}
	}
	withHash := open
	withHash.PasswordHash = "$2a$10$abcdefghijklmnopqrstuu1234567890123456789012345678901"
	if _, err := web.New(withHash, "0.0.0.0:9091", logger); err != nil {
		t.Errorf("with a password hash: %v", err)
	}
}

func TestNotReadyUntilStore(t *testing.T) {
	t.Parallel()
	ui, err := web.New(config.DefaultWeb(), "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui.Mount(http.NotFoundHandler()))
	defer srv.Close()
	if r := do(t, srv.Client(), srv.URL+"/search", nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("before the store: status %d", r.status)
	}
}
