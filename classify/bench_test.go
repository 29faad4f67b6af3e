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
