package dates

import (
	"testing"
	"time"
)

// (Alike by design: the table rows are cases of one shape, one input each.)
func TestParse(t *testing.T) {
	bj := Beijing()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	tests := []struct {
		in, layout string
		loc        *time.Location
		want       string // RFC 3339
	}{
		{"Tue, 04 Mar 2025 10:00:00 +0800", "", bj, "2025-03-04T10:00:00+08:00"},
		{"Tue, 04 Mar 2025 02:00:00 GMT", "", bj, "2025-03-04T02:00:00Z"},
		{"Tue, 4 Mar 2025 10:00:00 CST", "", bj, "2025-03-04T10:00:00+08:00"},
		{"Tue, 4 Mar 2025 10:00:00 CST", "", ny, "2025-03-04T10:00:00-06:00"},
		{"Tue, 04 Mar 2025 10:00 EST", "", bj, "2025-03-04T10:00:00-05:00"},
		{"2025-03-04T10:00:00Z", "", bj, "2025-03-04T10:00:00Z"},
		{"2025-03-04T10:00:00.123+08:00", "", time.UTC, "2025-03-04T10:00:00.123+08:00"},
		{"2025-03-04T10:00:00+0800", "", time.UTC, "2025-03-04T10:00:00+08:00"},
		{"2025-03-04T10:00:00", "", bj, "2025-03-04T10:00:00+08:00"},
		{"2025-03-04 10:00:00", "", bj, "2025-03-04T10:00:00+08:00"},
		{"2025-03-04 10:00", "", bj, "2025-03-04T10:00:00+08:00"},
		{"2025-3-4 9:05", "", bj, "2025-03-04T09:05:00+08:00"},
		{"2025/03/04", "", bj, "2025-03-04T00:00:00+08:00"},
		{"2025.03.04", "", bj, "2025-03-04T00:00:00+08:00"},
		{"2025年03月04日 10:00", "", bj, "2025-03-04T10:00:00+08:00"},
		{"2025年3月4日10:00", "", bj, "2025-03-04T10:00:00+08:00"},
		{"2025年03月04日", "", bj, "2025-03-04T00:00:00+08:00"},
		{"２０２５年０３月０４日　１０：００", "", bj, "2025-03-04T10:00:00+08:00"},
		{"发布时间：2025-03-04 10:00", "", bj, "2025-03-04T10:00:00+08:00"},
		{"2025-03-04 10:00:00 来源：新华网", "", bj, "2025-03-04T10:00:00+08:00"},
		{"  来源: 人民网  2025年03月04日10:00:05  ", "", bj, "2025-03-04T10:00:05+08:00"},
		{"2018-09-18 14:38:10", "", bj, "2018-09-18T14:38:10+08:00"},
		{"Updated: 2025-03-04 10:00 GMT+8", "", time.UTC, "2025-03-04T10:00:00+08:00"},
		{"March 4, 2025", "", time.UTC, "2025-03-04T00:00:00Z"},
		{"Mar. 4th, 2025 10:30 PM", "", bj, "2025-03-04T22:30:00+08:00"},
		{"Published: 4 March 2025 12:05 AM", "", time.UTC, "2025-03-04T00:05:00Z"},
		{"Sept 14, 2024", "", time.UTC, "2024-09-14T00:00:00Z"},
		{"04/03/2025", "02/01/2006", bj, "2025-03-04T00:00:00+08:00"},
		{"2025-03-04 10:00:00", "2006-01-02 15:04:05", bj, "2025-03-04T10:00:00+08:00"},
		{"2025-03-04", "garbage layout", bj, "2025-03-04T00:00:00+08:00"},
		{"2025-03-04 10:00", "", nil, "2025-03-04T10:00:00Z"},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in, tc.layout, tc.loc)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		want, _ := time.Parse(time.RFC3339Nano, tc.want)
		if !got.Equal(want) {
			t.Errorf("Parse(%q) = %s, want %s", tc.in, got.Format(time.RFC3339Nano), tc.want)
		}
		_, gotOff := got.Zone()
		_, wantOff := want.Zone()
		if gotOff != wantOff {
			t.Errorf("Parse(%q) offset %d, want %d", tc.in, gotOff, wantOff)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "   ", "no date here", "2025-13-40", "2025-02-30", "第12345期", "Mar 45, 2025"} {
		if got, err := Parse(in, "", Beijing()); err == nil {
			t.Errorf("Parse(%q) = %s, want error", in, got)
		}
	}
}

func TestBeijingLocation(t *testing.T) {
	_, off := time.Date(2025, 7, 1, 0, 0, 0, 0, Beijing()).Zone()
	if off != 8*3600 {
		t.Errorf("Beijing offset = %d", off)
	}
	if !isBeijing(time.FixedZone("CST", 8*3600)) {
		t.Error("fixed +08:00 fallback not recognised as Beijing")
	}
}

func TestPlausible(t *testing.T) {
	now := time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want bool
	}{
		{now, true},
		{now.Add(47 * time.Hour), true},
		{now.Add(49 * time.Hour), false},
		{time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1989, 12, 31, 23, 0, 0, 0, time.UTC), false},
		{time.Time{}, false},
	}
	for _, tc := range tests {
		if got := Plausible(tc.t, now); got != tc.want {
			t.Errorf("Plausible(%s) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2025年03月04日 10:00", "Tue, 04 Mar 2025 10:00:00 CST", "March 4, 2025 10:00 PM GMT+8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(s, "", Beijing())
	})
}

func TestChineseHost(t *testing.T) {
	for host, want := range map[string]bool{
		"www.cgtn.com": true, "english.news.cn": true, "www.xinhuanet.com": true, "www.gov.cn": true, "cn": true,
		"WWW.GLOBALTIMES.CN.": true, "example.com": false, "notcgtn.com": false, "cn.example.org": false,
	} {
		if got := ChineseHost(host); got != want {
			t.Errorf("ChineseHost(%q) = %v, want %v", host, got, want)
		}
	}
}
