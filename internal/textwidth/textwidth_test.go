package textwidth

import "testing"

func TestString(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"data security", 13},
		{"数据安全法", 10},
		{"网络，安全。", 12},
		{"e\u0301", 1}, // a combining accent takes no cell
		{"ｄａｔａ", 8},    // full-width Latin
		{"a\tb", 2},
	} {
		if got := String(tc.s); got != tc.want {
			t.Errorf("String(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}
