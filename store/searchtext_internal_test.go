package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The rune-by-rune versions the faster ones replaced: the reference.
func stripHanRef(s string) string {
	var b strings.Builder
	inRun := false
	for _, r := range s {
		if isHan(r) {
			if !inRun {
				b.WriteByte(' ')
				inRun = true
			}
			continue
		}
		inRun = false
		b.WriteRune(r)
	}
	return b.String()
}

func cjkBigramsRef(s string) string {
	var b strings.Builder
	var run []rune
	flush := func() {
		switch {
		case len(run) == 1:
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(run[0])
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteRune(run[i])
				b.WriteRune(run[i+1])
			}
		}
		run = run[:0]
	}
	for _, r := range s {
		if isHan(r) {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
	return b.String()
}

var searchTextCases = []string{
	"", "a", "中", "中文", "中文字", "English only, with punctuation: 1.5%!",
	"mixed 数据出境 text, a lone 字 and 中文, ending in 汉字",
	"Xi: 网络安全 matters 𠀀𠀁 and 朕", "𠀀", "a𠀀b", "，。、全角ＡＢＣ", "㐀䶿一鿿豈﫿",
	"bad \xff\xfe bytes 中\x80文", "\xe4\xb8", "中\xe4\xb8", "é中é", "😀中😀文😀",
	strings.Repeat("数据安全 data security ", 300),
}

func TestSearchTextMatchesReference(t *testing.T) {
	for _, s := range searchTextCases {
		if got, want := stripHan(s), stripHanRef(s); got != want {
			t.Errorf("stripHan(%q) = %q, want %q", s, got, want)
		}
		if got, want := cjkBigrams(s), cjkBigramsRef(s); got != want {
			t.Errorf("cjkBigrams(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzSearchText(f *testing.F) {
	for _, s := range searchTextCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := stripHan(s), stripHanRef(s); got != want {
			t.Errorf("stripHan(%q) = %q, want %q", s, got, want)
		}
		if got, want := cjkBigrams(s), cjkBigramsRef(s); got != want {
			t.Errorf("cjkBigrams(%q) = %q, want %q", s, got, want)
		}
		if !utf8.ValidString(stripHan(s)) || !utf8.ValidString(cjkBigrams(s)) {
			t.Errorf("invalid UTF-8 out of %q", s)
		}
	})
}

func BenchmarkSearchText(b *testing.B) {
	s := strings.Repeat("The ministry said data security rules apply. ", 70) + strings.Repeat("网络空间治理和数据安全。", 60)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		stripHan(s)
		cjkBigrams(s)
	}
}

func BenchmarkZhVector(b *testing.B) {
	body := strings.Repeat("The ministry said data security rules apply. ", 60) + strings.Repeat("前三季度相关投资同比增长百分之八，专家认为这一举措有助于稳定市场预期，推动构建网络空间命运共同体。", 12)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := zhVector("网络空间治理", "数据安全管理制度", body); !ok {
			b.Fatal("declined")
		}
	}
}
