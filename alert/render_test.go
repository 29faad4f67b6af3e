package alert

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/wirewatch/wirewatch/alert/alerttest"
	"github.com/wirewatch/wirewatch/config"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/wirewatch/wirewatch/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenDigest is a fixed digest: English and Chinese articles, three
// topics, an edited and a removed one, and a hostile title.
func goldenDigest() Digest {
	london, _ := time.LoadLocation("Europe/London")
	labels := map[string]string{
		"data-security":     "Data security and cross-border data",
		"hacking-espionage": "Hacking, cyber espionage and accusations",
		"tech-restrictions": "Tech restrictions and sanctions on ICT firms",
	}
	mk := func(id int64, url, title, outlet, lang string, pub time.Time, score float64, topics []model.TopicScore, edited, removed bool, event string) Item {
		it := Item{ArticleID: id, URL: url, Title: title, Outlet: outlet, Language: lang, PublishedAt: pub, Score: score, Edited: edited, Removed: removed, Event: event}
		var ids []string
		for _, t := range topics {
			ids = append(ids, t.ID)
		}
		fillItem(&it, ids, "", topics, labels)
		return it
	}
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	return Digest{
		Subscriber:  "policy-desk",
		Location:    london,
		PeriodStart: time.Date(2026, 11, 22, 8, 0, 0, 0, london),
		PeriodEnd:   time.Date(2026, 11, 23, 8, 0, 0, 0, london),
		Items: []Item{
			mk(101, "https://english.news.cn/20261122/data-rules.html", "China finalises rules on cross-border data transfers for critical operators", "Xinhua", "en",
				day.Add(9*time.Hour+15*time.Minute), 0.91,
				[]model.TopicScore{{ID: "data-security", Score: 0.91, Evidence: []model.Evidence{
					{Term: "cross-border data", Field: "body", Weight: 3, Snippet: "The Cyberspace Administration of China said the rules on cross-border data transfers take effect on 1 January. Critical information infrastructure operators must pass a security assessment."},
					{Term: "security assessment", Field: "body", Weight: 1},
				}}}, false, false, model.EventNew),
			mk(102, "http://www.people.com.cn/n1/2026/1122/c1001.html", "国家网信办发布《网络数据安全管理条例》实施细则", "人民网", "zh",
				day.Add(3*time.Hour), 0.84,
				[]model.TopicScore{{ID: "data-security", Score: 0.84, Evidence: []model.Evidence{
					{Term: "网络数据安全", Field: "body", Weight: 2, Snippet: "国家互联网信息办公室22日发布《网络数据安全管理条例》实施细则，明确数据出境安全评估的适用范围。"},
				}}}, true, false, model.EventNew),
			mk(103, "https://www.globaltimes.cn/page/202611/1300001.shtml", "Beijing accuses foreign intelligence agency of cyberattacks on research institute", "Global Times", "en",
				day.Add(14*time.Hour+40*time.Minute), 0.88,
				[]model.TopicScore{
					{ID: "hacking-espionage", Score: 0.88, Evidence: []model.Evidence{{Term: "cyberattacks", Field: "body", Weight: 2, Snippet: "The National Computer Virus Emergency Response Center said the cyberattacks targeted a research institute in Wuhan. It attributed them to a foreign intelligence agency."}}},
					{ID: "data-security", Score: 0.35},
				}, false, false, model.EventNew),
			mk(104, "https://www.chinadaily.com.cn/a/202611/22/WS01.html", `Ministry adds chip firms to unreliable entity list <script>alert(1)</script>`, "China Daily", "en",
				day.Add(11*time.Hour), 0.73,
				[]model.TopicScore{{ID: "tech-restrictions", Score: 0.73, Evidence: []model.Evidence{{Term: "unreliable entity list", Field: "summary", Weight: 2, Snippet: "The Ministry of Commerce added four companies to the unreliable entity list on Saturday."}}}}, false, true, model.EventNew),
			mk(105, "javascript:alert(document.cookie)", `Click <a href="https://evil.example">here</a> for the full report`, "Xinhua", "en",
				day.Add(20*time.Hour), 0.62,
				[]model.TopicScore{{ID: "hacking-espionage", Score: 0.62, Evidence: []model.Evidence{{Term: "hacker", Field: "body", Weight: 1, Snippet: `A hacker group <img src=x onerror=alert(1)> was named.`}}}}, false, false, model.EventChanged),
		},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n%s", name, got)
	}
}

func TestGoldenDigest(t *testing.T) {
	r, err := newRenderer().RenderDigest(goldenDigest())
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "wirewatch: 4 new cyber-policy articles and 1 update, 23 Nov 2026" {
		t.Errorf("subject %q", r.Subject)
	}
	golden(t, "digest.golden.html", r.HTML)
	golden(t, "digest.golden.txt", "Subject: "+r.Subject+"\n\n"+r.Text)
	checkHTML(t, r.HTML)
	if strings.Contains(r.HTML, "<script") || strings.Contains(r.HTML, "<img") || strings.Contains(r.HTML, `href="javascript`) || strings.Contains(r.HTML, `href="https://evil.example"`) {
		t.Error("hostile markup survived")
	}
}

func TestGoldenAlert(t *testing.T) {
	d := goldenDigest()
	r, err := newRenderer().RenderAlert("policy-desk", d.Location, d.Items[1])
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "alert.golden.txt", "Subject: "+r.Subject+"\n\n"+r.Text)
	checkHTML(t, r.HTML)
}

// checkHTML parses the output and fails on scripts, event handlers,
// dangerous links and remote resources.
func checkHTML(t testing.TB, doc string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("HTML does not parse: %v", err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "iframe", "object", "embed", "img", "link", "style", "form", "base", "meta":
				if n.Data != "meta" {
					t.Fatalf("forbidden element <%s>", n.Data)
				}
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				if strings.HasPrefix(k, "on") {
					t.Fatalf("event handler attribute %s", a.Key)
				}
				if k == "href" || k == "src" {
					v := strings.ToLower(strings.TrimSpace(a.Val))
					if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
						t.Fatalf("%s=%q is not an http(s) link", a.Key, a.Val)
					}
					if strings.Contains(v, "evil.example") {
						t.Fatalf("a hostile link made it into the output: %q", a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
}

// FuzzRender renders hostile titles, links, outlets and excerpts: the HTML
// parses with no script, handler or javascript: link, the subject has no
// CR or LF, and the built message's headers are intact.
func FuzzRender(f *testing.F) {
	f.Add("Title", "https://example.org/a", "Xinhua", "passage with a term", "term")
	f.Add("<script>alert(1)</script>", "javascript:alert(1)", "<b>x</b>", "<img src=x onerror=alert(1)>", "<img")
	f.Add("a\r\nBcc: x@example.org", " JaVaScRiPt:alert(1)", "\x00\x1b", "\u2028\u2029", "\r\n")
	f.Add("网络安全法\r\n", "data:text/html,<script>", "人民网", "网络数据安全管理条例。第二句。第三句。", "网络")
	f.Add(`"><a href="https://evil.example">x</a>`, "https://user:pw@evil.example/", "o", `<a href="javascript:x">y</a>`, "a href")
	c := config.DefaultAlert().SMTP
	c.URL = "smtp://127.0.0.1:1"
	c.From = "wirewatch <alerts@wirewatch.test>"
	m, err := newMailer(c)
	if err != nil {
		f.Fatal(err)
	}
	r := newRenderer()
	f.Fuzz(func(t *testing.T, title, link, outlet, passage, term string) {
		it := Item{ArticleID: 1, Event: model.EventNew, URL: link, Title: title, Outlet: outlet, PublishedAt: time.Unix(1700000000, 0),
			Score: 0.5, Topics: []TopicScore{{ID: "t", Label: outlet, Score: 0.5}}}
		fillItem(&it, []string{"t"}, passage, []model.TopicScore{{ID: "t", Score: 0.5, Evidence: []model.Evidence{{Term: term, Field: "body", Snippet: passage, Weight: 1}}}}, nil)
		d := Digest{Subscriber: outlet, Location: time.UTC, PeriodEnd: time.Unix(1700000000, 0), Items: []Item{it, it}}
		for _, out := range []func() (Rendered, error){
			func() (Rendered, error) { return r.RenderDigest(d) },
			func() (Rendered, error) { return r.RenderAlert(title, time.UTC, it) },
		} {
			got, err := out()
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(got.Subject, "\r\n") {
				t.Fatalf("CR/LF in subject %q", got.Subject)
			}
			checkHTML(t, got.HTML)
			if strings.Contains(strings.ToLower(got.HTML), "<script") {
				t.Fatal("script in HTML")
			}
			msg, err := m.build("reader@example.org", got.Subject, got, "wirewatch.delivery.1@wirewatch.test", time.Unix(1700000000, 0))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if _, err := msg.WriteTo(&b); err != nil {
				t.Fatal(err)
			}
			p := alerttest.ParseMessage(t, []byte(b.String()))
			if len(p.Header["Bcc"]) > 0 || len(p.Header["To"]) != 1 || p.Header.Get("To") != "<reader@example.org>" {
				t.Fatalf("headers tampered: %v", p.Header)
			}
		}
	})
}

// An item judged on the feed's summary alone says so, in both parts.
func TestSummaryOnlyIsMarked(t *testing.T) {
	r := newRenderer()
	it := Item{ArticleID: 1, URL: "https://example.org/a", Title: "Rules on data", Outlet: "Xinhua", PublishedAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		Score: 0.8, Topics: []TopicScore{{ID: "data-security", Label: "Data security", Score: 0.8}}, SummaryOnly: true}
	m, err := r.RenderAlert("desk", time.UTC, it)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.HTML, "summary only") || !strings.Contains(m.Text, "summary only") {
		t.Errorf("summary-only item not marked:\n%s\n%s", m.HTML, m.Text)
	}
	it.SummaryOnly = false
	m, _ = r.RenderAlert("desk", time.UTC, it)
	if strings.Contains(m.HTML, "summary only") || strings.Contains(m.Text, "summary only") {
		t.Error("a fetched item is marked summary only")
	}
	b, _ := json.Marshal(Item{SummaryOnly: true})
	if !strings.Contains(string(b), `"summary_only":true`) {
		t.Errorf("webhook body lacks summary_only: %s", b)
	}
}

// bulkDigest is n relevant items spread over four topics, with long
// excerpts, as a busy day gives.
func bulkDigest(n int) Digest {
	labels := map[string]string{"data-security": "Data security", "hacking-espionage": "Hacking and espionage",
		"tech-restrictions": "Tech restrictions", "platform-regulation": "Platform regulation"}
	ids := []string{"data-security", "hacking-espionage", "tech-restrictions", "platform-regulation"}
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	d := Digest{Subscriber: "desk", Location: time.UTC, PeriodStart: day.Add(-24 * time.Hour), PeriodEnd: day}
	for i := range n {
		topic := ids[i%len(ids)]
		score := 0.5 + float64(i%50)/100
		it := Item{ArticleID: int64(i + 1), URL: fmt.Sprintf("https://english.news.cn/20261204/story-%d.html", i),
			Title: fmt.Sprintf("Regulator issues measures number %d on cross-border data and network security reviews", i), Outlet: "Xinhua", Language: "en",
			PublishedAt: day.Add(-time.Duration(i) * time.Minute), Score: score, Event: model.EventNew}
		fillItem(&it, []string{topic}, "", []model.TopicScore{{ID: topic, Score: score, Evidence: []model.Evidence{{Term: "network security", Field: "body", Weight: 2,
			Snippet: strings.Repeat("The Cyberspace Administration of China said network security reviews will cover critical operators. ", 3)}}}}, labels)
		d.Items = append(d.Items, it)
	}
	return d
}

// A digest of 2,000 relevant items stays under the HTML budget, shows
// every topic, the best items in full, and says how many were left out
// and where they are; the text part says the same.
func TestDigestStaysWithinBudget(t *testing.T) {
	d := bulkDigest(2000)
	m, err := RenderDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	// The reader receives the part with CRLF line ends: the budget is on
	// that size.
	if n := len(m.HTML) + strings.Count(m.HTML, "\n"); n >= config.DefaultDigestMaxHTML || strings.Contains(m.HTML, "\r") {
		t.Errorf("digest HTML arrives as %d bytes, want < %d", n, config.DefaultDigestMaxHTML)
	}
	for _, label := range []string{"Data security", "Hacking and espionage", "Tech restrictions", "Platform regulation"} {
		if !strings.Contains(m.HTML, label+` <span style="font-weight:normal;color:#6b7280;">(500)</span>`) {
			t.Errorf("topic %s (500) missing from the HTML", label)
		}
		if !strings.Contains(m.Text, label+" (500)") {
			t.Errorf("topic %s (500) missing from the text", label)
		}
	}
	// The best item of each topic is shown in full (its excerpt).
	if c := strings.Count(m.HTML, "border-left:3px solid #d1d5db"); c < 4 {
		t.Errorf("%d items in full, want at least one per topic", c)
	}
	more := regexp.MustCompile(`and (\d+) more — see the archive: wirewatch export`)
	hm, tm := more.FindStringSubmatch(m.HTML), more.FindStringSubmatch(m.Text)
	if hm == nil || tm == nil || hm[1] != tm[1] {
		t.Fatalf("no matching \"and N more\" line: html %v text %v", hm, tm)
	}
	// Every item is either shown (in full or as a title line) or counted.
	shown := strings.Count(m.HTML, "https://english.news.cn/20261204/story-")
	left, _ := strconv.Atoi(hm[1])
	t.Logf("2,000 items: HTML %d bytes, text %d bytes, %d items shown, %d left out", len(m.HTML), len(m.Text), shown, left)
	if shown+left != 2000 {
		t.Errorf("%d items shown + %d left out = %d, want 2000", shown, left, shown+left)
	}
	// Whatever the budget, the part as received (CRLF line ends) keeps it.
	// (Budgets where counting LF as one byte went over: 400 items.)
	for _, budget := range []int{88_500, 94_000, 100_000} {
		d := bulkDigest(400)
		d.MaxHTML = budget
		m, err := RenderDigest(d)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(m.HTML) + strings.Count(m.HTML, "\n"); n > budget {
			t.Errorf("budget %d: the HTML part arrives as %d bytes", budget, n)
		}
	}
	// A small digest is whole: nothing left out, no "more" line.
	small, err := RenderDigest(bulkDigest(12))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(small.HTML, " more — ") || strings.Count(small.HTML, "https://english.news.cn/20261204/story-") != 12 {
		t.Error("a 12-item digest lost items")
	}
}
