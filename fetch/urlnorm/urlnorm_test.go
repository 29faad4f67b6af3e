package urlnorm

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://www.news.cn/politics/index.htm")
	tests := []struct {
		name, in string
		base     *url.URL
		want     string
		err      error
	}{
		{"lower scheme and host", "HTTP://WWW.Example.COM/Path", nil, "http://www.example.com/Path", nil},
		{"default http port", "http://example.com:80/a", nil, "http://example.com/a", nil},
		{"default https port", "https://example.com:443/a", nil, "https://example.com/a", nil},
		{"other port kept", "https://example.com:8443/a", nil, "https://example.com:8443/a", nil},
		{"fragment dropped", "https://example.com/a#section-2", nil, "https://example.com/a", nil},
		{"empty path", "https://example.com", nil, "https://example.com/", nil},
		{"empty query", "https://example.com/a?", nil, "https://example.com/a", nil},
		{"utm removed", "https://example.com/a?utm_source=x&id=3&UTM_Medium=y", nil, "https://example.com/a?id=3", nil},
		{"query sorted", "https://example.com/a?b=2&a=1&c=3", nil, "https://example.com/a?a=1&b=2&c=3", nil},
		{"repeated names stable", "https://example.com/a?x=2&a=1&x=1", nil, "https://example.com/a?a=1&x=2&x=1", nil},
		{"spm removed", "https://example.com/a.html?spm=C73544894212.P59511941341.0.0", nil, "https://example.com/a.html", nil},
		{"wechat share", "https://example.com/a?id=9&from=timeline&isappinstalled=0", nil, "https://example.com/a?id=9", nil},
		{"from kept", "https://example.com/list?from=20", nil, "https://example.com/list?from=20", nil},
		{"click ids", "https://example.com/?fbclid=abc&gclid=def&q=1", nil, "https://example.com/?q=1", nil},
		{"encoding kept", "https://example.com/s?q=a%20b&p=%E4%B8%AD", nil, "https://example.com/s?p=%E4%B8%AD&q=a%20b", nil},
		{"relative path", "../tech/2025-03/04/c_1.htm", base, "https://www.news.cn/tech/2025-03/04/c_1.htm", nil},
		{"relative root", "/a/b?utm_campaign=z", base, "https://www.news.cn/a/b", nil},
		{"protocol relative", "//english.news.cn/x", base, "https://english.news.cn/x", nil},
		{"whitespace and tabs", " https://exa\tmple.com/a\n ", nil, "https://example.com/a", nil},
		{"backslashes", `https:\\example.com\a\b`, nil, "https://example.com/a/b", nil},
		{"dot segments", "https://example.com/a/./b/../c", nil, "https://example.com/a/c", nil},
		{"user info dropped", "https://user:pw@example.com/a", nil, "https://example.com/a", nil},
		{"trailing dot host", "https://example.com./a", nil, "https://example.com/a", nil},
		{"number host with trailing dots", "http://0../a", nil, "http://0.0.0.0/a", nil},
		{"idn", "https://中国政府网.中国/a", nil, "https://xn--fiqs8sirgfmhq98a.xn--fiqs8s/a", nil},
		{"chinese path encoded", "https://example.com/新闻/1", nil, "https://example.com/%E6%96%B0%E9%97%BB/1", nil},
		{"ipv6 host", "http://[::1]:80/", nil, "http://[::1]/", nil},
		{"javascript", "javascript:alert(1)", base, "", ErrScheme},
		{"mailto", "mailto:a@example.com", nil, "", ErrScheme},
		{"data", "data:text/html,<b>x</b>", nil, "", ErrScheme},
		{"ftp", "ftp://example.com/a", nil, "", ErrScheme},
		{"relative without base", "/a/b", nil, "", ErrRelative},
		{"no host", "http://", nil, "", nil},
		{"too long", "https://example.com/" + strings.Repeat("a", 9000), nil, "", ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonical(tc.in, tc.base)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Canonical(%q) = %q, want an error", tc.in, got)
				}
				if tc.err != nil && !errors.Is(err, tc.err) {
					t.Fatalf("Canonical(%q) error %v, want %v", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Canonical(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("Canonical(%q) = %q, want %q", tc.in, got, tc.want)
			}
			// Canonical output is a fixed point.
			again, err := Canonical(got, nil)
			if err != nil || again != got {
				t.Fatalf("Canonical(Canonical(%q)) = %q, %v; want %q", tc.in, again, err, got)
			}
		})
	}
}

func TestSameSite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://www.news.cn/a", "http://english.news.cn/b", true},
		{"https://www.gov.cn/a", "https://www.gov.cn/b", true},
		{"https://a.github.io/", "https://b.github.io/", false},
		{"https://www.xinhuanet.com/", "https://www.news.cn/", false},
		{"https://www.people.com.cn/", "https://cpc.people.com.cn/x", true},
		{"https://example.com.cn/", "https://other.com.cn/", false},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:9090/", true},
		{"http://127.0.0.1/", "http://127.0.0.2/", false},
		{"javascript:alert(1)", "https://example.com/", false},
		{"not a url", "https://example.com/", false},
	}
	for _, tc := range tests {
		if got := SameSite(tc.a, tc.b); got != tc.want {
			t.Errorf("SameSite(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestIsTrackingParam(t *testing.T) {
	t.Parallel()
	for _, p := range [][2]string{{"utm_source", "x"}, {"UTM_TERM", ""}, {"spm", "a"}, {"from", "singlemessage"}, {"fbclid", "z"}} {
		if !IsTrackingParam(p[0], p[1]) {
			t.Errorf("IsTrackingParam(%q, %q) = false", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"id", "1"}, {"from", "20"}, {"page", "2"}, {"utmost", "1"}} {
		if IsTrackingParam(p[0], p[1]) {
			t.Errorf("IsTrackingParam(%q, %q) = true", p[0], p[1])
		}
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"https://example.com/a?b=1&utm_source=x#f", "//x.cn/a", "../a", "javascript:x", "http://[::ffff:127.0.0.1]/", "https://例子.中国/路径?查询=值", "http://a.com:0/%zz?%%=&&", "http:..", "http://a../x"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://www.news.cn/a/b.htm")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Canonical(s, base)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "http://") && !strings.HasPrefix(got, "https://") {
			t.Fatalf("Canonical(%q) = %q: not http(s)", s, got)
		}
		if strings.Contains(got, "#") {
			t.Fatalf("Canonical(%q) = %q: has a fragment", s, got)
		}
		again, err := Canonical(got, nil)
		if err != nil {
			t.Fatalf("Canonical(%q) = %q, which does not canonicalize again: %v", s, got, err)
		}
		if again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
	})
}

// (Alike by design: a map of input to want, as in the other table tests.)
func TestHost(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://www.News.cn/politics/index.htm": "www.news.cn",
		"http://127.0.0.1:8080/feed.xml":         "127.0.0.1:8080",
		"https://user:pw@example.org?x=1":        "example.org",
		"/relative/path":                         "",
		"not a url at all":                       "",
		"http://[::1":                            "",
	} {
		if got := Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
}
