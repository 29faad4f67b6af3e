package discover

import (
	"net/url"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	family := siteFamily("www.news.cn")
	for _, c := range []struct {
		url  string
		want shape
	}{
		{"http://www.news.cn/politics/2023-11/17/c_1129981365.htm", shapeArticle},
		{"http://www.xinhuanet.com/video/2018-03/14/c_129829617.htm", shapeArticle}, // a video report
		{"http://korea.xinhuanet.com/2018-03/16/c_129830348.htm", shapeArticle},     // same family
		{"http://www.xinhuanet.com/video/index.htm", shapeSection},                  // the channel
		{"http://www.xinhuanet.com/politics/", shapeSection},
		{"http://www.news.cn/", shapeSection},
		{"http://www.xinhuanet.com/politics/2018lh/index.htm", shapeSection},
		{"http://www.news.cn/politics/ksh/zhuanti/20183/iframe_1353.html", shapeSection}, // special topic
		{"http://www.news.cn/node_8002936.htm", shapeSection},
		{"http://v.news.cn/", shapeSection},
		{"http://www.news.cn/author/12345.htm", shapeSection},
		{"http://www.news.cn/img/2018/0317/a.jpg", shapeStatic},
		{"http://www.example.com/2018-03/17/c_1.htm", shapeForeign},
		{"http://www.news.cn/politics/some-story.htm", shapeMaybe},
		{"http://ft.news.cn/fangtanDetail.do?pid=16700", shapeArticle},
		{"http://ft.news.cn/list.do?page=16700", shapeSection},
	} {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := classify(u, family); got != c.want {
			t.Errorf("%s: shape %d, want %d", c.url, got, c.want)
		}
	}
	// CGTN and China Daily ids are opaque tokens.
	for _, s := range []string{"https://news.cgtn.com/news/3d49544e31516a4d/index.html", "https://www.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html"} {
		u, _ := url.Parse(s)
		if got := classify(u, siteFamily(u.Hostname())); got != shapeArticle {
			t.Errorf("%s: shape %d, want article", s, got)
		}
	}
}

// A site whose article addresses carry neither date nor id: a list of
// them is admitted as a block of repeated siblings; the same kind of link
// standing alone is admitted only once earlier polls taught its pattern.
func TestBlocksAndLearning(t *testing.T) {
	page := `<html><body>
<nav><a href="/news/">News</a> <a href="/about/">About us</a> <a href="/news/world/">World</a></nav>
<ul class="latest">
<li><a href="/news/world/leaders-meet-123456.html">Leaders meet in Beijing for talks on trade</a></li>
<li><a href="/news/world/summit-ends-123457.html">Summit ends with a joint statement on climate</a></li>
<li><a href="/news/world/ministers-sign-deal.html">Ministers sign a deal on cross-border data</a></li>
</ul>
<div class="feature"><a href="/news/world/regulator-issues-rules.html">Regulator issues new rules on data security</a></div>
</body></html>`
	u, _ := url.Parse("https://www.example.org/news/")
	links, err := Links([]byte(page), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range links {
		got[l.URL] = l.Reason
	}
	want := map[string]string{
		"https://www.example.org/news/world/leaders-meet-123456.html": "shape",
		"https://www.example.org/news/world/summit-ends-123457.html":  "shape",
		"https://www.example.org/news/world/ministers-sign-deal.html": "block",
	}
	if len(got) != len(want) {
		t.Errorf("links %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: reason %q, want %q", k, got[k], v)
		}
	}

	prof := NewProfile()
	prof.Learn(links)
	prof.Learn(links) // a second poll
	again, err := Links([]byte(page), u, prof)
	if err != nil {
		t.Fatal(err)
	}
	var learned []string
	for _, l := range again {
		if l.Reason == "learned" {
			learned = append(learned, l.URL)
		}
	}
	if len(learned) != 1 || !strings.HasSuffix(learned[0], "/regulator-issues-rules.html") {
		t.Errorf("learned %v, want the lone feature link", learned)
	}
	// Navigation never becomes an article, however often it was seen.
	for _, l := range again {
		if strings.HasSuffix(l.URL, "/news/") || strings.HasSuffix(l.URL, "/about/") {
			t.Errorf("navigation link taken: %+v", l)
		}
	}
}

func TestLinksRejectsBadAddress(t *testing.T) {
	for _, s := range []string{"", "/relative", "ftp://example.org/"} {
		u, _ := url.Parse(s)
		if _, err := Links([]byte("<a href=/a/2018/0101/1.html>x</a>"), u, nil); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

// Many anchors stay within the limits; nesting beyond what the HTML parser
// accepts is a clear error.
func TestLinksHostile(t *testing.T) {
	u, _ := url.Parse("https://www.news.cn/")
	if _, err := Links([]byte(strings.Repeat("<div>", 5000)), u, nil); err == nil || !strings.Contains(err.Error(), "parse HTML") {
		t.Errorf("deep nesting: error %v", err)
	}
	var b strings.Builder
	b.WriteString(strings.Repeat("<div>", 400))
	for i := 0; i < MaxAnchors+100; i++ {
		b.WriteString(`<a href="/a/2018-01/01/c_123456.htm">A story about data rules</a>`)
	}
	links, err := Links([]byte(b.String()), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) > 1 {
		t.Errorf("%d links, want the one story once", len(links))
	}
}
