package daemon_test

import (
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirewatch/wirewatch/config"
)

// newsroom is a loopback site of RSS feeds and article pages written for
// the digest test: cyber-policy news of every topic of the taxonomy, in the
// register of English-language state media, generated deterministically
// from phrase lists written for this test (no text is copied from any
// outlet). Each feed lists perFeed items; every copyEvery-th item of a feed
// republishes an item of the previous feed (wire copy: another outlet, the
// same text), so stories span outlets.
type newsroom struct {
	srv       *httptest.Server
	feeds     int
	perFeed   int
	copyEvery int
	published time.Time
	pages     atomic.Int64 // article pages served
}

func newNewsroom(t *testing.T, feeds, perFeed int) *newsroom {
	n := &newsroom{feeds: feeds, perFeed: perFeed, copyEvery: 10, published: time.Now().Add(-2 * time.Hour).Truncate(time.Second)}
	n.srv = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.srv.Close)
	return n
}

// specs lists the newsroom's feeds as catalogue sources.
func (n *newsroom) specs() []config.SourceSpec {
	out := make([]config.SourceSpec, n.feeds)
	for i := range out {
		out[i] = config.SourceSpec{Name: fmt.Sprintf("newsroom-%02d", i), Outlet: newsroomOutlets[i%len(newsroomOutlets)], Kind: "feed",
			URL: fmt.Sprintf("%s/feed/%d.xml", n.srv.URL, i), Language: "en", Interval: time.Hour}
	}
	return out
}

// original is the feed and item whose text item j of feed i carries: a
// republished item carries the previous feed's item before it (never
// itself a copy).
func (n *newsroom) original(i, j int) (int, int) {
	if n.feeds > 1 && j%n.copyEvery == n.copyEvery-1 {
		return (i + n.feeds - 1) % n.feeds, j - 1
	}
	return i, j
}

func (n *newsroom) serve(w http.ResponseWriter, r *http.Request) {
	var i, j int
	switch {
	case r.URL.Path == "/robots.txt":
		http.NotFound(w, r)
	case strings.HasPrefix(r.URL.Path, "/feed/"):
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.xml", &i); err != nil || i < 0 || i >= n.feeds {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>%s</title><link>%s/</link><description>News</description>
`, html.EscapeString(newsroomOutlets[i%len(newsroomOutlets)]), n.srv.URL)
		for j := range n.perFeed {
			a := newsArticle(n.original(i, j))
			fmt.Fprintf(w, "<item><title>%s</title><link>%s/news/%d/%d.html</link><description>%s</description><pubDate>%s</pubDate></item>\n",
				html.EscapeString(a.title), n.srv.URL, i, j, html.EscapeString(a.paras[0]), n.published.Add(-time.Duration(j)*time.Minute).Format(time.RFC1123Z))
		}
		if i < len(unsafeLinks) {
			// A relevant item whose link points at an address the fetcher
			// must refuse (cloud metadata, private networks).
			fmt.Fprintf(w, "<item><title>Cyberspace regulator issues data security rules for %d platforms</title><link>%s</link><description>The Cyberspace Administration of China issued rules on data security and cross-border data transfers.</description><pubDate>%s</pubDate></item>\n",
				i, html.EscapeString(unsafeLinks[i]), n.published.Format(time.RFC1123Z))
		}
		io.WriteString(w, "</channel></rss>\n")
	case strings.HasPrefix(r.URL.Path, "/news/"):
		if _, err := fmt.Sscanf(r.URL.Path, "/news/%d/%d.html", &i, &j); err != nil || i < 0 || i >= n.feeds || j < 0 || j >= n.perFeed {
			http.NotFound(w, r)
			return
		}
		n.pages.Add(1)
		a := newsArticle(n.original(i, j))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s - %s</title></head><body>
<header><a href="/">%s</a><nav><a href="/china">China</a> | <a href="/world">World</a> | <a href="/business">Business</a> | <a href="/tech">Tech</a> | <a href="/opinion">Opinion</a></nav></header>
<main><article><h1>%s</h1><p class="byline">By %s | Updated %s</p>
`, html.EscapeString(a.title), html.EscapeString(newsroomOutlets[i%len(newsroomOutlets)]), html.EscapeString(newsroomOutlets[i%len(newsroomOutlets)]),
			html.EscapeString(a.title), html.EscapeString(a.byline), n.published.Add(-time.Duration(j)*time.Minute).Format("2006-01-02 15:04"))
		for _, p := range a.paras {
			fmt.Fprintf(w, "<p>%s</p>\n", html.EscapeString(p))
		}
		io.WriteString(w, `</article><aside><h3>Most read</h3><ul><li><a href="/a">Weather: cold front reaches the north</a></li><li><a href="/b">Photos: lantern festival</a></li></ul></aside></main>
<footer>Copyright. All rights reserved. <a href="/about">About us</a> | <a href="/contact">Contact</a></footer></body></html>`)
	default:
		http.NotFound(w, r)
	}
}

// unsafeLinks are listed by the first feeds, one each.
var unsafeLinks = []string{"http://169.254.169.254/latest/meta-data/news.html", "http://10.1.2.3/news/1.html", "http://[::1]:9/news/2.html", "http://192.168.0.10/news/3.html"}

var newsroomOutlets = []string{"Harbour Daily", "Capital Evening News", "Silk Road Wire", "Eastern Dispatch", "Pearl River Post", "Northern Observer", "Yangtze Herald"}

// article is one generated news item.
type article struct {
	topic  string
	title  string
	byline string
	paras  []string
}

// newsTopic is the phrase material for one topic of the taxonomy: headline
// patterns (with %[1]s a place, %[2]s an organisation, %[3]s a number) and
// sentences for the body.
type newsTopic struct {
	id        string
	headlines []string
	sentences []string
}

var newsPlaces = []string{"Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Hangzhou", "Chengdu", "Wuhan", "Xi'an", "Nanjing", "Tianjin",
	"Chongqing", "Suzhou", "Hefei", "Jinan", "Qingdao", "Xiamen", "Kunming", "Harbin", "Changsha", "Zhengzhou",
	"Hainan", "Fujian", "Guizhou", "Zhejiang", "Jiangsu", "Sichuan", "Yunnan", "Shandong", "Hebei", "Guangdong"}

var newsOrgs = []string{"a ride-hailing platform", "a short-video app", "a cloud provider", "a state-owned bank", "a car maker", "an e-commerce giant",
	"a telecom operator", "a hospital group", "a food delivery platform", "a smart-home maker", "an online lender", "a gaming studio",
	"a logistics firm", "a battery maker", "a mapping service", "a university", "an airline", "a port operator", "a chip designer", "a search engine"}

var newsTopics = []newsTopic{
	{id: "data-security", headlines: []string{
		"%[1]s fines %[2]s over leak of %[3]s customer records",
		"New rules tighten cross-border data transfers from %[1]s free trade zone",
		"Regulator orders %[2]s to pass data security review before listing",
		"%[1]s pilots data export whitelist covering %[3]s firms",
		"Personal information protection inspection finds %[3]s apps collecting too much data",
		"Data security law enforcement: %[2]s in %[1]s told to delete illegally held data",
		"Cross-border data rules eased for %[3]s multinationals in %[1]s",
		"%[1]s launches national data exchange with %[3]s listed datasets",
	}, sentences: []string{
		"The Cyberspace Administration of China said the review covered how personal information was collected, stored and sent abroad.",
		"Under the Data Security Law, important data must stay in the country unless it passes a security assessment.",
		"Companies that send personal information abroad must file a standard contract or obtain a certification.",
		"Officials said the inspection found apps asking for location, contacts and camera access they did not need.",
		"The Personal Information Protection Law allows fines of up to 5 percent of a company's annual revenue.",
		"Data brokers were told to register and to keep logs of every transfer for at least three years.",
	}},
	{id: "hacking-espionage", headlines: []string{
		"China's cybersecurity center traces attack on %[1]s university to foreign intelligence agency",
		"%[2]s in %[1]s hit by ransomware, %[3]s servers encrypted",
		"Spokesperson rejects hacking accusations as smear, cites %[3]s attacks on China",
		"Report details cyber espionage campaign against %[1]s research institutes",
		"State security ministry warns of foreign spies stealing data through %[2]s",
		"Hackers planted backdoors in %[3]s routers used by %[1]s utilities, investigators say",
		"Cyber attack on %[1]s earthquake monitoring center blamed on overseas hacker group",
		"Volt Typhoon claims are a disinformation campaign, %[1]s experts say in %[3]s-page report",
	}, sentences: []string{
		"Investigators from the National Computer Virus Emergency Response Center said the attackers used stolen credentials and custom malware.",
		"The Ministry of State Security said foreign intelligence agencies had targeted defense, energy and research networks.",
		"A foreign ministry spokesperson said China firmly opposes all forms of cyber attacks and urged Washington to stop its smears.",
		"Security researchers found the hackers had kept access to the network for months before the breach was detected.",
		"The report attributes the intrusions to a hacking group it says works for a foreign government.",
		"Officials said critical infrastructure operators must report cyber incidents within one hour.",
	}},
	{id: "tech-restrictions", headlines: []string{
		"Commerce ministry condemns new US export controls on chips, vows countermeasures",
		"Huawei unveils %[3]s-nanometer chip despite US sanctions",
		"China adds %[3]s US defense firms to unreliable entity list",
		"US entity list expansion hits %[2]s from %[1]s, ministry says",
		"Semiconductor export curbs backfire on US chipmakers, analysts in %[1]s say",
		"China restricts exports of gallium and germanium used in chips",
		"Netherlands urged not to follow US ban on lithography machine sales, %[3]s firms affected",
		"Chinese chip designers in %[1]s turn to domestic tools after sanctions",
	}, sentences: []string{
		"The Ministry of Commerce said the export controls abuse national security and disrupt global semiconductor supply chains.",
		"Huawei has been on the US entity list since 2019, cutting it off from advanced chips and chipmaking tools.",
		"Analysts said the sanctions have pushed Chinese firms to build their own chip industry faster.",
		"The unreliable entity list bars listed companies from trading with or investing in China.",
		"Beijing has repeatedly said it opposes the US using export controls to contain China's technology development.",
		"The restrictions cover advanced computing chips and the equipment used to make them.",
	}},
	{id: "content-regulation", headlines: []string{
		"Cyberspace regulator launches campaign against online rumors in %[1]s",
		"%[3]s accounts shut down for spreading harmful content, CAC says",
		"Draft rules require labels on AI-generated content online",
		"Internet platforms told to curb fan club chaos and online violence",
		"%[2]s summoned by cyberspace authorities over vulgar livestreams",
		"Qinglang campaign removes %[3]s posts targeting minors",
		"New regulation on algorithm recommendation takes effect in %[1]s",
		"Online platforms must verify identities of self-media accounts, CAC rules",
	}, sentences: []string{
		"The Cyberspace Administration of China said platforms must take down illegal and harmful information and report it to the authorities.",
		"Under the Cybersecurity Law, network operators are responsible for managing the content their users publish.",
		"The campaign targets online rumors, cyberbullying and content that harms minors.",
		"Platforms were ordered to label content generated by artificial intelligence and keep records of it.",
		"Officials said internet companies would be held accountable for failing to manage accounts on their platforms.",
		"The rules on algorithm recommendation require platforms to let users switch off personalized feeds.",
	}},
	{id: "cyber-governance", headlines: []string{
		"World Internet Conference opens in Wuzhen with call for shared future in cyberspace",
		"Xi's letter to internet conference stresses cyber sovereignty",
		"China and %[3]s countries sign initiative on global governance of cyberspace",
		"UN open-ended working group on ICT security meets as %[1]s delegation urges fair rules",
		"Cyberspace cooperation forum in %[1]s draws %[3]s delegates",
		"China proposes international rules for cyberspace at BRICS meeting",
		"Internet governance should respect cyber sovereignty, envoy tells UN panel",
		"Digital Silk Road: %[1]s hosts forum on cyberspace cooperation with ASEAN",
	}, sentences: []string{
		"China advocates a multilateral, democratic and transparent global internet governance system.",
		"Officials said every country has the right to choose its own path of cyber development and internet governance.",
		"The World Internet Conference was founded in Wuzhen in 2014 and became an international organization in 2022.",
		"Delegates discussed norms of responsible state behavior in cyberspace and ways to bridge the digital divide.",
		"The Global Initiative on Data Security calls on states to oppose mass surveillance against other countries.",
		"China's envoy said the United Nations should play the main role in setting rules for cyberspace.",
	}},
	{id: "information-warfare", headlines: []string{
		"Foreign forces use social media for cognitive warfare against China, expert says",
		"Disinformation about %[1]s spread by overseas bot accounts, researchers find",
		"Color revolution attempts online must be guarded against, official warns",
		"%[3]s fake accounts linked to foreign propaganda campaign removed",
		"Western media smear campaign on %[1]s is information warfare, commentary says",
		"US military psychological operations target Chinese internet users, report claims",
		"Cognitive warfare: how fake news about %[1]s floods foreign platforms",
		"Online human rights smear against China exposed by %[3]s-page study",
	}, sentences: []string{
		"Researchers said the accounts posted the same messages within minutes of each other, a sign of coordinated disinformation.",
		"The commentary said some Western politicians use the internet to spread lies and interfere in China's internal affairs.",
		"Experts warned that cognitive warfare aims to shape public opinion and sow division.",
		"The report said the campaign used deepfake videos and paid influencers to spread false narratives.",
		"Officials called on internet users to be alert to foreign propaganda and color revolution tactics online.",
		"Analysts said information warfare has become a main front of rivalry between major powers.",
	}},
}

// newsFiller are sentences any article may carry.
var newsFiller = []string{
	"The announcement was made at a press conference on %[4]s.",
	"Local officials in %[1]s said work would begin within %[3]s days.",
	"Industry insiders said the move had been expected for months.",
	"More details are expected to be released after a public comment period.",
	"The measures apply to companies registered on the Chinese mainland.",
	"A spokesperson for %[2]s declined to comment when reached by phone on %[4]s.",
	"Scholars at a university in %[1]s said enforcement would matter more than the text of the rules.",
	"The number of internet users in China passed 1.1 billion this year.",
}

var (
	newsRoles = []string{"a deputy director", "a spokesperson", "a senior researcher", "the head of the legal department", "an inspector", "a policy adviser", "a section chief", "a professor"}
	newsAt    = []string{"at the provincial cyberspace office", "of the municipal public security bureau", "at a state think tank", "at the local market regulator",
		"of the industry and information technology bureau", "at a law school", "of a national computer emergency team", "at the city government"}
	newsWhere = []string{"after a briefing", "in an interview", "at a forum", "by phone", "on the sidelines of a meeting", "in a written reply", "during an inspection tour"}
	newsUnits = []string{"cases", "companies", "accounts", "complaints", "websites", "apps", "incidents", "inspections"}
	newsDone  = []string{"reviewed", "handled", "reported", "closed", "referred to prosecutors", "flagged", "investigated", "logged"}
	newsSince = []string{"January", "the spring", "March", "the summer", "last year", "the new rules took effect", "the campaign began", "October"}
)

var newsDays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
var newsFirst = []string{"Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun"}
var newsGiven = []string{"Wei", "Fang", "Jing", "Lei", "Min", "Tao", "Yan", "Hui", "Qiang", "Xin", "Yu", "Ning"}

// newsArticle is item j of feed i: deterministic, one topic each, topics
// spread evenly.
func newsArticle(i, j int) article {
	r := rand.New(rand.NewPCG(uint64(i)+1, uint64(j)*7919+3))
	tp := newsTopics[(i+j)%len(newsTopics)]
	place := newsPlaces[r.IntN(len(newsPlaces))]
	org := newsOrgs[r.IntN(len(newsOrgs))]
	num := fmt.Sprint(3 + r.IntN(400))
	day := newsDays[r.IntN(len(newsDays))]
	fill := func(s string) string {
		s = fmt.Sprintf(s, place, org, num, day)
		if k := strings.Index(s, "%!(EXTRA"); k >= 0 {
			s = s[:k]
		}
		return s
	}
	a := article{topic: tp.id, byline: newsFirst[r.IntN(len(newsFirst))] + " " + newsGiven[r.IntN(len(newsGiven))]}
	a.title = capitalize(fill(tp.headlines[r.IntN(len(tp.headlines))]))
	// The lede names who, where and when, in words of its own, so two
	// items differ from their first words (as two real stories do).
	person := newsFirst[r.IntN(len(newsFirst))] + " " + newsGiven[r.IntN(len(newsGiven))]
	a.paras = append(a.paras, fmt.Sprintf("%s, %s -- %s, %s %s, told reporters %s that %s %s had been %s since %s, and that %s.",
		strings.ToUpper(place), day, person, newsRoles[r.IntN(len(newsRoles))], newsAt[r.IntN(len(newsAt))], newsWhere[r.IntN(len(newsWhere))],
		num, newsUnits[r.IntN(len(newsUnits))], newsDone[r.IntN(len(newsDone))], newsSince[r.IntN(len(newsSince))], strings.TrimSuffix(lower(fill(tp.sentences[r.IntN(len(tp.sentences))])), ".")))
	sent := r.Perm(len(tp.sentences))
	filler := r.Perm(len(newsFiller))
	for p := range 3 + r.IntN(3) {
		var b []string
		b = append(b, tp.sentences[sent[p%len(sent)]])
		b = append(b, fill(newsFiller[filler[p%len(filler)]]))
		if p%2 == 1 {
			b = append(b, tp.sentences[sent[(p+3)%len(sent)]])
		}
		a.paras = append(a.paras, strings.Join(b, " "))
	}
	return a
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lower(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
