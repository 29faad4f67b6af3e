// Command search measures archive search latency: it fills a database with
// generated articles (mixed English and Chinese, COPY), ANALYZEs it, and
// times typical queries through store.Search, printing p50 and p95.
//
//	go run ./bench/search -n 200000            # generate (once) and measure
//	go run ./bench/search -n 200000 -runs 100  # reuse the archive, measure again
//
// The database (default wirewatch_bench on the test server) is kept so
// later runs skip generation; -fresh rebuilds it.
//
// Like ../bench, it holds a few statements of its own (creating its
// database, counting rows) because it watches the database from outside;
// the searches it times go through package store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/search:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 200000, "articles in the generated archive")
	dbName := flag.String("db", "wirewatch_bench", "database to fill (on the server of WIREWATCH_TEST_DATABASE_URL)")
	fresh := flag.Bool("fresh", false, "drop and regenerate the database")
	runs := flag.Int("runs", 50, "timed runs per query (after 3 warm-up runs)")
	flag.Parse()
	ctx := context.Background()

	admin, err := pgx.Connect(ctx, storetest.AdminURL())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer admin.Close(ctx)
	if *fresh {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{*dbName}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop: %w", err)
		}
	}
	cfg := config.Default().Database
	cfg.URL = storetest.WithDatabase(storetest.AdminURL(), *dbName)
	cfg.CreateDatabase = true
	s, err := store.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		return err
	}
	var have int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM articles`).Scan(&have); err != nil {
		return err
	}
	if have < *n {
		start := time.Now()
		if err := generate(ctx, s, have, *n); err != nil {
			return err
		}
		fmt.Printf("generated %d articles in %s (%.0f/s)\n", *n-have, time.Since(start).Round(time.Second), float64(*n-have)/time.Since(start).Seconds())
		if _, err := s.Pool.Exec(ctx, `VACUUM ANALYZE articles`); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
	}
	var total int
	var size, idxEn, idxZh string
	err = s.Pool.QueryRow(ctx, `SELECT count(*), pg_size_pretty(pg_total_relation_size('articles')),
        pg_size_pretty(pg_relation_size('articles_search_en_idx')), pg_size_pretty(pg_relation_size('articles_search_zh_idx')) FROM articles`).
		Scan(&total, &size, &idxEn, &idxZh)
	if err != nil {
		return err
	}
	var pgVersion string
	_ = s.Pool.QueryRow(ctx, `SHOW server_version`).Scan(&pgVersion)
	fmt.Printf("archive: %d articles, articles table %s with indexes (GIN en %s, zh %s); PostgreSQL %s\n\n", total, size, idxEn, idxZh, pgVersion)

	year := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	queries := []struct {
		name string
		q    store.SearchQuery
	}{
		{"en phrase \"data security\"", store.SearchQuery{Text: `"data security"`}},
		{"en term wuzhen", store.SearchQuery{Text: "wuzhen"}},
		{"en two terms ransomware attack", store.SearchQuery{Text: "ransomware attack"}},
		{"en common term cybersecurity", store.SearchQuery{Text: "cybersecurity"}},
		{"en common term, newest first", store.SearchQuery{Text: "cybersecurity", ByDate: true}},
		{"zh term 网络安全", store.SearchQuery{Text: "网络安全"}},
		{"zh term 乌镇峰会", store.SearchQuery{Text: "乌镇峰会"}},
		{"zh two terms 数据 出境", store.SearchQuery{Text: "数据 出境"}},
		{"zh term, newest first", store.SearchQuery{Text: "网络安全", ByDate: true}},
		{"en term + topic + outlet + since", store.SearchQuery{Text: "regulation", Topic: "data_security", Outlet: "Global Times", Since: year}},
		{"zh term + topic + outlet + since", store.SearchQuery{Text: "数据安全", Topic: "data_security", Outlet: "新华社", Since: year}},
		{"filters only (topic + outlet, newest)", store.SearchQuery{Topic: "ai_governance", Outlet: "China Daily"}},
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(w, "query\tmatches\trows\tp50 ms\tp95 ms\tmax ms\t")
	for _, qq := range queries {
		matches, err := countMatches(ctx, s, qq.q)
		if err != nil {
			return fmt.Errorf("%s: %w", qq.name, err)
		}
		var rows int
		var lat []time.Duration
		for i := range *runs + 3 {
			start := time.Now()
			res, err := s.Search(ctx, qq.q)
			if err != nil {
				return fmt.Errorf("%s: %w", qq.name, err)
			}
			if i >= 3 {
				lat = append(lat, time.Since(start))
			}
			rows = len(res)
		}
		slices.Sort(lat)
		fmt.Fprintf(w, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t\n", qq.name, matches, rows, ms(pct(lat, 50)), ms(pct(lat, 95)), ms(lat[len(lat)-1]))
	}
	return w.Flush()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// countMatches runs the search without its limit, counting.
func countMatches(ctx context.Context, s *store.Store, q store.SearchQuery) (int, error) {
	terms, err := s.ParseSearch(ctx, q.Text)
	if err != nil {
		return 0, err
	}
	q.Limit = store.MaxSearchLimit
	sql, args := store.SearchSQL(q, terms)
	sql = sql[:strings.LastIndex(sql, "\nORDER BY")]
	var c int
	err = s.Pool.QueryRow(ctx, "SELECT count(*) FROM ("+sql+") AS m", args[:len(args)-1]...).Scan(&c) // without LIMIT
	return c, err
}

var outlets = []struct{ name, lang string }{
	{"Global Times", "en"}, {"China Daily", "en"}, {"Xinhua English", "en"}, {"CGTN", "en"},
	{"新华社", "zh"}, {"人民日报", "zh"}, {"环球时报", "zh"}, {"中国网信网", "zh"},
}

var topics = []string{"data_security", "internet_governance", "ai_governance", "cybercrime", "critical_infrastructure",
	"export_control", "platform_regulation", "cyber_diplomacy", "standards", "personal_information"}

// Vocabularies: common words first (Zipf sampling favours them), policy
// terms later so they are rarer, as in the real archive.
var enWords = strings.Fields(`the of and to in a is that for on with as by said will its at from be
has are this it an was have which new more also not were been china chinese government country development
said year people work national international cooperation state president meeting further support
security data cybersecurity network internet technology digital information online platform
law regulation rules management protection companies enterprises users services system systems
governance policy standards administration cyberspace ministry department official officials
ai artificial intelligence algorithm algorithms model models innovation industry economy
cross-border transfer personal privacy critical infrastructure operators review assessment
attack attacks hackers ransomware threat threats vulnerability incident response defense
export control chips semiconductor supply chain sanctions trade united states western
conference summit forum world wuzhen beijing shanghai shenzhen guangdong hangzhou
cooperation partners global community shared future belt road initiative diplomacy
telecom telecommunications 5g 6g cloud computing satellite quantum encryption crypto
youth minors content rumors fraud scams police cases crime criminal gang arrested
app apps mobile payment e-commerce livestreaming short video games gaming licence`)

var zhWords = strings.Fields(`的 了 在 是 和 有 我国 发展 工作 国家 中国 建设 推进 加强 提高 坚持 全面 重要 社会 经济
会议 领导 人民 政府 部门 企业 服务 管理 体系 制度 能力 水平 创新 技术 产业 数字 信息 网络 互联网
网络安全 数据 数据安全 个人信息 保护 隐私 平台 算法 人工智能 大模型 治理 规范 标准 监管 执法 法律 条例 办法
网信办 国家互联网信息办公室 公安部 工业和信息化部 关键信息基础设施 运营者 安全评估 审查 出境 跨境 流动
攻击 黑客 勒索 病毒 漏洞 威胁 事件 应急 防护 美国 西方 制裁 芯片 半导体 供应链 出口管制
世界互联网大会 乌镇 乌镇峰会 论坛 合作 共同体 命运 全球 倡议 一带一路 外交 交流 伙伴
通信 电信 云计算 卫星 量子 加密 密码 未成年人 内容 谣言 诈骗 电信诈骗 案件 犯罪 团伙 抓获
应用程序 移动 支付 电商 直播 短视频 游戏 许可 北京 上海 深圳 广东 杭州 浙江`)

// zipf picks an index in [0, n) with probability falling as 1/(i+1).
func zipf(r *rand.Rand, n int) int {
	// Inverse of the continuous approximation of the harmonic CDF.
	u := r.Float64()
	return min(n-1, int(math.Exp(u*math.Log(float64(n)+1)))-1)
}

func sentence(r *rand.Rand, zh bool, words int) string {
	var b strings.Builder
	for i := range words {
		if zh {
			b.WriteString(zhWords[zipf(r, len(zhWords))])
			if i%9 == 8 {
				b.WriteString("，")
			}
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(enWords[zipf(r, len(enWords))])
	}
	if zh {
		b.WriteString("。")
	} else {
		b.WriteString(".")
	}
	return b.String()
}

func generate(ctx context.Context, s *store.Store, from, to int) error {
	r := rand.New(rand.NewPCG(uint64(from), 42))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	span := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Sub(start)
	const batch = 10000
	for lo := from; lo < to; lo += batch {
		hi := min(lo+batch, to)
		i := lo
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i >= hi {
				return nil, nil
			}
			o := outlets[r.IntN(len(outlets))]
			zh := o.lang == "zh"
			var body strings.Builder
			for p := range 4 + r.IntN(8) {
				if p > 0 {
					body.WriteString("\n\n")
				}
				body.WriteString(sentence(r, zh, 15+r.IntN(25)))
			}
			var tps []string
			for _, k := range r.Perm(len(topics))[:r.IntN(3)] {
				tps = append(tps, topics[k])
			}
			if tps == nil {
				tps = []string{}
			}
			score := float32(r.Float64())
			pub := start.Add(time.Duration(r.Int64N(int64(span))))
			row := []any{fmt.Sprintf("https://bench.example/%d", i), o.name, o.lang,
				strings.TrimSuffix(sentence(r, zh, 6+r.IntN(8)), "."), sentence(r, zh, 20), body.String(),
				pub, pub.Add(time.Duration(r.IntN(3600)) * time.Second), tps, score > 0.6, score, "fetched"}
			i++
			return row, nil
		})
		_, err := s.Pool.CopyFrom(ctx, pgx.Identifier{"articles"},
			[]string{"canonical_url", "outlet", "language", "title", "summary", "body_text", "published_at", "first_seen_at", "topics", "relevant", "score", "fetch_state"}, src)
		if err != nil {
			return fmt.Errorf("copy rows %d–%d: %w", lo, hi, err)
		}
		fmt.Fprintf(os.Stderr, "\r%d/%d", hi, to)
	}
	fmt.Fprintln(os.Stderr)
	if from == to {
		return errors.New("nothing to generate")
	}
	return nil
}
