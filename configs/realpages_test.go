package configs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/internal/corpus"
)

// realPages are saved real pages of catalogue outlets in the shared
// corpora (../shared/corpora, not copied into the repository): the
// catalogue's site rules must read them. Licences: newspaper4k MIT,
// extraction-dev and readability Apache-2.0 (see each corpus's LICENSE).
var realPages = []struct {
	file, url, want string
}{
	{"newspaper4k/html/chinese_article_001.html", "https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html", "中美"},
	{"newspaper4k/html/chinese_article_002.html", "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm", ""},
	{"extraction-dev/html/xinhuanet.com.c_1125597921.html", "http://www.xinhuanet.com/local/2020-02/19/c_1125597921.htm", "能过关。"},
	{"extraction-dev/html/banyuetan.org.1000200033136171577956287380194268_1.html", "http://www.banyuetan.org/jmcs/detail/20200102/1000200033136171577956287380194268_1.html", "姚劲波说。"},
	{"readability/test/test-pages/gmw/source.html", "https://tech.gmw.cn/", "宇航员"},
	{"readability/test/test-pages/youth/source.html", "https://edu.youth.cn/", "两会"},
}

func TestSiteRulesOnRealPages(t *testing.T) {
	root := corpus.Dir(t, ".")
	rules, err := extract.NewRules(loadCatalogue(t).SiteRules)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range realPages {
		body, err := os.ReadFile(filepath.Join(root, p.file))
		if err != nil {
			t.Errorf("%s: %v", p.file, err)
			continue
		}
		ex, err := extract.Page(body, "", p.url, rules)
		if err != nil {
			t.Errorf("%s: %v", p.file, err)
			continue
		}
		if ex.Method != "rule" {
			t.Errorf("%s: extracted by %q, want its outlet's site rule", p.file, ex.Method)
		}
		if len([]rune(ex.Text)) < 200 || (p.want != "" && !strings.Contains(ex.Text, p.want)) {
			t.Errorf("%s: %d characters, want %q in the text", p.file, len([]rune(ex.Text)), p.want)
		}
	}
}
