package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/wirewatch/wirewatch/internal/corpus"
)

func TestNodeTextBuiltTree(t *testing.T) {
	// Trees built by code (go-trafilatura's output) set Data but not
	// DataAtom; their paragraphs and list items must still be separated.
	body := &html.Node{Type: html.ElementNode, Data: "body"}
	for _, w := range []string{"first", "second"} {
		p := &html.Node{Type: html.ElementNode, Data: "p"}
		p.AppendChild(&html.Node{Type: html.TextNode, Data: w})
		body.AppendChild(p)
	}
	li := &html.Node{Type: html.ElementNode, Data: "li"}
	li.AppendChild(&html.Node{Type: html.TextNode, Data: "third"})
	body.AppendChild(li)
	if got := nodeText(body); got != "first\n\nsecond\n\nthird" {
		t.Errorf("got %q", got)
	}
}

func TestSiteWithoutURL(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	links := func(host string, n int) string {
		return strings.Repeat(`<a href="http://`+host+`/a.htm">x</a>`, n)
	}
	for _, c := range []struct {
		name, page, outlet string
	}{
		{"og:url", `<meta property="og:url" content="https://china.chinadaily.com.cn/a/1.html">`, "China Daily"},
		{"links", links("www.news.cn", 12) + links("weibo.com", 3), "Xinhua"},
		{"few links", links("www.news.cn", 5), ""},
		{"minority", links("www.news.cn", 12) + links("example.com", 20), ""},
	} {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader("<html><head>" + c.page + "</head><body></body></html>"))
		if err != nil {
			t.Fatal(err)
		}
		outlet := ""
		if u := declaredURL(indexPage(doc.Nodes[0])); u != nil {
			if r := rules.For(u.Hostname()); r != nil {
				outlet = r.Outlet
			}
		} else if r := voteRule(doc, rules); r != nil {
			outlet = r.Outlet
		}
		if outlet != c.outlet {
			t.Errorf("%s: outlet %q, want %q", c.name, outlet, c.outlet)
		}
	}
}

// Without --url the rule found from the links also gives the page's time
// zone: a Guangming page prints Beijing time without a zone.
func TestStateMediaPageWithoutURL(t *testing.T) {
	base := corpus.Dir(t, "readability/test/test-pages/gmw")
	raw, err := os.ReadFile(filepath.Join(base, "source.html"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Page(raw, "", "", rules)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := time.Parse(time.RFC3339, "2017-03-10T09:58:00+08:00")
	if ex.Method != MethodRule || ex.Published == nil || !ex.Published.Equal(want) {
		t.Errorf("method %q, published %v; want rule, %s", ex.Method, ex.Published, want)
	}
}
