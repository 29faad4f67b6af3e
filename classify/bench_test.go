package classify

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// article5KB is a realistic ~5 KB English article with a few relevant terms.
func article5KB() Input {
	para := "The spokesperson said the country would continue to expand opening-up and " +
		"welcomed foreign companies to invest. Officials also discussed trade, energy and " +
		"infrastructure projects along the Belt and Road, and the digital economy. "
	body := strings.Repeat(para, 5000/len(para)+1)[:5000]
	body = body[:2500] + " Cybersecurity and data security were mentioned, as were US export controls on chips. " + body[2500:]
	return Input{
		Title:   "China urges US to stop abusing export controls against Chinese tech firms",
		Summary: "The foreign ministry said the entity list additions violate market rules.",
		Body:    body,
	}
}

// BenchmarkClassify5KB measures one article with a 5 KB body; articles/s is
// reported as a metric.
func BenchmarkClassify5KB(b *testing.B) {
	c := defaultClassifier(b)
	in := article5KB()
	b.SetBytes(int64(len(in.Title) + len(in.Summary) + len(in.Body)))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		c.Classify(in)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "articles/s")
}

// BenchmarkReclassify100k classifies 100,000 stored-article-like inputs (5 KB
// bodies, English and Chinese, varied) sequentially on one core, as
// `wirewatch reclassify` would, without the database time.
func BenchmarkReclassify100k(b *testing.B) {
	c := defaultClassifier(b)
	base := article5KB()
	zh := Input{Title: "外交部就美方将中国企业列入实体清单答记者问", Body: strings.Repeat("发言人表示，中方将采取必要措施维护中国企业的正当权益。网络安全和数据安全问题也被提及。", 40)}
	inputs := make([]Input, 100)
	for i := range inputs {
		src := base
		if i%4 == 0 {
			src = zh
		}
		src.ID = fmt.Sprint(i)
		src.Title = fmt.Sprintf("%s %d", src.Title, i)
		inputs[i] = src
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range 100_000 {
			c.Classify(inputs[i%len(inputs)])
		}
	}
}

// farmArticles are n varied article-like inputs shaped like the daemon's
// (bench/ feed farm) ingest: a body of about 4,000 characters in paragraphs,
// a fifth of them Chinese, mostly ordinary news prose with the odd policy
// term, plus a title and a summary.
func farmArticles(n int) []Input {
	en := []string{
		"The spokesperson said the country would continue to expand opening-up and welcome foreign companies.",
		"Officials also discussed trade, energy and infrastructure projects along the Belt and Road.",
		"Analysts expect the central bank to keep interest rates unchanged at its meeting next month.",
		"The company reported a 12 percent rise in quarterly revenue, beating market forecasts.",
		"Heavy rain is expected to continue across southern provinces through the weekend.",
		"The delegation visited a high-tech industrial park and met local entrepreneurs.",
		"Tourism numbers during the holiday rose sharply compared with the same period last year.",
		"Cybersecurity and data security were mentioned, as were US export controls on chips.",
		"The regulator said online platforms must remove illegal content and protect personal information.",
		"Hackers linked to a foreign intelligence agency targeted the university's network, investigators said.",
		"“We firmly oppose the abuse of state power to suppress Chinese firms,” the ministry said.",
		"Experts called for closer cooperation on artificial intelligence governance and digital trade.",
		"The new rules, which take effect on Sept 1, cover cross-border data transfers by operators.",
		"Residents praised the city's efforts to improve public transport and green spaces.",
	}
	zh := []string{
		"发言人表示，中方将采取必要措施维护中国企业的正当权益。",
		"网络安全和数据安全问题也被提及。",
		"今年前三季度，全国规模以上工业增加值同比增长百分之四。",
		"国家互联网信息办公室发布《网络数据安全管理条例》，自明年一月一日起施行。",
		"专家指出，应加强人工智能治理方面的国际合作。",
		"当地气象部门预计，未来三天将有持续降雨。",
		"美方滥用出口管制，将多家中国企业列入实体清单。",
		"该市积极推进城市更新，改善居民生活环境。",
	}
	titles := []string{
		"China urges US to stop abusing export controls against Chinese tech firms",
		"Economy grows steadily in first three quarters",
		"New rules on cross-border data flows take effect",
		"网信办部署开展清朗专项行动",
		"Heavy rain forecast for southern provinces",
		"Xi sends congratulatory letter to World Internet Conference",
	}
	r := rng(42)
	ins := make([]Input, n)
	for i := range ins {
		var body strings.Builder
		for p := 0; body.Len() < 4000; p++ {
			src := en
			if p%5 == 4 {
				src = zh
			}
			for range 2 + r.intn(4) {
				body.WriteString(r.pick(src))
				if p%5 != 4 {
					body.WriteByte(' ')
				}
			}
			body.WriteString("\n\n")
		}
		ins[i] = Input{
			ID:      fmt.Sprint(i),
			Title:   fmt.Sprintf("%s (%d)", r.pick(titles), i),
			Summary: r.pick(en) + " " + r.pick(en),
			Body:    body.String(),
		}
	}
	return ins
}

// BenchmarkClassifyFarm classifies farm-like articles (see farmArticles).
func BenchmarkClassifyFarm(b *testing.B) {
	c := defaultClassifier(b)
	ins := farmArticles(100)
	size := 0
	for _, in := range ins {
		size += len(in.Title) + len(in.Summary) + len(in.Body)
	}
	b.SetBytes(int64(size / len(ins)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Classify(ins[i%len(ins)])
		i++
	}
}
