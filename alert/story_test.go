package alert

import (
	"reflect"
	"testing"
	"time"
)

// Copies of one wire story (trimmed, a sentence added, a dateline
// changed) are one story; different stories on the same topic are not;
// Chinese copies match on character shingles.
func TestStoryFingerprint(t *testing.T) {
	wire := "BEIJING, Dec. 5 (Xinhua) -- The Cyberspace Administration of China on Friday issued rules that ease the security assessment of personal information leaving the country. Under the rules, companies that export the personal information of fewer than 100,000 people a year no longer need a government security assessment, the administration said. The rules take effect on Jan. 1, 2027."
	copyCD := "The Cyberspace Administration of China on Friday issued rules that ease the security assessment of personal information leaving the country. Under the rules, companies that export the personal information of fewer than 100,000 people a year no longer need a government security assessment, the administration said. The rules take effect on Jan. 1, 2027. (China Daily)"
	other := "The Ministry of Industry and Information Technology on Thursday fined an e-commerce platform for failing to protect user records, after an audit found that an unsecured database exposed the addresses of millions of shoppers. The platform must fix the flaws within 30 days."
	a, ok1 := StoryFingerprint("China issues rules on cross-border data flows", wire)
	b, ok2 := StoryFingerprint("China issues rules on cross-border data flows", copyCD)
	c, ok3 := StoryFingerprint("Ministry fines platform over user data leak", other)
	if !ok1 || !ok2 || !ok3 {
		t.Fatal("no fingerprint for full articles")
	}
	if popcount(a^b) > StoryCandidateDistance {
		t.Errorf("two copies of one wire story differ (distance %d)", popcount(a^b))
	}
	t.Logf("English: copies %d bits apart, different stories %d; Chinese follows", popcount(a^b), popcount(a^c))
	sw, sc, so := NewStorySketch(StoryDoc{"China issues rules on cross-border data flows", wire, "Xinhua"}),
		NewStorySketch(StoryDoc{"China issues rules on cross-border data flows", copyCD, "China Daily"}),
		NewStorySketch(StoryDoc{"Ministry fines platform over user data leak", other, "Xinhua"})
	if !SameStoryText(&sw, &sc) || SameStoryText(&sw, &so) {
		t.Errorf("text check: copies %v (want true), different stories %v (want false)", SameStoryText(&sw, &sc), SameStoryText(&sw, &so))
	}
	if popcount(a^c) <= storyFingerprintOnlyDistance {
		t.Errorf("two different stories match (distance %d)", popcount(a^c))
	}
	// The daemon passes the title and the text apart; a Xinhua copy opens
	// with its dateline, another outlet's copy drops it and adds a source.
	zhTitle := "国家网信办发布促进和规范数据跨境流动规定"
	zh1 := "新华社北京12月5日电 国家互联网信息办公室5日公布规定，明确向境外提供个人信息不满十万人的，免予申报数据出境安全评估。规定自2027年1月1日起施行。"
	zh2 := "国家互联网信息办公室5日公布规定，明确向境外提供个人信息不满十万人的，免予申报数据出境安全评估。规定自2027年1月1日起施行。（来源：人民网）"
	zh3 := "工业和信息化部近日组织检查，发现多款应用程序存在违规收集个人信息、强制索取权限等问题，要求相关企业限期整改。"
	x, _ := StoryFingerprint(zhTitle, zh1)
	y, _ := StoryFingerprint(zhTitle, zh2)
	z, _ := StoryFingerprint("工业和信息化部通报侵害用户权益行为的应用程序", zh3)
	t.Logf("Chinese: copies %d bits apart, different stories %d", popcount(x^y), popcount(x^z))
	if popcount(x^y) > StoryCandidateDistance || popcount(x^z) <= storyFingerprintOnlyDistance {
		t.Errorf("Chinese: copies distance %d (want ≤ %d), different stories distance %d", popcount(x^y), StoryCandidateDistance, popcount(x^z))
	}
	if _, ok := StoryFingerprint("Short title", ""); ok {
		t.Error("a bare title should get no fingerprint")
	}
}

// A leading wire dateline is dropped before the text window is taken, so
// a copy that keeps it and one that drops it read the same start.
func TestStripDateline(t *testing.T) {
	// (Alike by design: a table of inputs and wants, the shape every table
	// test in the tree shares.)
	for in, want := range map[string]string{
		"BEIJING, Dec. 5 (Xinhua) -- The State Council said":       "The State Council said",
		"ANKARA, Nov. 17 (Xinhua) -- The Turkish Parliament":       "The Turkish Parliament",
		"新华社北京12月5日电 国家互联网信息办公室5日公布规定":                             "国家互联网信息办公室5日公布规定",
		"新华社北京12月5日电（记者张三）国务院近日印发":                                 "国务院近日印发",
		"The rules, announced in BEIJING, Dec. 5 (Xinhua) -- stay": "The rules, announced in BEIJING, Dec. 5 (Xinhua) -- stay",
		"国家互联网信息办公室5日公布规定":                                         "国家互联网信息办公室5日公布规定",
	} {
		if got := stripDateline(in); got != want {
			t.Errorf("stripDateline(%q) = %q, want %q", in, got, want)
		}
	}
}

func popcount(v uint64) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

// A digest shows one item per story: the best-scoring copy, naming the
// other outlets.
func TestFoldStories(t *testing.T) {
	day := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	items := []Item{
		{ArticleID: 1, StoryID: 7, Outlet: "Xinhua", Score: 0.8, PublishedAt: day},
		{ArticleID: 2, StoryID: 0, Outlet: "CGTN", Score: 0.6, PublishedAt: day},
		{ArticleID: 3, StoryID: 7, Outlet: "China Daily", Score: 0.9, PublishedAt: day},
		{ArticleID: 4, StoryID: 7, Outlet: "Global Times", Score: 0.7, PublishedAt: day},
		{ArticleID: 5, StoryID: 7, Outlet: "Xinhua", Score: 0.5, PublishedAt: day},
	}
	got := FoldStories(items)
	if len(got) != 2 {
		t.Fatalf("%d items, want 2", len(got))
	}
	if got[0].ArticleID != 3 || !reflect.DeepEqual(got[0].AlsoCarriedBy, []string{"Xinhua", "Global Times"}) {
		t.Errorf("story kept %d also carried by %v; want 3 with Xinhua, Global Times", got[0].ArticleID, got[0].AlsoCarriedBy)
	}
	if got[0].AlsoLine() != "also carried by: Xinhua, Global Times" {
		t.Errorf("also line %q", got[0].AlsoLine())
	}
	if got[1].ArticleID != 2 {
		t.Errorf("an item without a story was lost: %+v", got[1])
	}
}
