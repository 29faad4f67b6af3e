package extract

import (
	"sync"
	"testing"

	"github.com/wirewatch/wirewatch/fetch/charset"
	"github.com/wirewatch/wirewatch/fetch/extract/farmtest"
)

// farmPageCount is how many farm pages the benchmarks cycle through.
const farmPageCount = 40

var farmOnce struct {
	sync.Once
	pages []farmtest.Page
}

// farmPages fetches the farm's pages once per test binary.
func farmPages(tb testing.TB) []farmtest.Page {
	tb.Helper()
	farmOnce.Do(func() { farmOnce.pages = farmtest.Pages(tb, farmPageCount) })
	if farmOnce.pages == nil {
		tb.Skip("no feed farm pages (see the first benchmark's message)")
	}
	return farmOnce.pages
}

func farmRules(tb testing.TB) *Rules {
	tb.Helper()
	rules, err := LoadRules([]byte(farmtest.Rule))
	if err != nil {
		tb.Fatal(err)
	}
	return rules
}

// BenchmarkPageFarm measures what the daemon does per article page of the
// benchmark harness's cold ingest: decode and extract with the farm's rule.
func BenchmarkPageFarm(b *testing.B) { benchmarkPages(b, farmRules(b), MethodRule) }

// benchmarkPages decodes and extracts the farm's pages in turn with rules;
// every page must come out by method.
func benchmarkPages(b *testing.B, rules *Rules, method string) {
	pages := farmPages(b)
	var n int64
	for _, p := range pages {
		n += int64(len(p.Body))
	}
	b.SetBytes(n / int64(len(pages)))
	i := 0
	for b.Loop() {
		p := pages[i%len(pages)]
		i++
		ex, err := Page(p.Body, p.ContentType, p.URL, rules)
		if err != nil || ex.Method != method {
			b.Fatalf("%s: method %q, error %v", p.URL, ex.Method, err)
		}
	}
}

// BenchmarkExtractFarm is BenchmarkPageFarm without the decoding step: the
// daemon's Extract call on pages already decoded.
func BenchmarkExtractFarm(b *testing.B) {
	pages := farmPages(b)
	rules := farmRules(b)
	decoded := make([][]byte, len(pages))
	var n int64
	for i, p := range pages {
		page, _, err := charset.DecodeHTML(p.Body, p.ContentType)
		if err != nil {
			b.Fatal(err)
		}
		decoded[i] = page
		n += int64(len(page))
	}
	b.SetBytes(n / int64(len(pages)))
	i := 0
	for b.Loop() {
		k := i % len(pages)
		i++
		ex, err := Extract(decoded[k], pages[k].URL, rules)
		if err != nil || ex.Method != MethodRule {
			b.Fatalf("%s: method %q, error %v", pages[k].URL, ex.Method, err)
		}
	}
}

// BenchmarkPageFarmGeneric is BenchmarkPageFarm without a site rule: the
// path of every source a user adds without writing one (bench -extract
// generic).
func BenchmarkPageFarmGeneric(b *testing.B) { benchmarkPages(b, nil, MethodGeneric) }
