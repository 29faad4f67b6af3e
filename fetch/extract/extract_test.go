package extract

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"

	"github.com/wirewatch/wirewatch/configs"
	"github.com/wirewatch/wirewatch/internal/corpus"
	"github.com/wirewatch/wirewatch/model"
)

func TestDefaultCatalogue(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	if rules.Len() < 12 {
		t.Errorf("only %d site rules", rules.Len())
	}
	data, err := fs.ReadFile(configs.FS, "sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// (Alike by design: the test reads only the catalogue fields it checks into its own struct.)
	var cat struct {
		Version int `yaml:"version"`
		Sources []struct {
			Name     string         `yaml:"name"`
			Outlet   string         `yaml:"outlet"`
			Kind     string         `yaml:"kind"`
			URL      string         `yaml:"url"`
			Language string         `yaml:"language"`
			Interval string         `yaml:"interval"`
			Robots   *bool          `yaml:"robots"`
			Listing  *model.Listing `yaml:"listing"`
			// Fetch options and documentation (issue 20).
			Enabled   *bool             `yaml:"enabled"`
			Notes     string            `yaml:"notes"`
			UserAgent string            `yaml:"user_agent"`
			Headers   map[string]string `yaml:"headers"`
			Cookies   bool              `yaml:"cookies"`
			Proxy     string            `yaml:"proxy"`
			Via       string            `yaml:"via"`
		} `yaml:"sources"`
		SiteRules []model.SiteRule `yaml:"site_rules"`
	}
	if err := yaml.UnmarshalWithOptions(data, &cat, yaml.Strict()); err != nil {
		t.Fatalf("sources.yaml (strict): %v", err)
	}
	if cat.Version != 1 {
		t.Errorf("version = %d", cat.Version)
	}
	reName := regexp.MustCompile(`^[a-z0-9-]+$`)
	seen := map[string]bool{}
	outlets := map[string]bool{}
	for _, s := range cat.Sources {
		if !reName.MatchString(s.Name) {
			t.Errorf("source name %q is not [a-z0-9-]+", s.Name)
		}
		if seen[s.Name] {
			t.Errorf("source name %q is not unique", s.Name)
		}
		seen[s.Name] = true
		outlets[s.Outlet] = true
		if s.Kind != "feed" && s.Kind != "listing" {
			t.Errorf("%s: kind %q", s.Name, s.Kind)
		}
		if s.Language != "en" && s.Language != "zh" {
			t.Errorf("%s: language %q", s.Name, s.Language)
		}
		if d, err := time.ParseDuration(s.Interval); err != nil || d < time.Minute {
			t.Errorf("%s: interval %q", s.Name, s.Interval)
		}
		if (s.Kind == "listing") != (s.Listing != nil) {
			t.Errorf("%s: listing selectors must be given exactly for kind listing", s.Name)
		}
		if s.Listing != nil && s.Listing.Format != model.ListingFormatJSON {
			if _, err := NewRules([]model.SiteRule{{Hosts: []string{"x"}, Body: s.Listing.Item, Title: s.Listing.Title, Date: s.Listing.Date, Byline: s.Listing.Link}}); err != nil {
				t.Errorf("%s: listing selectors: %v", s.Name, err)
			}
		}
		if s.Enabled != nil && !*s.Enabled {
			continue // disabled until its markup is known: no rule yet
		}
		u := mustHost(t, s.URL)
		r := rules.For(u)
		if r == nil {
			t.Errorf("%s: no site rule for host %s", s.Name, u)
		} else if r.Outlet != s.Outlet {
			t.Errorf("%s: host %s picks the rule of %q, source outlet is %q", s.Name, u, r.Outlet, s.Outlet)
		}
	}
	for _, o := range []string{"Global Times", "Xinhua", "China Daily", "CGTN", "People's Daily", "Cyberspace Administration of China", "Ministry of Foreign Affairs", "State Council", "China Military Online", "ECNS"} {
		if !outlets[o] {
			t.Errorf("no source for %s", o)
		}
	}
	for _, h := range []string{"www.gmw.cn", "edu.youth.cn", "english.news.cn", "www.xinhuanet.com", "cn.chinadaily.com.cn", "www.fmprc.gov.cn", "www.cac.gov.cn"} {
		if rules.For(h) == nil {
			t.Errorf("no rule for %s", h)
		}
	}
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	i := strings.Index(raw, "://")
	if i < 0 {
		t.Fatalf("bad URL %q", raw)
	}
	h := raw[i+3:]
	if j := strings.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	return h
}

func TestLoadRulesRejectsBadSelectors(t *testing.T) {
	_, err := LoadRules([]byte("site_rules:\n  - outlet: X\n    hosts: [x.cn]\n    body: \"div[\"\n"))
	if err == nil {
		t.Fatal("want an error for a broken selector")
	}
	_, err = LoadRules([]byte("sources: []\nsite_rules:\n  - outlet: X\n    hosts: [X.cn]\n    body: div\n"))
	if err == nil {
		t.Fatal("want an error for an upper-case host")
	}
}

func TestRulesFor(t *testing.T) {
	r, err := NewRules([]model.SiteRule{
		{Outlet: "a", Hosts: []string{"news.cn"}, Body: "div"},
		{Outlet: "b", Hosts: []string{"english.news.cn"}, Body: "div"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"news.cn": "a", "www.news.cn": "a", "english.news.cn": "b", "x.english.news.cn:443": "b", "fakenews.cn": "", "news.cn.evil.com": ""} {
		got := ""
		if rule := r.For(host); rule != nil {
			got = rule.Outlet
		}
		if got != want {
			t.Errorf("For(%q) = %q, want %q", host, got, want)
		}
	}
	var nilRules *Rules
	if nilRules.For("news.cn") != nil {
		t.Error("nil Rules must match nothing")
	}
}

// (Alike by design: a map of input to want, as in the other table tests.)
func TestCleanTitle(t *testing.T) {
	for in, want := range map[string]string{
		"China issues new data rules - Xinhua":       "China issues new data rules",
		"China issues new data rules | Global Times": "China issues new data rules",
		"宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网":              "宇航员在太空中喝酒会怎么样？后果很严重",
		"海外留学生看两会：出国前后关注点大不同_教育频道_中国青年网":             "海外留学生看两会：出国前后关注点大不同",
		"外国专家：中美合作共赢符合国际社会利益-中国日报网":                  "外国专家：中美合作共赢符合国际社会利益",
		"Xi Jinping: China will protect data":        "Xi Jinping: China will protect data",
		"中美-合作":                                      "中美-合作",
		"Cyber-security law takes effect":            "Cyber-security law takes effect",
	} {
		if got := cleanTitle(in); got != want {
			t.Errorf("cleanTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExtractSmall(t *testing.T) {
	page := `<html lang="zh-CN"><head><title>网络安全审查办法发布_新华网</title>
<meta property="article:published_time" content="2025-03-04T10:00:00+08:00">
<link rel="canonical" href="/politics/2025-03/04/c_1.htm?x=1#top"></head>
<body><div class="nav">首页 | 时政</div><h1>网络安全审查办法发布</h1>
<div id="detail"><p>新华社北京3月4日电　国家互联网信息办公室等十三部门联合修订发布《网络安全审查办法》。</p>
<p>办法自2022年2月15日起施行。<script>var x=1;</script></p><div class="share">分享到</div></div></body></html>`
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Extract([]byte(page), "https://www.news.cn/politics/2025-03/04/c_1.htm", rules)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Method != MethodRule {
		t.Errorf("method %q", ex.Method)
	}
	wantText := "新华社北京3月4日电 国家互联网信息办公室等十三部门联合修订发布《网络安全审查办法》。\n\n办法自2022年2月15日起施行。"
	if ex.Text != wantText {
		t.Errorf("text %q, want %q", ex.Text, wantText)
	}
	if ex.Title != "网络安全审查办法发布" || ex.Lang != "zh" {
		t.Errorf("title %q lang %q", ex.Title, ex.Lang)
	}
	if ex.Published == nil || !ex.Published.Equal(time.Date(2025, 3, 4, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("published %v", ex.Published)
	}
	if ex.CanonicalURL != "https://www.news.cn/politics/2025-03/04/c_1.htm?x=1" {
		t.Errorf("canonical %q", ex.CanonicalURL)
	}
	// Off-site canonical links are not trusted.
	ex, _ = Extract([]byte(strings.Replace(page, `href="/politics`, `href="https://evil.example/politics`, 1)), "https://www.news.cn/x.htm", rules)
	if ex.CanonicalURL != "" {
		t.Errorf("off-site canonical kept: %q", ex.CanonicalURL)
	}
}

func TestExtractHostile(t *testing.T) {
	deep := strings.Repeat("<div>", 100000) + "<p>" + strings.Repeat("deep text ", 50) + "</p>"
	for name, page := range map[string]string{
		"empty":   "",
		"garbage": "\x00\xff<<<>>>&&&",
		"deep":    deep,
		"huge":    "<p>" + strings.Repeat("word ", 2<<20) + "</p>",
	} {
		start := time.Now()
		ex, _ := Extract([]byte(page), "http://example.com/a", nil)
		if !utf8.ValidString(ex.Text) {
			t.Errorf("%s: invalid UTF-8", name)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s: took %s", name, d)
		}
	}
}

func TestFromSummary(t *testing.T) {
	ex := FromSummary("  标题  ", "<p>第一段。</p><p>第二段 <b>加粗</b>。</p>")
	if ex.Method != MethodSummary || ex.Title != "标题" || ex.Text != "第一段。\n\n第二段 加粗。" || ex.Lang != "zh" {
		t.Errorf("%+v", ex)
	}
	ex = FromSummary("Title", "Plain   text\n\nsecond")
	if ex.Text != "Plain text\n\nsecond" || ex.Lang != "en" {
		t.Errorf("%+v", ex)
	}
}

// statePage is a real state-media page from the shared corpora with what the
// extraction must give.
type statePage struct {
	file, url string
	method    string
	title     string
	published string // RFC 3339, "" to skip
	textStart string
	textEnd   string
	notInText []string
}

func TestStateMediaPages(t *testing.T) {
	base := corpus.Dir(t, ".")
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	pages := []statePage{
		{
			file: "extraction-dev/html/xinhuanet.com.c_1125597921.html", url: "http://www.xinhuanet.com/local/2020-02/19/c_1125597921.htm",
			method: MethodRule, title: "武汉的声音：有英勇的你，才有英雄的城！", published: "2020-02-19T20:29:58+08:00",
			textStart: "“妈妈，为什么还不能出去？”", textEnd: "（评论员 罗博 萧海川）", notInText: []string{"纠错", "关注新华网", "+1"},
		},
		{
			file: "extraction-dev/html/banyuetan.org.1000200033136171577956287380194268_1.html", url: "http://www.banyuetan.org/jmcs/detail/20200102/1000200033136171577956287380194268_1.html",
			method: MethodRule, title: "益阳：“数字”是优长", published: "2020-01-02T17:11:00+08:00",
			textStart: "半月谈记者 史卫燕", notInText: []string{"热门推荐", "理论应该", "责任编辑"},
		},
		{
			file: "readability/test/test-pages/gmw/source.html", url: "http://tech.gmw.cn/scientist/2017-03/10/content_23937776.htm",
			method: MethodRule, title: "宇航员在太空中喝酒会怎么样？后果很严重", published: "2017-03-10T09:58:00+08:00",
			textStart: "翱翔于距地球数千公里的太空中", textEnd: "作者︱春春", notInText: []string{"239377762017", "您此时的心情", "分享到"},
		},
		{
			file: "readability/test/test-pages/youth/source.html", url: "http://news.youth.cn/jsxw/201703/t20170310_9262442.htm",
			method: MethodRule, title: "海外留学生看两会：出国前后关注点大不同", published: "2017-03-10T08:42:00+08:00",
			textStart: "图为马素湘在澳大利亚悉尼游玩时的近影。", textEnd: "卢宇恳切地说。", notInText: []string{"最新评论", "返回首页"},
		},
		{
			file: "newspaper4k/html/chinese_article_001.html", url: "https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html",
			method: MethodRule, title: "外国专家：中美合作共赢符合国际社会利益", published: "2023-11-17T15:13:00+08:00",
			textStart: "在美国旧金山举行的中美元首会晤吸引了全世界的目光。", notInText: []string{"分享到", "最热新闻", "版权保护"},
		},
		{
			file: "newspaper4k/html/chinese_article_002.html", url: "https://www.news.cn/politics/2023-11/17/c_1129981365.htm",
			method: MethodRule, title: "短缺药品保供稳价 全力保障临床用药需求", published: "2023-11-17T20:52:15+08:00",
			textStart: "新华社北京11月17日电 记者17日从国家卫生健康委获悉", notInText: []string{"纠错", "责任编辑", "阅读下一篇", "深度观察"},
		},
		{
			file: "extraction-dev/html/archive.org.he.xinhuanet.com.25340717.html", url: "https://web.archive.org/web/20120611024252/http://www.he.xinhuanet.com/news/2012-06/04/content_25340717.htm",
			method: MethodGeneric, title: "话剧《约定无期限》河北各市巡演结束",
			textStart: "一个约定，信守15年，感人至深", notInText: []string{"copyright (c) 2000", "ICP证010042号"},
		},
	}
	for _, p := range pages {
		t.Run(filepath.Base(p.file), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(base, p.file))
			if err != nil {
				t.Skipf("corpus file missing: %v", err)
			}
			ex, err := Page(raw, "", p.url, rules)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Method != p.method {
				t.Errorf("method %q, want %q", ex.Method, p.method)
			}
			if ex.Title != p.title {
				t.Errorf("title %q, want %q", ex.Title, p.title)
			}
			if ex.Lang != "zh" {
				t.Errorf("lang %q", ex.Lang)
			}
			if p.published != "" {
				want, _ := time.Parse(time.RFC3339, p.published)
				if ex.Published == nil || !ex.Published.Equal(want) {
					t.Errorf("published %v, want %s", ex.Published, want)
				}
			}
			if !strings.HasPrefix(ex.Text, p.textStart) {
				t.Errorf("text starts %q, want %q", head(ex.Text), p.textStart)
			}
			if p.textEnd != "" && !strings.HasSuffix(ex.Text, p.textEnd) {
				t.Errorf("text ends %q, want %q", tail(ex.Text), p.textEnd)
			}
			for _, bad := range p.notInText {
				if strings.Contains(ex.Text, bad) {
					t.Errorf("text holds boilerplate %q", bad)
				}
			}
		})
	}
}

// TestNewspaper4kGold compares with the gold text newspaper4k ships for its
// two Chinese pages: every gold paragraph must be in our text.
func TestNewspaper4kGold(t *testing.T) {
	dir := corpus.Dir(t, "newspaper4k")
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range []string{"https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html", "https://www.news.cn/politics/2023-11/17/c_1129981365.htm"} {
		name := []string{"chinese_article_001", "chinese_article_002"}[i]
		raw, err := os.ReadFile(filepath.Join(dir, "html", name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		gold, err := os.ReadFile(filepath.Join(dir, "txt", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		ex, err := Page(raw, "", u, rules)
		if err != nil {
			t.Fatal(err)
		}
		text := squash(ex.Text)
		missing := 0
		paras := strings.Split(string(gold), "\n")
		for _, p := range paras {
			if p = squash(p); p != "" && !strings.Contains(text, p) {
				missing++
				t.Logf("%s: missing gold paragraph %q", name, head(p))
			}
		}
		if missing > 0 {
			t.Errorf("%s: %d of %d gold paragraphs missing", name, missing, len(paras))
		}
	}
}

func head(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60])
	}
	return s
}

func tail(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[len(r)-60:])
	}
	return s
}

func BenchmarkExtract(b *testing.B) {
	docs, rules := loadEvalDocs(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		d := docs[i%len(docs)]
		i++
		_, _ = Extract(d.page, d.URL, rules)
	}
}
