package classify

import (
	"strings"
	"testing"
)

func TestHanClause(t *testing.T) {
	long := "我国打击电信网络诈骗违法犯罪工作一年来共破获各类案件三十九万起" // 31 characters, one clause
	twenty := "国家网信办发布新规加强短视频平台分级管理工作"[:60]   // 20 characters
	if n := len([]rune(twenty)); n != maxClauseRunes {
		t.Fatalf("test clause has %d characters, want %d", n, maxClauseRunes)
	}
	cases := []struct {
		name, text, phrase, want string
	}{
		{"short clause taken whole", "国家互联网信息办公室关于《金融信息服务数据分类分级指南》", "家互联网信息办公", "国家互联网信息办公室关于"},
		{"digits belong to the clause", "2023年国家网络安全宣传周今天启动", "年国家网络安全宣", "2023年国家网络安全宣传周今天启动"},
		{"other clause untouched", "欧盟出台新规，网信办开展短视频平台分级管理", "网信办开展短视频平", "网信办开展短视频平台分级管理"},
		{"long clause, phrase far from both ends", long, "网络诈骗违法", "网络诈骗违法"},
		{"long clause, near the start", long, "打击电信网络诈骗", "我国打击电信网络诈骗"},
		{"long clause, near the end", long, "各类案件三十九万", "各类案件三十九万起"},
		{"long clause, start exactly clauseSlack away", long, "电信网络诈骗", "我国打击电信网络诈骗"},
		{"long clause, start one more away", long, "信网络诈骗", "信网络诈骗"},
		{"long clause, end exactly clauseSlack away", long, "各类案件三", "各类案件三十九万起"},
		{"long clause, end one more away", long, "各类案件", "各类案件"},
		{"clause of maxClauseRunes taken whole", twenty, "短视频", twenty},
		{"one character more is a long clause", twenty + "了", "短视频", "短视频"},
		{"clause beyond the scan window, phrase in the middle", strings.Repeat("数字经济", 30) + "网络安全" + strings.Repeat("数字经济", 30), "网络安全", "网络安全"},
		{"clause beyond the scan window, near its start", "我国" + strings.Repeat("数字经济", 40), "我国数字", "我国数字"},
		{"clause beyond the scan window, start 2 away", "我国" + "网络安全" + strings.Repeat("数字经济", 40), "网络安全", "我国网络安全"},
		{"clause beyond the scan window, end 2 away", strings.Repeat("数字经济", 40) + "网络安全" + "工作", "网络安全", "网络安全工作"},
		{"English is left alone", "China slams US for adding Chinese firms to entity list", "entity list", "entity list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			norm, offs := normalize(nil, nil, c.text)
			i := strings.Index(string(norm), strings.ToLower(c.phrase))
			if i < 0 {
				t.Fatalf("phrase %q not in %q", c.phrase, norm)
			}
			start, end := hanClause(norm, int32(i), int32(i+len(c.phrase)))
			s := &scratch{}
			s.text[fieldTitle], s.offs[fieldTitle] = c.text, offs
			if got := s.surface(fieldTitle, int(start), int(end)); got != c.want {
				t.Errorf("hanClause(%q) shows %q, want %q", c.phrase, got, c.want)
			}
		})
	}
	// Ranges it cannot widen come back as they are.
	norm, _ := normalize(nil, nil, "网信办开展")
	for _, r := range [][2]int32{{-1, 3}, {3, 3}, {0, int32(len(norm)) + 3}} {
		if s, e := hanClause(norm, r[0], r[1]); s != r[0] || e != r[1] {
			t.Errorf("hanClause(%v) = [%d,%d), want it unchanged", r, s, e)
		}
	}
}

// TestChineseEvidenceWhole checks, with the shipped model, that the
// evidence of a short Chinese headline without punctuation is the whole
// headline once, however many separate phrases carried the decision: the
// phrases widen to the one clause and merge.
func TestChineseEvidenceWhole(t *testing.T) {
	c := defaultClassifier(t)
	for _, title := range []string{
		"习近平向世界互联网大会国际组织成立致贺信",
		"中央网信办发布11项网络直播打赏规定",
		"国家网信办部署开展清朗系列专项行动",
	} {
		res := c.Classify(Input{Title: title, Lang: "zh"})
		if !res.Relevant {
			t.Errorf("%s: not relevant (%.3f); the test needs a relevant headline", title, res.Score)
			continue
		}
		for _, tp := range res.Topics {
			var terms []string
			for _, e := range tp.Evidence {
				if e.Field == FieldTitle {
					terms = append(terms, e.Term)
				}
			}
			if len(terms) > 0 && (len(terms) != 1 || terms[0] != title) {
				t.Errorf("%s: topic %s shows %q, want the whole headline once", title, tp.ID, terms)
			}
		}
	}
}

// BenchmarkHanClauseLongText widens every other two characters of a
// 300,000-character text without punctuation: each call's scan is bounded
// by the longest short clause, so the cost per phrase does not grow with
// the text.
func BenchmarkHanClauseLongText(b *testing.B) {
	norm, _ := normalize(nil, nil, strings.Repeat("网络安全数字经济", 37500))
	b.ResetTimer()
	for b.Loop() {
		for i := int32(0); i+6 <= int32(len(norm)); i += 12 {
			hanClause(norm, i, i+6)
		}
	}
}
