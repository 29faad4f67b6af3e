package discover

import (
	"net/url"
	"testing"
)

// FuzzLinks: any page, whatever its markup, gives links or an error, never
// a panic, and every link is an absolute http(s) address on the page's
// site family.
func FuzzLinks(f *testing.F) {
	for _, s := range []string{
		`<a href="/a/2018-03/17/c_1122550617.htm">习近平</a>`,
		`<base href="http://www.news.cn/x/"><ul><li><a href="2018/0101/c1-12345.html">t</a></li></ul>`,
		`<a href="javascript:void(0)">x</a><a href="#top">top</a><a href="mailto:a@b">m</a>`,
		`<a href="http://[::1]:80/2018/01/01/123456.html">v6</a><a href="%zz">bad</a>`,
		"<a href=\"/news/\u0000/2018-01-01/1.html\">nul</a>",
	} {
		f.Add([]byte(s))
	}
	page, _ := url.Parse("http://www.news.cn/politics/")
	family := siteFamily(page.Hostname())
	f.Fuzz(func(t *testing.T, doc []byte) {
		links, err := Links(doc, page, nil)
		if err != nil {
			return
		}
		for _, l := range links {
			u, err := url.Parse(l.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !family[registrable(u.Hostname())] {
				t.Fatalf("link %q is not an address on the site", l.URL)
			}
		}
	})
}
