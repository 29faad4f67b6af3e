package classify

import (
	"strings"
	"testing"
)

func TestHanClause(t *testing.T) {
	long := "我国打击电信网络诈骗违法犯罪工作一年来共破获各类案件三十九万起" // 32 runes, one clause
	cases := []struct {
		name, text, phrase, want string
	}{
		{"short clause taken whole", "国家互联网信息办公室关于《金融信息服务数据分类分级指南》", "家互联网信息办公", "国家互联网信息办公室关于"},
		{"digits belong to the clause", "2023年国家网络安全宣传周今天启动", "年国家网络安全宣", "2023年国家网络安全宣传周今天启动"},
		{"other clause untouched", "欧盟出台新规，网信办开展短视频平台分级管理", "网信办开展短视频平", "网信办开展短视频平台分级管理"},
		{"long clause, phrase far from both ends", long, "网络诈骗违法", "网络诈骗违法"},
		{"long clause, near the start", long, "打击电信网络诈骗", "我国打击电信网络诈骗"},
		{"long clause, near the end", long, "各类案件三十九万", "各类案件三十九万起"},
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
