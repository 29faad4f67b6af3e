package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/wirewatch/wirewatch/classify"
	"github.com/wirewatch/wirewatch/daemon"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("eval", "measure the classifier on the labelled real test sets (precision, recall, F1, false alarms with 95% intervals)", runEval)
}

func runEval(ctx context.Context, e *env, args []string) error {
	// (Alike by design: each command declares its own flags, as every command file does.)
	fs, g := e.commandFlags("eval")
	dir := fs.String("labels", "classify/testdata/labels", "folder of the label files (test.tsv, test2.tsv, test3.tsv, fulltext.tsv, fulltext.jsonl, second-pass.tsv, test3-second-pass.tsv; web.tsv and web-second-pass.tsv for the training items' agreement)")
	corpus := fs.String("corpus", "../shared/corpora/statemedia/headlines.jsonl.gz", "the state-media headline corpus the test set's labels refer to")
	sets := fs.String("sets", "test,test2,test3,fulltext", "sets to measure, comma-separated: test, test2 and test3 (the second and third, Chinese test sets), fulltext")
	preds := fs.String("predictions", "", "score these predictions instead of the classifier: JSON lines of `wirewatch classify` output in the order of `eval --dump`")
	titleOnly := fs.Bool("title-only", false, "classify the test sets' headlines alone, without their lead (the full-text set keeps its body)")
	dump := fs.Bool("dump", false, "print the sets' items as `wirewatch classify` input lines and exit (to measure another build)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, _, err := g.load(e)
	if err != nil {
		return err
	}
	c, err := daemon.LoadClassifier(cfg.Classify)
	if err != nil {
		return err
	}
	var items []classify.EvalItem
	for _, set := range strings.Split(*sets, ",") {
		var labels, texts string
		switch set {
		case "test", "test2", "test3":
			labels, texts = filepath.Join(*dir, set+".tsv"), *corpus
		case "fulltext":
			labels, texts = filepath.Join(*dir, "fulltext.tsv"), filepath.Join(*dir, "fulltext.jsonl")
		default:
			return fmt.Errorf("%w: unknown set %q (want test, test2, test3 or fulltext)", errUsage, set)
		}
		got, err := loadSet(c.Taxonomy(), set, labels, texts)
		if err != nil {
			return err
		}
		if *titleOnly && set != "fulltext" {
			for i := range got {
				got[i].In.Summary, got[i].In.Body = "", ""
			}
		}
		items = append(items, got...)
	}
	if *dump {
		enc := json.NewEncoder(e.stdout)
		for _, it := range items {
			if err := enc.Encode(it.In); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
		}
		return nil
	}
	var pred []classify.Prediction
	if *preds != "" {
		if pred, err = readPredictions(*preds, len(items)); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "predictions from %s\n", *preds)
	} else {
		pred = c.Predict(items)
		fmt.Fprintf(e.stdout, "classifier %s, threshold %.2f\n", c.Version(), c.Threshold())
	}
	classify.Evaluate(items, pred).Write(e.stdout)
	for _, sp := range secondPasses(strings.Split(*sets, ",")) {
		if err := writeAgreement(e, sp.name, filepath.Join(*dir, sp.first), filepath.Join(*dir, sp.second)); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// secondPass names a blind second pass and its two label files.
type secondPass struct{ name, first, second string }

// secondPasses are the second passes whose agreement eval prints for the
// chosen sets: the test set's and the web-page training items' with
// "test", the third Chinese set's with "test3", the full-text set's with
// "fulltext"; "test2" has none.
func secondPasses(chosen []string) []secondPass {
	var out []secondPass
	if slices.Contains(chosen, "test") {
		out = append(out,
			secondPass{"test set", "test.tsv", "second-pass.tsv"},
			secondPass{"web-page training items", "web.tsv", "web-second-pass.tsv"})
	}
	if slices.Contains(chosen, "test3") {
		out = append(out, secondPass{"third Chinese test set", "test3.tsv", "test3-second-pass.tsv"})
	}
	if slices.Contains(chosen, "fulltext") {
		out = append(out, secondPass{"full-text set", "fulltext.tsv", "fulltext-second-pass.tsv"})
	}
	return out
}

func loadSet(tax *classify.Taxonomy, set, labels, texts string) ([]classify.EvalItem, error) {
	// (Alike by design: each file is opened and its error wrapped where it is read.)
	lf, err := os.Open(labels)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer lf.Close()
	tf, err := os.Open(texts)
	if err != nil {
		return nil, fmt.Errorf("eval: the items' text is needed (the corpus lives in ../shared; see docs/relevance.md): %w", err)
	}
	defer tf.Close()
	return classify.LoadEvalSet(tax, set, lf, tf)
}

// readPredictions reads `wirewatch classify` output lines.
func readPredictions(path string, n int) ([]classify.Prediction, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	var out []classify.Prediction
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		var r struct {
			Relevant bool `json:"relevant"`
			Topics   []struct {
				ID string `json:"id"`
			} `json:"topics"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("eval: %s: line %d: %w", path, len(out)+1, err)
		}
		p := classify.Prediction{Relevant: r.Relevant}
		if len(r.Topics) > 0 {
			p.Topic = r.Topics[0].ID
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	if len(out) != n {
		return nil, fmt.Errorf("eval: %s has %d predictions for %d items", path, len(out), n)
	}
	return out, nil
}

// writeAgreement prints Cohen's kappa between a label file (the test set's,
// or the web-page training items') and the blind second pass over some of
// its items; it prints nothing when either file is missing.
func writeAgreement(e *env, name, firstPath, secondPath string) error {
	read := func(p string) (map[string]int, error) {
		// (Alike by design: each file is opened and its error wrapped where it is read.)
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		defer f.Close()
		lf, err := classify.ReadLabels(f)
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %w", p, err)
		}
		m := map[string]int{}
		for _, l := range lf.Labels {
			m[l.ID] = firstPassLabel(l)
		}
		return m, nil
	}
	a, err := read(firstPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	b, err := read(secondPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	var x, y, x2, y2 []int
	same := 0
	for id, lb := range b {
		la, ok := a[id]
		if !ok {
			continue
		}
		x, y = append(x, la), append(y, lb)
		if la == lb {
			same++
		}
		x2, y2 = append(x2, b2i(la == 2)), append(y2, b2i(lb == 2))
	}
	fmt.Fprintf(e.stdout, "\nsecond pass (%s): %d items re-labelled blind, %d the same; Cohen's kappa %s on 0/1/2, %s on relevant (2) vs not\n",
		name, len(x), same, kappa(x, y), kappa(x2, y2))
	return nil
}

// settledAfter finds the label a settled item had before the second pass:
// scripts/assemble-test3.py marks such an item's annotator "+s" and keeps
// the old label in the reason as "(was N; why)".
var settledAfter = regexp.MustCompile(`\(was ([012]);`)

// firstPassLabel is the label an item had when the blind second pass was
// made: the settled label of an item settled after that pass would agree
// with the pass by construction.
func firstPassLabel(l classify.Label) int {
	if strings.HasSuffix(l.Annotator, "+s") {
		if m := settledAfter.FindStringSubmatch(l.Reason); m != nil {
			return int(m[1][0] - '0')
		}
	}
	return l.Label
}

// kappa formats Cohen's kappa, or says why it means nothing: when one
// pass gave a single label to every item, chance agreement explains all
// the agreement there is (a set with no relevant item, say).
func kappa(a, b []int) string {
	if len(a) == 0 || slices.Min(a) == slices.Max(a) || slices.Min(b) == slices.Max(b) {
		return "n/a (a pass gave one label only)"
	}
	return fmt.Sprintf("%.3f", classify.Kappa(a, b))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
