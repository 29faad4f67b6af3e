// Command wordclusters builds the classifier's word clusters
// (classify/clusters.tsv) from the titles and leads of the state-media
// corpus in ../shared and of the web-page items, without their labels;
// `make clusters` runs it. The frozen test sets' items are left out, so
// that nothing the tests measure shaped the features.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"

	"github.com/wirewatch/wirewatch/classify"
)

func main() {
	corpusPath := flag.String("corpus", "../shared/corpora/statemedia/headlines.jsonl.gz", "the state-media corpus")
	webItems := flag.String("web-items", "classify/testdata/web/items.jsonl", "the web-page items' text")
	frozen := flag.String("frozen", "classify/testdata/labels/test.tsv,classify/testdata/labels/test2.tsv,classify/testdata/labels/test3.tsv", "label files of the frozen test sets, whose items are left out")
	out := flag.String("out", "classify/clusters.tsv", "where to write the clusters")
	p := classify.DefaultClusterParams()
	flag.IntVar(&p.K, "k", p.K, "clusters")
	flag.IntVar(&p.MinDF, "min-df", p.MinDF, "texts a feature must occur in")
	flag.IntVar(&p.Contexts, "contexts", p.Contexts, "context features")
	flag.IntVar(&p.Dims, "dims", p.Dims, "projected dimensions")
	flag.IntVar(&p.Passes, "passes", p.Passes, "k-means passes")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*corpusPath, *webItems, *frozen, *out, p); err != nil {
		log.Fatalf("wordclusters: %v", err)
	}
}

func run(corpusPath, webItems, frozen, out string, p classify.ClusterParams) error {
	skip := map[string]bool{}
	for _, path := range strings.Split(frozen, ",") {
		if path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("frozen set: %w", err)
		}
		lf, err := classify.ReadLabels(strings.NewReader(string(data)))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, l := range lf.Labels {
			skip[l.ID] = true
		}
	}
	var texts [][]string
	for _, path := range []string{corpusPath, webItems} {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("texts: %w", err)
		}
		items, err := classify.ReadCorpus(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ids := make([]string, 0, len(items))
		for id := range items {
			if !skip[id] {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids) // the input order is part of what makes the output reproducible
		for _, id := range ids {
			it := items[id]
			texts = append(texts, []string{it.Title, it.Lead})
		}
		log.Printf("%s: %d texts (%d frozen test items left out)", path, len(ids), len(items)-len(ids))
	}
	table, err := classify.BuildClusters(texts, p, log.Printf)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
		return fmt.Errorf("write clusters: %w", err)
	}
	return nil
}
