package alert

import (
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The text check on made-up cases of each kind it must tell apart.
func TestSameStoryText(t *testing.T) {
	wire := "The Cyberspace Administration of China on Friday issued rules that ease the security assessment of personal information leaving the country. Under the rules, companies that export the personal information of fewer than 100,000 people a year no longer need a government security assessment, the administration said. The rules take effect on Jan. 1, 2027, and replace the interim measures of 2022."
	cases := []struct {
		name string
		a, b StoryDoc
		same bool
	}{{
		name: "feed summary against the full text (containment, not overlap)",
		a:    StoryDoc{"China eases security checks on outbound personal data", "BEIJING, Dec. 5 (Xinhua) -- " + wire, "Xinhua"},
		b:    StoryDoc{"China eases security checks on outbound personal data", "The Cyberspace Administration of China on Friday issued rules that ease the security assessment of personal information leaving the country.", "China Daily"},
		same: true,
	}, {
		name: "re-titled copy with a column prefix, bare titles",
		a:    StoryDoc{"新华社消息丨国家网信办发布促进和规范数据跨境流动规定", "", "Xinhua"},
		b:    StoryDoc{"国家网信办发布促进和规范数据跨境流动规定", "", "People's Daily"},
		same: true,
	}, {
		name: "a daily template with new figures",
		a:    StoryDoc{"国家网信办通报：本周处置违规账号1200余个", "本周，网信部门依法处置违规账号1200余个，关闭违规网站35家，约谈平台12家。", "CCTV"},
		b:    StoryDoc{"国家网信办通报：本周处置违规账号1500余个", "本周，网信部门依法处置违规账号1500余个，关闭违规网站41家，约谈平台9家。", "Xinhua"},
		same: false,
	}, {
		name: "the same template on another day",
		a:    StoryDoc{"数据安全周报", "截至今天（3月5日）17时，全国共受理数据安全投诉举报，处理进度总体平稳。", "CCTV"},
		b:    StoryDoc{"数据安全周报", "截至今天（3月6日）17时，全国共受理数据安全投诉举报，处理进度总体平稳。", "CCTV"},
		same: false,
	}, {
		name: "a round-up against one of its items",
		a:    StoryDoc{"国内联播快讯", "国家网信办发布促进和规范数据跨境流动规定。工业和信息化部组织检查多款应用程序。", "CCTV"},
		b:    StoryDoc{"国家网信办发布促进和规范数据跨境流动规定", "国家网信办发布促进和规范数据跨境流动规定。", "Xinhua"},
		same: false,
	}, {
		name: "two questions at one briefing with one stock answer",
		a:    StoryDoc{"Will the new export rules affect the trade talks?", "As I said, China firmly opposes the unilateral sanctions and will take the necessary measures to safeguard its legitimate rights and interests.", "PRC MFA"},
		b:    StoryDoc{"When will China announce its countermeasures to the export rules?", "As I said, China firmly opposes the unilateral sanctions and will take the necessary measures to safeguard its legitimate rights and interests.", "PRC MFA"},
		same: false,
	}, {
		name: "a report and another outlet's answer that reproduces it",
		a:    StoryDoc{"习近平同某国总统通电话", "国家主席习近平应约同某国总统通电话。双方就两国关系和共同关心的国际问题深入交换了意见，一致同意加强数字经济和网络安全合作。", "CCTV"},
		b:    StoryDoc{"昨天两国元首通电话，你能否介绍有关情况？", "习近平主席应约同某国总统通电话。双方就两国关系和共同关心的国际问题深入交换了意见，一致同意加强数字经济和网络安全合作。", "PRC MFA"},
		same: true,
	}, {
		name: "one outlet's announcement and its next-day answer quoting it",
		a:    StoryDoc{"At the invitation of the foreign minister, the foreign minister of Ruritania will pay an official visit to China from May 3 to 6.", "At the invitation of the foreign minister, the foreign minister of Ruritania will pay an official visit to China from May 3 to 6.", "PRC MFA"},
		b:    StoryDoc{"Can you give more details of the visit announced yesterday?", "At the invitation of the foreign minister, the foreign minister of Ruritania will pay an official visit to China from May 3 to 6. The two sides will discuss digital trade.", "PRC MFA"},
		same: true,
	}, {
		name: "one outlet's template titles that differ by one word (女子/男子)",
		a:    StoryDoc{"网络安全技能大赛丨女子个人赛决赛成绩公报", "", "Xinhua"},
		b:    StoryDoc{"网络安全技能大赛丨男子个人赛决赛成绩公报", "", "Xinhua"},
		same: false,
	}, {
		name: "one outlet's template sentence, second against third day",
		a:    StoryDoc{"Reported data breaches declined for a second day starting from March 4.", "Reported data breaches declined for a second day starting from March 4.", "PRC MFA"},
		b:    StoryDoc{"Reported data breaches declined for a third day starting from March 4.", "Reported data breaches declined for a third day starting from March 4.", "PRC MFA"},
		same: false,
	}, {
		name: "one outlet's report and its follow-up whose headline extends the report's",
		a:    StoryDoc{"国家网信办发布促进和规范数据跨境流动规定", "国家网信办今天发布促进和规范数据跨境流动规定，明确数据出境安全评估的适用范围和豁免情形，进一步便利企业开展国际业务。", "CCTV"},
		b:    StoryDoc{"国家网信办发布促进和规范数据跨境流动规定在业界引起热烈反响", "国家网信办发布促进和规范数据跨境流动规定，明确数据出境安全评估的适用范围和豁免情形，进一步便利企业开展国际业务。业界人士表示，新规定将有效降低合规成本。", "CCTV"},
		same: false,
	}, {
		name: "another outlet's own headline, found in the report's title and text",
		a:    StoryDoc{"新华社消息丨国家网信办发布数据跨境流动新规", "", "Xinhua"},
		b:    StoryDoc{"数据出境安全评估范围明确 便利企业开展国际业务", "国家网信办今天发布数据跨境流动新规，明确数据出境安全评估的适用范围和豁免情形，进一步便利企业开展国际业务。", "CCTV"},
		same: true,
	}, {
		name: "two transcript versions of one question and answer",
		a:    StoryDoc{"According to media reports, several Western companies have halted their data transfers to China after the new rules. What's your comment on this?", "The new rules make data transfers easier and more predictable. We welcome companies from all countries to invest and operate in China in accordance with the laws.", "PRC MFA"},
		b:    StoryDoc{"According to some media reports, several Western companies have stopped their data transfers to China after the new rules. What's your comment on this?", "The new rules make it easier and more predictable to transfer data. Companies from all countries are welcome to invest and operate in China in accordance with laws.", "PRC MFA"},
		same: true,
	}, {
		name: "two stories on one topic",
		a:    StoryDoc{"China eases security checks on outbound personal data", wire, "Xinhua"},
		b:    StoryDoc{"Ministry fines platform over user data leak", "The Ministry of Industry and Information Technology on Thursday fined an e-commerce platform for failing to protect user records, after an audit found that an unsecured database exposed the addresses of millions of shoppers.", "Xinhua"},
		same: false,
	}}
	for _, c := range cases {
		a, b := NewStorySketch(c.a), NewStorySketch(c.b)
		if got := SameStoryText(&a, &b); got != c.same {
			t.Errorf("%s: SameStoryText = %v, want %v", c.name, got, c.same)
		}
		if SameStoryText(&a, &b) != SameStoryText(&b, &a) {
			t.Errorf("%s: the check is not symmetric", c.name)
		}
	}
}

// Days and figures are told apart: a day of the month is not a figure,
// and Chinese ordinals are figures.
func TestStoryDaysAndFigures(t *testing.T) {
	s := "今天（5月19日）第二次会议通过2.98亿元预算，十五届全会将于20日开幕；BEIJING, Nov. 18 -- 312 cases"
	d, f := daysAndFigures(s)
	if got := strings.Join(d, ","); got != "19,20,18" {
		t.Errorf("days = %s, want 19,20,18", got)
	}
	if got := strings.Join(f, ","); got != "2,98,312,#二,#十五" {
		t.Errorf("figures = %s, want 2,98,312,#二,#十五", got)
	}
	if d, f := daysAndFigures("Between 00:00 and 24:00, February 12, there were 312 cases; May 2027"); strings.Join(d, ",") != "12" || strings.Join(f, ",") != "00,24,312,2027" {
		t.Errorf("English: days %v figures %v, want [12] and [00 24 312 2027]", d, f)
	}
	if got := normaliseStoryTitle("新华社消息丨菲律宾强震已造成32人死亡--国际"); got != "菲律宾强震已造成32人死亡" {
		t.Errorf("normalised title %q", got)
	}
}

func BenchmarkSameStoryText(b *testing.B) {
	x := NewStorySketch(StoryDoc{"习近平同某国总统通电话", strings.Repeat("国家主席习近平应约同某国总统通电话。双方就两国关系和共同关心的国际问题深入交换了意见。", 10), "CCTV"})
	y := NewStorySketch(StoryDoc{"昨天两国元首通电话，你能否介绍有关情况？", strings.Repeat("习近平主席应约同某国总统通电话。双方就两国关系和共同关心的国际问题深入交换了意见。", 10), "PRC MFA"})
	b.ReportAllocs()
	for b.Loop() {
		SameStoryText(&x, &y)
	}
}

// BenchmarkStoryCandidateCheck is what the daemon does per candidate: a
// sketch of the stored text, then the check.
func BenchmarkStoryCandidateCheck(b *testing.B) {
	self := NewStorySketch(StoryDoc{"China eases security checks on outbound personal data", strings.Repeat("The Cyberspace Administration of China on Friday issued rules that ease the security assessment of personal information leaving the country. ", 10), "Xinhua"})
	stored := StoryDoc{"Ministry fines platform over user data leak", strings.Repeat("The Ministry of Industry and Information Technology on Thursday fined an e-commerce platform for failing to protect user records. ", 3)[:StoryCheckChars], "China Daily"}
	b.ReportAllocs()
	for b.Loop() {
		other := NewStorySketch(stored)
		SameStoryText(&self, &other)
	}
}

// hashSet is what shingleHashes computes, the slow way.
func hashSet(sh []string) []uint64 {
	out := make([]uint64, 0, len(sh))
	for _, s := range sh {
		h := fnv.New64a()
		h.Write([]byte(s))
		out = append(out, h.Sum64())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// shingleHashes hashes the shingles that shingles lists, without them.
func TestShingleHashes(t *testing.T) {
	for _, s := range []string{
		"", "one two", "BEIJING, Dec. 5 (Xinhua) -- The rules take effect on Jan. 1, 2027.",
		"国家网信办发布促进和规范数据跨境流动规定", "新华社消息丨17家全国性行业协会商会联合发布《国内贸易交易指引（试行）》 and APEC 2025 leaders",
		"Ａｂｃ ＤＥＦ ghi 中 jkl 文",
	} {
		if got, want := shingleHashes(s, nil), hashSet(shingles(s)); !slices.Equal(got, want) {
			t.Errorf("%q: shingleHashes %v, want %v", s, got, want)
		}
	}
}

// The hand-written title and ordinal scanners agree with the regular
// expressions they replace (kept here as their specification) on every
// title and text of the labelled pairs, and on made-up edge cases.
func TestStoryScannersMatchRegexps(t *testing.T) {
	column := regexp.MustCompile(`^[^丨｜|]{1,12}[丨｜|]\s*`)
	section := regexp.MustCompile(`(--[^-]{1,8}|【\d+】|_[^_]{2,20})$`)
	ordinal := regexp.MustCompile(`第([一二三四五六七八九十百零〇两]+)|([一二三四五六七八九十百]+)届`)
	check := func(s string) {
		if got, want := dropTitleColumn(s), column.ReplaceAllString(s, ""); got != want {
			t.Errorf("column of %q: %q, want %q", s, got, want)
		}
		if got, want := dropTitleSection(s), section.ReplaceAllString(s, ""); got != want {
			t.Errorf("section of %q: %q, want %q", s, got, want)
		}
		var want []string
		for _, m := range ordinal.FindAllStringSubmatch(s, -1) {
			if n := "#" + m[1] + m[2]; !slices.Contains(want, n) {
				want = append(want, n)
			}
		}
		if got := zhOrdinals(s, nil); !slices.Equal(got, want) {
			t.Errorf("ordinals of %q: %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{
		"", "丨x", "新华社消息丨 标题", "一二三四五六七八九十一二三丨太长的栏目", "a|b｜c", "x--国际", "x---b", "a--b--c", "x--123456789",
		"标题【5】", "标题【】", "标题【5a】", "a_b", "a_bc", "x_abc--d", "第十五届全运会", "第三十二次第二阶段", "十五届", "第届", "第二十届二届",
	} {
		check(s)
	}
	// The labelled pairs' texts (skips when ../shared is absent, after the
	// made-up cases).
	for _, name := range []string{"story_pairs.tsv", "story_pairs_heldout.tsv", "story_pairs_heldout2.tsv"} {
		_, docs := loadStoryEval(t, name)
		for _, d := range docs {
			check(d.title)
			check(d.text)
		}
	}
}
