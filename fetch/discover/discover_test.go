package discover

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/fetch/urlnorm"
)

// labelled is testdata/labels.json: real home and listing pages of state
// media (excerpts, see testdata/README.md) with the article links a reader
// found on each.
type labelled struct {
	Pages []struct {
		File     string   `json:"file"`
		URL      string   `json:"url"`
		Outlet   string   `json:"outlet"`
		Lang     string   `json:"lang"`
		Articles []string `json:"articles"`
	} `json:"pages"`
}

// Goals of issue 17: precision and recall of at least 0.95 over the
// labelled pages.
const (
	minPrecision = 0.95
	minRecall    = 0.95
)

// TestLabelledPages runs Links on every labelled page and reports precision
// and recall per page and over all links; it fails below the goals.
// WIREWATCH_EVAL_VERBOSE=1 lists every wrong or missed link.
func TestLabelledPages(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l labelled
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	verbose := os.Getenv("WIREWATCH_EVAL_VERBOSE") != ""
	outlets := map[string]bool{}
	langs := map[string]bool{}
	var tp, fp, fn int
	for _, p := range l.Pages {
		outlets[p.Outlet] = true
		langs[p.Lang] = true
		raw, err := os.ReadFile(filepath.Join("testdata", "pages", p.File))
		if err != nil {
			t.Fatal(err)
		}
		page, _, err := charset.DecodeHTML(raw, "")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(p.URL)
		if err != nil {
			t.Fatal(err)
		}
		links, err := Links(page, u, nil)
		if err != nil {
			t.Fatalf("%s: %v", p.File, err)
		}
		want := map[string]bool{}
		for _, a := range p.Articles {
			c, err := urlnorm.Canonical(a, nil)
			if err != nil {
				t.Fatalf("%s: label %q: %v", p.File, a, err)
			}
			want[c] = true
		}
		got := map[string]Link{}
		for _, k := range links {
			got[k.URL] = k
		}
		var ptp, pfp, pfn int
		var wrong []string
		for u, k := range got {
			if want[u] {
				ptp++
			} else {
				pfp++
				wrong = append(wrong, fmt.Sprintf("  extra  %s (%s) %q", u, k.Reason, k.Title))
			}
		}
		for u := range want {
			if _, ok := got[u]; !ok {
				pfn++
				wrong = append(wrong, "  missed "+u)
			}
		}
		sort.Strings(wrong)
		t.Logf("%-22s %-3s %3d labelled, %3d found: precision %.3f recall %.3f", p.File, p.Lang, len(want), len(got), ratio(ptp, ptp+pfp), ratio(ptp, ptp+pfn))
		if verbose && len(wrong) > 0 {
			t.Log("\n" + strings.Join(wrong, "\n"))
		}
		tp, fp, fn = tp+ptp, fp+pfp, fn+pfn
	}
	prec, rec := ratio(tp, tp+fp), ratio(tp, tp+fn)
	t.Logf("%d pages of %d outlets (%d languages): precision %.3f recall %.3f (tp=%d fp=%d fn=%d)", len(l.Pages), len(outlets), len(langs), prec, rec, tp, fp, fn)
	if prec < minPrecision || rec < minRecall {
		t.Errorf("precision %.3f / recall %.3f below the goal %.2f / %.2f", prec, rec, minPrecision, minRecall)
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
