package classify

import (
	"math"
	"testing"
	"unicode/utf8"
)

func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"", "cyber", "Cyber Monday", "US' NSA launched cyberattacks", "网信办启动清朗专项行动",
		"Huawei hit by sanctions", "\xff\xfe", "ＡＰＰ", "—–-‐", "a\u00a0b", "hack*",
	} {
		f.Add(s, s, s)
	}
	tax, err := DefaultTaxonomy()
	if err != nil {
		f.Fatal(err)
	}
	c := New(tax, DefaultConfig())
	f.Fuzz(func(t *testing.T, title, summary, body string) {
		res := c.Classify(Input{Title: title, Summary: summary, Body: body})
		if res.Score < 0 || res.Score > 1 || math.IsNaN(res.Score) {
			t.Fatalf("score %v", res.Score)
		}
		if res.Relevant != (res.Score >= c.Threshold()) && math.Abs(res.Score-c.Threshold()) > 1e-4 {
			t.Fatalf("relevant %v with score %v", res.Relevant, res.Score)
		}
		for _, ts := range res.Topics {
			if ts.Score <= 0 || ts.Score > 1 || math.IsNaN(ts.Score) {
				t.Fatalf("topic %s score %v", ts.ID, ts.Score)
			}
			for _, e := range ts.Evidence {
				if e.Field != FieldTitle && e.Field != FieldSummary && e.Field != FieldBody {
					t.Fatalf("field %q", e.Field)
				}
				if !utf8.ValidString(e.Snippet) {
					t.Fatalf("snippet %q not UTF-8", e.Snippet)
				}
			}
		}
	})
}
