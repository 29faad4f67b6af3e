// Command uncertain chooses which unlabelled corpus items annotators read
// next (active learning): the items the current model scores nearest its
// threshold, and those it calls relevant, in the title-only and the
// title-and-lead case. It never assigns a label, and it leaves out every
// item of the test sets and of the training set.
//
//	go run ./classify/internal/uncertain -lang zh -n 1400 > /tmp/zh.jsonl
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wirewatch/wirewatch/classify"
)

type item struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Lead   string `json:"lead"`
	Lang   string `json:"lang"`
	Outlet string `json:"outlet"`
	Date   string `json:"date"`
}

func main() {
	corpus := flag.String("corpus", "../shared/corpora/statemedia/headlines.jsonl.gz", "corpus of items")
	labels := flag.String("labels", "classify/testdata/labels", "folder of label files: every id in them is left out")
	lang := flag.String("lang", "zh", "language of the items chosen")
	n := flag.Int("n", 1400, "items chosen")
	seed := flag.Uint64("seed", 7, "seed of the tie-breaking shuffle")
	flag.Parse()
	if err := run(*corpus, *labels, *lang, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "uncertain:", err)
		os.Exit(1)
	}
}

func run(corpus, labels, lang string, n int, seed uint64) error {
	taken, err := labelled(labels)
	if err != nil {
		return err
	}
	tax, err := classify.Config{}.LoadTaxonomy()
	if err != nil {
		return err
	}
	c := classify.New(tax, classify.Config{})
	f, err := os.Open(corpus)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", corpus, err)
	}
	type scored struct {
		it   item
		dist float64 // distance of the nearer case's score from the threshold
	}
	var all []scored
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	th := c.Threshold()
	for sc.Scan() {
		var it item
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return fmt.Errorf("%s: %w", corpus, err)
		}
		if it.Lang != lang || taken[it.ID] {
			continue
		}
		head := c.Classify(classify.Input{Title: it.Title, Lang: it.Lang}).Score
		lead := c.Classify(classify.Input{Title: it.Title, Summary: it.Lead, Lang: it.Lang}).Score
		d := math.Min(math.Abs(head-th), math.Abs(lead-th))
		all = append(all, scored{it, d})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", corpus, err)
	}
	r := rand.New(rand.NewPCG(seed, seed))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	sort.SliceStable(all, func(i, j int) bool { return all[i].dist < all[j].dist })
	if n > len(all) {
		n = len(all)
	}
	out := all[:n]
	// Shuffled again so annotators do not read them in score order.
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, s := range out {
		if err := enc.Encode(s.it); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "uncertain: %d %s items scored, %d chosen, farthest %.3f from the threshold %.3f\n", len(all), lang, n, out[len(out)-1].dist, th)
	return nil
}

// labelled returns every id named in the label files of dir.
func labelled(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tsv"))
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			taken[strings.SplitN(line, "\t", 2)[0]] = true
		}
	}
	return taken, nil
}
