// Command storypairs proposes candidate article pairs for the story
// clustering evaluation (alert/testdata/story_pairs.tsv). It only proposes:
// the labels in that file were given by reading both texts of each pair.
//
// Pairs are drawn by cheap textual similarity (Jaccard of the sets of Han
// character bigrams and lower-cased words of title and lead) between items
// of the same language published within a day of each other, in bands, so
// that the set holds near copies, loose rewrites and different stories on
// the same topic. It never computes the story fingerprint.
//
//	go run ./scripts/storypairs -per-band 13 > /tmp/candidates.txt
//	go run ./scripts/storypairs -per-band 13 -skip 13 -only zh-cross/high,... > /tmp/more.txt
//	go run ./scripts/storypairs -per-band 7 -seed 15 -exclude alert/testdata/story_pairs.tsv > /tmp/heldout.txt
//	cat alert/testdata/story_pairs.tsv alert/testdata/story_pairs_heldout.tsv > /tmp/both.tsv
//	go run ./scripts/storypairs -per-band 12 -seed 16 -exclude /tmp/both.tsv > /tmp/heldout2.txt
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/wirewatch/wirewatch/classify"
)

type record struct {
	classify.CorpusItem
	src  string
	toks map[string]bool
}

func (r *record) text() string {
	if r.Body != "" {
		return r.Body
	}
	return r.Lead
}

func main() {
	headlines := flag.String("headlines", "../shared/corpora/statemedia/headlines.jsonl.gz", "headlines corpus (gzip JSON lines)")
	fulltext := flag.String("fulltext", "classify/testdata/labels/fulltext.jsonl", "full-text articles (JSON lines)")
	perBand := flag.Int("per-band", 40, "pairs proposed per band and kind")
	seed := flag.Uint64("seed", 14, "sampling seed")
	only := flag.String("only", "", "comma-separated kind/band buckets to print (default all)")
	skip := flag.Int("skip", 0, "pairs of each bucket to skip before printing (for a second round)")
	exclude := flag.String("exclude", "", "labelled pairs file (TSV, ids in columns 1 and 3) whose pairs are not proposed again")
	flag.Parse()
	excl, err := readExclude(*exclude)
	if err == nil {
		err = run(*headlines, *fulltext, *perBand, *skip, *only, *seed, excl, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "storypairs:", err)
		os.Exit(1)
	}
}

func load(path, src string, gz bool) ([]*record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var rd io.Reader = f
	if gz {
		g, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("gunzip %s: %w", path, err)
		}
		rd = g
	}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var out []*record
	for sc.Scan() {
		r := &record{src: src}
		if err := json.Unmarshal(sc.Bytes(), r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if strings.HasPrefix(r.Outlet, "non-state") {
			continue
		}
		r.toks = tokens(r.Title + " " + firstRunes(r.text(), 300))
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

func tokens(s string) map[string]bool {
	out := map[string]bool{}
	var prev rune
	var w strings.Builder
	flush := func() {
		if w.Len() >= 3 {
			out[w.String()] = true
		}
		w.Reset()
	}
	for _, c := range strings.ToLower(s) {
		if unicode.Is(unicode.Han, c) {
			flush()
			if prev != 0 {
				out[string([]rune{prev, c})] = true
			}
			prev = c
			continue
		}
		prev = 0
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			w.WriteRune(c)
		} else {
			flush()
		}
	}
	flush()
	return out
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for k := range a {
		if b[k] {
			n++
		}
	}
	return float64(n) / float64(len(a)+len(b)-n)
}

type pair struct {
	a, b *record
	j    float64
	kind string
}

// readExclude reads the id pairs of an existing labelled file (empty path:
// none), keyed as run keys them.
func readExclude(path string) (map[string]bool, error) {
	out := map[string]bool{}
	if path == "" {
		return out, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read exclude file: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		c := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(c) < 3 {
			continue
		}
		out[pairKey(c[0], c[2])] = true
	}
	return out, nil
}

func pairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + b
}

func run(headlinesPath, fulltextPath string, perBand, skip int, only string, seed uint64, exclude map[string]bool, w io.Writer) error {
	hs, err := load(headlinesPath, "headlines", true)
	if err != nil {
		return err
	}
	fs, err := load(fulltextPath, "fulltext", false)
	if err != nil {
		return err
	}
	all := append(hs, fs...)
	byDay := map[string][]*record{}
	for _, r := range all {
		byDay[r.Lang+r.Date] = append(byDay[r.Lang+r.Date], r)
	}
	bands := []struct {
		name   string
		lo, hi float64
	}{{"high", 0.5, 1.01}, {"medium", 0.2, 0.5}, {"low", 0.08, 0.2}}
	buckets := map[string][]pair{}
	seen := map[string]bool{}
	for _, a := range all {
		d, err := time.Parse("2006-01-02", a.Date)
		if err != nil {
			continue
		}
		for _, off := range []int{0, 1} {
			for _, b := range byDay[a.Lang+d.AddDate(0, 0, off).Format("2006-01-02")] {
				if a == b || a.ID == b.ID {
					continue
				}
				k := pairKey(a.ID, b.ID)
				if seen[k] || exclude[k] {
					continue
				}
				seen[k] = true
				j := jaccard(a.toks, b.toks)
				kind := pairKind(a, b)
				for _, bd := range bands {
					if j >= bd.lo && j < bd.hi {
						buckets[kind+"/"+bd.name] = append(buckets[kind+"/"+bd.name], pair{a, b, j, kind})
					}
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	keys := make([]string, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 0
	for _, k := range keys {
		ps := buckets[k]
		sort.Slice(ps, func(i, j int) bool { return ps[i].a.ID+ps[i].b.ID < ps[j].a.ID+ps[j].b.ID })
		rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		if only != "" && !slices.Contains(strings.Split(only, ","), k) {
			continue
		}
		ps = ps[min(skip, len(ps)):]
		if len(ps) > perBand {
			ps = ps[:perBand]
		}
		for _, p := range ps {
			n++
			fmt.Fprintf(w, "#%d\t%s\tj=%.2f\t%s\t%s\t%s\t%s\n", n, k, p.j, p.a.ID, p.a.src, p.b.ID, p.b.src)
			fmt.Fprintf(w, "  A [%s %s] %s\n    %s\n", p.a.Outlet, p.a.Date, p.a.Title, firstRunes(p.a.text(), 220))
			fmt.Fprintf(w, "  B [%s %s] %s\n    %s\n\n", p.b.Outlet, p.b.Date, p.b.Title, firstRunes(p.b.text(), 220))
		}
	}
	return nil
}

// pairKind names the kind of pair: the same outlet or two, and whether a
// full text is involved.
func pairKind(a, b *record) string {
	k := "cross"
	if a.Outlet == b.Outlet {
		k = "same-outlet"
	}
	if a.src == "fulltext" || b.src == "fulltext" {
		k += "-fulltext"
	}
	return a.Lang + "-" + k
}
