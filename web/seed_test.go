package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/classify"
	"github.com/wirewatch/wirewatch/store"
)

// The seeded archive: sources of several outlets (two of them broken),
// English and Chinese articles written for these tests in the style of
// state media, classified by the real classifier, one of them edited after
// publication and one removed, and deliveries to two subscribers (one
// failed).

type seedSource struct {
	name, outlet, kind, url, lang string
	failures                      int
	lastError                     string
	lastStatus                    int
}

var seedSources = []seedSource{
	{"globaltimes-china", "Global Times", "feed", "https://www.globaltimes.cn/rss/china.xml", "en", 0, "", 200},
	{"xinhua-english-china", "Xinhua", "feed", "https://english.news.cn/rss/china.xml", "en", 0, "", 200},
	{"chinadaily-china", "China Daily", "listing", "https://www.chinadaily.com.cn/china/", "en", 4, "listing page matched no items (item selector \".mb10 .tw3_01_2\"): the outlet may have changed its markup", 200},
	{"cgtn-tech", "CGTN", "feed", "https://www.cgtn.com/subscribe/rss/section/tech.xml", "en", 0, "", 200},
	{"people-cn-it", "People's Daily", "listing", "http://it.people.com.cn/", "zh", 0, "", 200},
	{"cac-gov-cn", "Cyberspace Administration of China", "listing", "https://www.cac.gov.cn/wxzw/A0937index_1.htm", "zh", 1, "GET https://www.cac.gov.cn/wxzw/A0937index_1.htm: server answered 503 Service Unavailable", 503},
	{"xinhuanet-world", "Xinhua", "listing", "http://www.news.cn/world/", "zh", 0, "", 200},
	{"ecns-society", "ecns", "feed", "http://www.ecns.cn/rss/rss.xml", "en", 0, "", 200},
}

type seedArticle struct {
	key, source, url, lang, title, summary, body string
	// age is how long ago it was published.
	age time.Duration
	// edited is the text of revision 2 (edited after publication); "" for none.
	edited, editedTitle string
	removed             bool
}

const hackingBody1 = `China firmly opposes the groundless accusations made by the United States over so-called state-sponsored hacking, a Foreign Ministry spokesperson said on Tuesday.

The spokesperson said Washington had once again smeared China without presenting any evidence, and that the claims about the "Volt Typhoon" group were a disinformation campaign launched by US intelligence agencies to secure more funding from Congress.

"The United States is the world's largest hacker empire," the spokesperson said, noting that China's National Computer Virus Emergency Response Center has documented US cyber attacks against Chinese universities and research institutes.

China is itself a major victim of cyber attacks and always opposes and cracks down on all forms of hacking in accordance with the law, the spokesperson added, urging Washington to stop politicizing cybersecurity issues.`

const hackingBody2 = `China firmly opposes the groundless accusations made by the United States over so-called state-sponsored hacking, a Foreign Ministry spokesperson said on Tuesday.

The spokesperson said Washington had once again smeared China without presenting any evidence, and that the claims about the "Volt Typhoon" group were a disinformation campaign launched by US intelligence agencies to secure more funding from Congress.

China is itself a major victim of cyber attacks and always opposes and cracks down on all forms of hacking in accordance with the law, the spokesperson added, urging Washington to stop politicizing cybersecurity issues and to return to dialogue.

The spokesperson also called on the international community to jointly safeguard peace and security in cyberspace.`

var seedArticles = []seedArticle{
	{key: "hacking", source: "globaltimes-china", url: "https://www.globaltimes.cn/page/202612/1336021.shtml", lang: "en",
		title:   "China slams US smear over so-called Volt Typhoon hacking claims",
		summary: "The Foreign Ministry says US hacking accusations are a disinformation campaign.",
		body:    hackingBody1, age: 30 * time.Hour,
		edited: hackingBody2, editedTitle: "China slams US smear over so-called Volt Typhoon hacking claims, calls for dialogue"},
	{key: "datasec", source: "xinhua-english-china", url: "https://english.news.cn/20261204/network-data-regulation/c.html", lang: "en",
		title:   "China unveils regulation on network data security management",
		summary: "The State Council has published a regulation on network data security management that takes effect next year.",
		body: `China's State Council has published a regulation on network data security management, setting out how network data handlers must protect personal information and important data.

The regulation requires platforms to carry out risk assessments before providing important data abroad and to report data security incidents to the authorities within a set time.

Officials at the Cyberspace Administration of China said the rules implement the Data Security Law and the Personal Information Protection Law and will promote the orderly cross-border flow of data.`,
		age: 50 * time.Hour},
	{key: "rumors", source: "chinadaily-china", url: "https://www.chinadaily.com.cn/a/202612/02/WS6a1b2c3d.html", lang: "en",
		title:   "Cyberspace regulator launches campaign against online rumors and false information",
		summary: "A two-month campaign targets online rumors, fake accounts and illegal content.",
		body: `The Cyberspace Administration of China has launched a two-month campaign to clean up online rumors and false information on major platforms.

The campaign targets self-media accounts that fabricate news, manipulate trending topics and spread illegal content, the regulator said on Monday.

Platforms must improve content review and label information generated by artificial intelligence, according to the notice.`,
		age: 4 * 24 * time.Hour, removed: true},
	{key: "sanctions", source: "cgtn-tech", url: "https://news.cgtn.com/news/2026-12-03/Experts-US-chip-export-controls-backfire/index.html", lang: "en",
		title:   "Experts: US export controls on Chinese tech firms disrupt global chip supply chains",
		summary: "Analysts say new US export controls and entity list additions hurt global semiconductor supply chains.",
		body: `New US export controls and the addition of dozens of Chinese technology companies to the entity list will disrupt global semiconductor supply chains, experts told CGTN.

The Ministry of Commerce said China firmly opposes the US abuse of export control measures and will take necessary measures to safeguard the legitimate rights of Chinese firms such as Huawei.

Analysts noted that the sanctions have accelerated China's push for self-reliance in chips.`,
		age: 70 * time.Hour},
	{key: "panda", source: "ecns-society", url: "http://www.ecns.cn/news/society/2026-12-05/detail-ihcpanda.shtml", lang: "en",
		title:   "Panda cub born at Chengdu base draws crowds of online fans",
		summary: "A giant panda cub born at the Chengdu Research Base has become an online star.",
		body:    "A giant panda cub born at the Chengdu Research Base of Giant Panda Breeding in September has drawn crowds of visitors and millions of views online.\n\nKeepers said the cub weighs 6 kilograms and is in good health.",
		age:     10 * time.Hour},
	{key: "zh-datasec", source: "people-cn-it", url: "http://it.people.com.cn/n1/2026/1205/c1009-40612345.html", lang: "zh",
		title:   "国家网信办解读《网络数据安全管理条例》：筑牢数据安全屏障",
		summary: "《网络数据安全管理条例》对个人信息保护、重要数据安全和数据跨境流动作出规定。",
		body: `近日，国务院公布《网络数据安全管理条例》，对网络数据处理活动中的个人信息保护、重要数据安全、网络数据跨境安全管理等作出规定。

国家网信办有关负责人表示，条例是落实《数据安全法》《个人信息保护法》的重要举措，将进一步筑牢网络安全和数据安全屏障。

条例要求网络平台服务提供者加强数据安全管理，依法开展风险评估，并及时报告数据安全事件。`,
		age: 20 * time.Hour},
	{key: "zh-hacking", source: "xinhuanet-world", url: "http://www.news.cn/world/20261204/hacker-claims/c.html", lang: "zh",
		title:   "外交部：美方炒作所谓“中国黑客”威胁毫无根据",
		summary: "外交部发言人表示，美方对中方的网络攻击指责毫无事实依据。",
		body: `外交部发言人在例行记者会上表示，美方再次炒作所谓“中国黑客”威胁，对中方进行抹黑，这种做法毫无事实依据。

发言人指出，美国才是全球最大的黑客帝国，长期对包括中国在内的世界各国实施网络攻击和网络窃密。

中方一贯坚决反对并依法打击一切形式的网络攻击，敦促美方停止将网络安全问题政治化。`,
		age: 26 * time.Hour},
}

// fixture is what seed stored.
type fixture struct {
	ids     map[string]int64 // article key → id
	sources map[string]int64
}

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seed fills a fresh test database through the daemon's pool (the web
// reads through its own read-only pool).
func seed(t testing.TB, st *store.Store) fixture {
	t.Helper()
	ctx := context.Background()
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		t.Fatalf("taxonomy: %v", err)
	}
	clf := classify.New(tax, classify.DefaultConfig())
	fx := fixture{ids: map[string]int64{}, sources: map[string]int64{}}
	for i, s := range seedSources {
		var id int64
		okAt := "now() - interval '20 minutes'"
		if s.failures > 0 {
			okAt = "now() - interval '3 days'"
		}
		var lastErr *string
		if s.lastError != "" {
			lastErr = &s.lastError
		}
		err := st.Pool.QueryRow(ctx, `
INSERT INTO sources (name, outlet, kind, url, language, failures, last_error, last_status, last_polled_at, last_ok_at,
                     last_item_count, next_poll_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() - interval '10 minutes', `+okAt+`, 20, now() + make_interval(mins => $9))
RETURNING id`, s.name, s.outlet, s.kind, s.url, s.lang, s.failures, lastErr, s.lastStatus, 5+i*3).Scan(&id)
		if err != nil {
			t.Fatalf("seed source %s: %v", s.name, err)
		}
		fx.sources[s.name] = id
	}
	// Xinhua's first poll found week-old items: the backfill policy held
	// them back (the daemon counts them in sources.held_back).
	if _, err := st.Pool.Exec(ctx, `UPDATE sources SET held_back = 12 WHERE name = 'xinhua-english-china'`); err != nil {
		t.Fatalf("seed held back: %v", err)
	}
	for _, a := range seedArticles {
		c := clf.Classify(classify.Input{Title: a.title, Summary: a.summary, Body: a.body, Lang: a.lang})
		rev := 1
		if a.edited != "" {
			c = clf.Classify(classify.Input{Title: a.editedTitle, Summary: a.summary, Body: a.edited, Lang: a.lang})
			rev = 2
		}
		title, body := a.title, a.body
		if a.edited != "" {
			title, body = a.editedTitle, a.edited
		}
		topics := []string{}
		for _, tp := range c.Topics {
			if tp.Score >= classify.DefaultThreshold {
				topics = append(topics, tp.ID)
			}
		}
		var id int64
		err := st.Pool.QueryRow(ctx, `
INSERT INTO articles (canonical_url, source_id, outlet, title, byline, published_at, first_seen_at, language, summary, body_text,
                      content_hash, extract_method, revision, removed_at, fetch_state, last_checked_at, next_check_at,
                      classifier_version, relevant, score, topics)
SELECT $1, s.id, s.outlet, $3, '', now() - $4::interval, now() - $4::interval + interval '7 minutes', $5, $6, $7,
       md5($7), 'rule', $8, CASE WHEN $9 THEN now() - interval '1 hour' END, 'fetched', now() - interval '1 hour', NULL,
       $10, $11, $12, $13
FROM sources s WHERE s.name = $2
RETURNING id`, a.url, a.source, title, a.age, a.lang, a.summary, body, rev, a.removed,
			c.Version, c.Relevant, float32(c.Score), topics).Scan(&id)
		if err != nil {
			t.Fatalf("seed article %s: %v", a.key, err)
		}
		fx.ids[a.key] = id
		raw := `<!doctype html><html><head><title>` + a.title + `</title><script>document.title="pwned"</script></head><body><h1>` + a.title + `</h1><p>` + strings.ReplaceAll(a.body, "\n\n", "</p><p>") + `</p></body></html>`
		if _, err := st.Pool.Exec(ctx, `
INSERT INTO article_revisions (article_id, revision, seen_at, title, body_text, content_hash, extract_method, raw_gzip, raw_charset)
VALUES ($1, 1, now() - $2::interval + interval '7 minutes', $3, $4, md5($4), 'rule', $5, 'utf-8')`, id, a.age, a.title, a.body, gz(t, raw)); err != nil {
			t.Fatalf("seed revision of %s: %v", a.key, err)
		}
		if a.edited != "" {
			if _, err := st.Pool.Exec(ctx, `
INSERT INTO article_revisions (article_id, revision, seen_at, title, body_text, content_hash, extract_method, raw_gzip, raw_charset)
VALUES ($1, 2, now() - interval '3 hours', $2, $3, md5($3), 'rule', $4, 'utf-8')`, id, a.editedTitle, a.edited, gz(t, raw)); err != nil {
				t.Fatalf("seed revision 2 of %s: %v", a.key, err)
			}
		}
		for _, tp := range c.Topics {
			ev, err := json.Marshal(tp.Evidence)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Pool.Exec(ctx, `
INSERT INTO classifications (article_id, classifier_version, topic, score, relevant, evidence, revision)
VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, c.Version, tp.ID, float32(tp.Score), c.Relevant, ev, rev); err != nil {
				t.Fatalf("seed classification of %s: %v", a.key, err)
			}
		}
	}
	var desk, hook int64
	if err := st.Pool.QueryRow(ctx, `INSERT INTO subscribers (name) VALUES ('policy-desk') RETURNING id`).Scan(&desk); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool.QueryRow(ctx, `INSERT INTO subscribers (name) VALUES ('slack-bridge') RETURNING id`).Scan(&hook); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		sub             int64
		article, status string
		channel         string
		errText         *string
	}{
		{desk, "hacking", "sent", "email", nil},
		{desk, "datasec", "sent", "email", nil},
		{hook, "hacking", "sent", "webhook", nil},
		{hook, "datasec", "failed", "webhook", ptr("webhook: POST https://hooks.example.org/wirewatch: 502 Bad Gateway after 8 attempts")},
		{desk, "zh-datasec", "pending", "email", nil},
	} {
		if _, err := st.Pool.Exec(ctx, `
INSERT INTO deliveries (subscriber_id, article_id, channel, mode, status, attempts, sent_at, error, updated_at)
VALUES ($1, $2, $3, 'immediate', $4, CASE WHEN $4 = 'failed' THEN 8 ELSE 1 END, CASE WHEN $4 = 'sent' THEN now() - interval '2 hours' END, $5, now() - interval '1 hour')`,
			d.sub, fx.ids[d.article], d.channel, d.status, d.errText); err != nil {
			t.Fatalf("seed delivery: %v", err)
		}
	}
	if _, err := st.Pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	return fx
}

func ptr[T any](v T) *T { return &v }
