package configs_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/fetch"
	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/model"
)

// fixtureNow is the reference time of the saved pages and fixtures (their
// items are dated early December 2026).
var fixtureNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// evidenceDate finds a date in a source's notes: a year, alone or with a
// month ("2026-07", "Sept 2026").
var evidenceDate = regexp.MustCompile(`20[12]\d`)

func loadCatalogue(t *testing.T) *config.Catalogue {
	t.Helper()
	cat, err := config.LoadCatalogueFile("")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// The catalogue covers what issue 20 asks for, and every entry says where
// its URL and selectors come from, and when.
func TestCatalogueShape(t *testing.T) {
	cat := loadCatalogue(t)
	if len(cat.Sources) < 24 {
		t.Errorf("%d sources, want at least 24", len(cat.Sources))
	}
	enabled := 0
	for _, s := range cat.Sources {
		if s.IsEnabled() {
			enabled++
		}
		if strings.TrimSpace(s.Notes) == "" || !evidenceDate.MatchString(s.Notes) {
			t.Errorf("%s: notes must name the evidence and its date, got %q", s.Name, s.Notes)
		}
		if !s.IsEnabled() && !strings.Contains(s.Notes, "Disabled") {
			t.Errorf("%s: a disabled source must say why in its notes", s.Name)
		}
	}
	if enabled < 20 {
		t.Errorf("only %d enabled sources", enabled)
	}
	// The seven entries issue 20 found broken have moved off their old
	// addresses.
	old := map[string]string{
		"globaltimes-china":     "rss/outbrain.xml",
		"chinadaily-en-china":   "rss/china_rss.xml",
		"peoplesdaily-en-china": "rss/China.xml",
		"cac-news":              "/wxzw/wxyw/",
		"cac-policy":            "/zcfg/A0902index",
		"chinamil-en-news":      "CHINA_209163",
	}
	for _, s := range cat.Sources {
		if frag, ok := old[s.Name]; ok && strings.Contains(s.URL, frag) {
			t.Errorf("%s still polls %s", s.Name, s.URL)
		}
		if s.Name == "govcn-zh-policy" && strings.Contains(s.Listing.Item, ".news_box") {
			t.Errorf("govcn-zh-policy keeps the selectors RSSHub replaced in Nov 2023")
		}
		if s.Name == "mfa-en-press" && !s.Cookies {
			t.Errorf("mfa-en-press needs cookies: true")
		}
	}
	for _, want := range []string{"cac-releases", "miit-policy", "cnnic-news", "qiushi-toutiao", "xinhua-zh-tech", "chinadaily-en-tech", "npc-news", "govcn-zh-policylib", "tc260-news", "mps-news"} {
		found := false
		for _, s := range cat.Sources {
			found = found || s.Name == want
		}
		if !found {
			t.Errorf("no source %s", want)
		}
	}
}

// Every source is read from its saved page or fixture (configs/testdata/
// sources/<name>.<html|xml|json>) with its own selectors, as a poll would.
func TestEverySourceReadsItsPage(t *testing.T) {
	cat := loadCatalogue(t)
	for _, spec := range cat.Sources {
		t.Run(spec.Name, func(t *testing.T) {
			src := spec.Source()
			path, body := fixture(t, spec.Name)
			page, err := url.Parse(src.URL)
			if err != nil {
				t.Fatal(err)
			}
			loc := fetch.SourceLocation(src.Language, src.URL)
			var items []model.Item
			switch src.Kind {
			case model.KindFeed:
				f, err := fetch.ParseFeed(body, "application/rss+xml", page, fetch.FeedOptions{Location: loc, Now: fixtureNow, MaxDepth: 100, MaxItems: 5000})
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				items = f.Items
			default:
				ct := "text/html; charset=utf-8"
				if src.Listing.Format == model.ListingFormatJSON {
					ct = "application/json"
				}
				r, err := fetch.ReadListing(body, ct, page, src.Listing, fetch.ListingOptions{Location: loc, Now: fixtureNow})
				var dse *fetch.DataSourceError
				if errors.As(err, &dse) {
					// The page names a data file: read the saved one.
					ds := filepath.Join("testdata", "sources", spec.Name+".ds.json")
					data, rerr := os.ReadFile(ds)
					if rerr != nil {
						t.Fatalf("the page names the data file %s; no %s: %v", dse.URL, ds, rerr)
					}
					du, _ := url.Parse(dse.URL)
					l := fetch.NewsCNDataListing
					r, err = fetch.ParseJSONListing(data, du, &l, fetch.ListingOptions{Location: loc, Now: fixtureNow})
				}
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if r.Stats.Links != len(r.Items) {
					t.Errorf("stats %+v for %d items", r.Stats, len(r.Items))
				}
				items = r.Items
			}
			if len(items) < 2 {
				t.Fatalf("%s: %d items, want the 2 articles it lists", path, len(items))
			}
			host := hostKey(page.Hostname())
			dated := 0
			for _, it := range items {
				u, err := url.Parse(it.URL)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
					t.Errorf("item link %q is not absolute", it.URL)
					continue
				}
				if !strings.HasSuffix(hostKey(u.Hostname()), host) && !strings.HasSuffix(host, hostKey(u.Hostname())) && !sameOutletHost(page.Hostname(), u.Hostname()) {
					t.Errorf("item link %s leaves the outlet's site %s", it.URL, page.Hostname())
				}
				if it.Title == "" {
					t.Errorf("item %s has no title", it.URL)
				}
				if it.Published != nil {
					dated++
				}
			}
			if src.Kind == model.KindFeed || src.Listing.Date != "" || src.Listing.DateFromURL {
				if dated == 0 {
					t.Errorf("no item is dated: staleness could not be judged")
				}
			}
		})
	}
}

// Every site rule extracts its article page (configs/testdata/articles) by
// its own selectors, not by the generic extractor.
func TestEverySiteRuleExtractsItsPage(t *testing.T) {
	cat := loadCatalogue(t)
	rules, err := extract.NewRules(cat.SiteRules)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "articles"))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	reURL := regexp.MustCompile(`^<!-- url: (\S+) -->`)
	for _, e := range entries {
		path := filepath.Join("testdata", "articles", e.Name())
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := reURL.FindSubmatch(body)
		if m == nil {
			t.Errorf("%s: first line must be <!-- url: … -->", path)
			continue
		}
		pageURL := string(m[1])
		u, _ := url.Parse(pageURL)
		rule := rules.For(strings.ToLower(u.Hostname()))
		if rule == nil {
			t.Errorf("%s: no site rule for %s", path, u.Hostname())
			continue
		}
		covered[rule.Outlet] = true
		ex, err := extract.Page(body, "text/html; charset=utf-8", pageURL, rules)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if ex.Method != "rule" {
			t.Errorf("%s: extracted by %q, want the %s rule", path, ex.Method, rule.Outlet)
		}
		if n := utf8.RuneCountInString(ex.Text); n < 100 {
			t.Errorf("%s: %d characters of text", path, n)
		}
		if strings.Contains(ex.Text, "FIXTURE") {
			t.Errorf("%s: the fixture marker leaked into the text", path)
		}
		if ex.Title == "" {
			t.Errorf("%s: no title", path)
		}
		if rule.Date != "" && ex.Published == nil {
			t.Errorf("%s: the date selector %q found no date", path, rule.Date)
		}
	}
	for _, r := range cat.SiteRules {
		if !covered[r.Outlet] {
			t.Errorf("site rule %s has no article page in testdata/articles", r.Outlet)
		}
	}
}

// Every file in testdata is accounted for in ORIGINS.md.
func TestFixturesHaveOrigins(t *testing.T) {
	origins, err := os.ReadFile(filepath.Join("testdata", "ORIGINS.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"sources", "articles"} {
		entries, err := os.ReadDir(filepath.Join("testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.Contains(string(origins), "`"+dir+"/"+e.Name()+"`") {
				t.Errorf("ORIGINS.md does not describe %s/%s", dir, e.Name())
			}
		}
	}
}

// fixture reads a source's saved page, whatever its extension.
func fixture(t *testing.T, name string) (string, []byte) {
	t.Helper()
	for _, ext := range []string{".html", ".xml", ".json"} {
		p := filepath.Join("testdata", "sources", name+ext)
		if b, err := os.ReadFile(p); err == nil {
			return p, b
		}
	}
	t.Fatalf("no saved page or fixture for %s in testdata/sources", name)
	return "", nil
}

func hostKey(h string) string { return strings.TrimPrefix(strings.ToLower(h), "www.") }

// sameOutletHost accepts an outlet's sister hosts (cgtn.com feeds link to
// news.cgtn.com, people.com.cn to its channels).
func sameOutletHost(a, b string) bool {
	base := func(h string) string {
		parts := strings.Split(strings.ToLower(h), ".")
		if len(parts) >= 3 && (parts[len(parts)-2] == "com" || parts[len(parts)-2] == "gov") {
			return strings.Join(parts[len(parts)-3:], ".")
		}
		if len(parts) >= 2 {
			return strings.Join(parts[len(parts)-2:], ".")
		}
		return h
	}
	return base(a) == base(b)
}
