package alert

import (
	"flag"
	"os"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/model"
)

var readmeDigest = flag.String("readme-digest", "", "write the HTML of the README's example digest to this file (docs/digest.png is a screenshot of it)")

// TestReadmeDigest renders the README's example digest: English and
// Chinese items, a story carried by several outlets, a summary-only item.
// With -readme-digest FILE it writes the HTML for the screenshot
// (scripts: chromium --headless --screenshot --window-size=720,1400 FILE).
func TestReadmeDigest(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	labels := map[string]string{
		"data-security":     "Data security and cross-border data",
		"hacking-espionage": "Hacking, cyber espionage and accusations",
		"tech-restrictions": "Tech restrictions and sanctions on ICT firms",
	}
	order := []string{"data-security", "hacking-espionage", "tech-restrictions"}
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, shanghai)
	mk := func(id int64, outlet, lang, title, url string, hour int, topic string, score float64, snippet, term string, story int64) Item {
		it := Item{ArticleID: id, URL: url, Title: title, Outlet: outlet, Language: lang, PublishedAt: day.Add(time.Duration(hour) * time.Hour),
			Score: score, Event: model.EventNew, StoryID: story}
		fillItem(&it, []string{topic}, "", []model.TopicScore{{ID: topic, Score: score, Evidence: []model.Evidence{{Term: term, Field: "body", Weight: 2, Snippet: snippet}}}}, labels)
		return it
	}
	// (Alike by design: one mk call per fixture item; data, not logic.)
	items := []Item{
		mk(1, "Xinhua", "en", "China eases security assessment for outbound personal data", "https://english.news.cn/20261205/c1.html", 9, "data-security", 0.93,
			"The Cyberspace Administration of China said companies exporting the personal information of fewer than 100,000 people a year no longer need a security assessment. The rules take effect on Jan 1.", "security assessment", 7),
		mk(2, "China Daily", "en", "Rules ease cross-border data flows for firms", "https://www.chinadaily.com.cn/a/202612/05/WS1.html", 10, "data-security", 0.88,
			"Companies exporting the personal information of fewer than 100,000 people a year no longer need a security assessment.", "security assessment", 7),
		mk(3, "CGTN", "en", "China relaxes outbound data rules", "https://news.cgtn.com/news/2026-12-05/c3.html", 11, "data-security", 0.86,
			"The administration said the rules take effect on Jan 1.", "data", 7),
		mk(4, "人民网", "zh", "国家网信办就《网络数据安全管理条例》实施细则公开征求意见", "http://www.people.com.cn/n1/2026/1205/c1001-1.html", 8, "data-security", 0.84,
			"国家互联网信息办公室5日就《网络数据安全管理条例》实施细则公开征求意见，明确重要数据目录的制定程序。", "网络数据安全", 0),
		mk(5, "Global Times", "en", "Beijing names foreign agency behind attacks on a university network", "https://www.globaltimes.cn/page/202612/1.shtml", 15, "hacking-espionage", 0.9,
			"The National Computer Virus Emergency Response Center said the attacks on the university's network began in 2024. It attributed them to a foreign intelligence agency.", "attacks", 0),
		mk(6, "外交部", "zh", "外交部发言人就所谓“网络攻击”指责答记者问", "https://www.mfa.gov.cn/web/fyrbt_673021/202612/t1.shtml", 16, "hacking-espionage", 0.71,
			"发言人表示，中方一贯坚决反对并依法打击一切形式的网络攻击，反对借网络安全问题对中国进行抹黑。", "网络攻击", 0),
		mk(7, "Xinhua", "en", "Ministry adds two chip firms to unreliable entity list", "https://english.news.cn/20261205/c7.html", 18, "tech-restrictions", 0.82,
			"The Ministry of Commerce said the two companies had cooperated with foreign export controls against Chinese firms.", "export controls", 0),
	}
	items[6].SummaryOnly = true
	d := Digest{Subscriber: "policy-desk", Location: shanghai, PeriodStart: day.Add(-16 * time.Hour), PeriodEnd: day.Add(32 * time.Hour),
		Items: FoldStories(items), TopicOrder: order}
	m, err := RenderDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Items) != 5 {
		t.Fatalf("%d items after folding the story, want 5", len(d.Items))
	}
	if *readmeDigest != "" {
		if err := os.WriteFile(*readmeDigest, []byte(m.HTML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
