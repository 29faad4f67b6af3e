// Command trainmodel trains the classifier's model (classify/model.tsv)
// from the labelled real items and the written probe sets; `make train`
// runs it. It reads the corpus items' text from the state-media corpus in
// ../shared, which is not copied into the repository; the web-page items
// (headlines and leads of state-media articles found in stored public web
// pages, classify/testdata/web) carry their own text.
package main

import (
	"flag"
	"fmt"
	"hash/fnv"
	"log"
	"os"
	"strings"

	"github.com/wirewatch/wirewatch/classify"
)

func main() {
	labels := flag.String("labels", "classify/testdata/labels/train.tsv", "label file of the training set")
	corpus := flag.String("corpus", "../shared/corpora/statemedia/headlines.jsonl.gz", "corpus holding the labelled items' text")
	probes := flag.String("probes", "classify/testdata/eval.txt,classify/testdata/probe2022.txt,classify/testdata/probe2022b.txt,classify/testdata/probe2022c.txt,classify/testdata/probe2022d.txt,classify/testdata/probe2022e.txt,classify/testdata/probe2022f.txt", "written probe sets, comma-separated")
	nonState := flag.Bool("non-state-in-estimates", false, "count the non-state items (English security news) in the cross-validated estimates that set the thresholds; by default they train the model but the thresholds are set on the state-media items, the population the daemon watches")
	webLabels := flag.String("web-labels", "classify/testdata/labels/web.tsv", "label file of the web-page items (\"\" for none)")
	relWeight := flag.Float64("relevant-weight", 1, "training weight multiplier of the relevant and borderline labelled items (corpus and web), against the rest")
	enWeight := flag.Float64("en-weight", 1, "training weight multiplier of the English labelled items (corpus and web), against the Chinese")
	webWeight := flag.Float64("web-weight", 1, "training weight of a web-page item (and of its headline copy, times -title-copies)")
	webItems := flag.String("web-items", "classify/testdata/web/items.jsonl", "the web-page items' text")
	out := flag.String("out", "classify/model.tsv", "where to write the model")
	borderline := flag.Float64("borderline", classify.DefaultBorderline, "training weight of borderline (label 1) items, taken as relevant; 0 leaves them out")
	titleCopies := flag.Float64("title-copies", classify.DefaultTitleCopies, "training weight of a title-only copy of each labelled item that has a lead (0: the copies are only measured, for the headline threshold)")
	l2 := flag.Float64("l2", classify.DefaultTrainParams().L2, "L2 penalty")
	ratioFloor := flag.Float64("ratio-floor", classify.DefaultTrainParams().RatioFloor, "least scale of a text feature by its naive-Bayes log ratio (0: plain 0/1 features)")
	ratioCap := flag.Float64("ratio-cap", classify.DefaultTrainParams().RatioCap, "most scale of a text feature by its naive-Bayes log ratio (0: no bound)")
	minDF := flag.Int("min-df", classify.DefaultTrainParams().MinDF, "distinct training items a text feature must occur in")
	foldSalt := flag.String("fold-salt", "", "put the items in other cross-validation folds (hashed with this salt; for a second estimate of a candidate, it cannot be written with the model)")
	lengthNorm := flag.Float64("length-norm", classify.DefaultTrainParams().LengthNorm[0], "text feature occurrences of an English head above which its text part of the logits is multiplied by sqrt(length-norm/n) (0: none)")
	lengthNormZH := flag.Float64("length-norm-zh", classify.DefaultTrainParams().LengthNorm[1], "-length-norm for Chinese heads")
	epochs := flag.Int("epochs", classify.DefaultTrainParams().Epochs, "full-batch AdaGrad passes")
	cvOnly := flag.Bool("cv", false, "print the cross-validation table and do not write the model")
	cvDump := flag.String("cv-dump", "", "write each labelled item's cross-validated P(relevant) to this file (tab-separated: id, lang, title-only, relevant, weight, population weight, probability)")
	flag.Parse()
	log.SetFlags(0)
	if *foldSalt != "" && !*cvOnly {
		log.Fatal("trainmodel: -fold-salt is for -cv only: the model's thresholds come from the default folds")
	}
	tp := classify.DefaultTrainParams()
	tp.L2 = *l2
	tp.Epochs = *epochs
	tp.RatioFloor = *ratioFloor
	tp.RatioCap = *ratioCap
	tp.LengthNorm = [2]float64{*lengthNorm, *lengthNormZH}
	tp.MinDF = *minDF
	if err := tp.Validate(); err != nil {
		log.Fatalf("trainmodel: %v", err)
	}
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		log.Fatal(err)
	}
	items, labelData, probeData, err := load(tax, *labels, *corpus, strings.Split(*probes, ","), *borderline, *titleCopies, *nonState)
	if err != nil {
		log.Fatal(err)
	}
	web, webData, err := loadWeb(tax, *webLabels, *webItems, *borderline, *titleCopies)
	if err != nil {
		log.Fatal(err)
	}
	for i := range web {
		web[i].Weight *= *webWeight
	}
	items = append(items, web...)
	if *foldSalt != "" {
		for i := range items {
			if items[i].Fold >= 0 {
				items[i].Fold = fold(*foldSalt + items[i].In.ID)
			}
		}
	}
	for i := range items {
		if items[i].Lang == "en" && items[i].Fold >= 0 {
			items[i].Weight *= *enWeight
		}
		if items[i].Relevant && items[i].Fold >= 0 {
			items[i].Weight *= *relWeight
		}
	}
	probeData = append(probeData, webData...)
	if *webWeight != 1 || *enWeight != 1 || *relWeight != 1 || *nonState {
		// Only a model made with the defaults may pass as fresh
		// (classify's TestModelFresh fingerprints the defaults).
		probeData = append(probeData, fmt.Appendf(nil, "web-weight=%v en-weight=%v relevant-weight=%v non-state-in-estimates=%v", *webWeight, *enWeight, *relWeight, *nonState))
	}
	sources := *labels
	if *webLabels != "" {
		sources += " and " + *webLabels
	}
	header := "training: " + classify.TrainingFingerprint(labelData, probeData, tp, *borderline, *titleCopies) + "\n" +
		"wirewatch classifier model: multinomial logistic regression (class 0 = not\n" +
		"relevant, one class per topic), generated by `make train` from\n" +
		sources + " (real state-media items labelled by\n" +
		"reading) and the probe sets " + *probes + ".\nDo not edit by hand.\n" +
		"Features: w:<English stem>, b:<stem> <stem>, z:<two Chinese characters>, y:<three>\n" +
		"from the title and lead; r:<topic> the taxonomy's rule score of the topic (real-valued).\n" +
		"Thresholds per case (language; with a lead or a headline alone): the shift rows,\n" +
		"set on " + map[bool]string{false: "the state-media items", true: "all corpus items"}[*nonState] + ".\n"
	table, rep, err := classify.Train(tax, items, tp, header)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range rep.Lines {
		fmt.Println(l)
	}
	th := fmt.Sprintf("en %.2f, zh %.2f; headlines alone en %.2f, zh %.2f", rep.Thresholds["en"], rep.Thresholds["zh"], rep.Thresholds["title-en"], rep.Thresholds["title-zh"])
	fmt.Printf("items %d, features %d, thresholds %s (cross-validated precision >= %.2f at the real base rate), score scale %.3f\n",
		rep.Items, rep.Features, th, tp.TargetPrecision, rep.Scale)
	if *cvDump != "" {
		var b strings.Builder
		for i, it := range items {
			if it.Fold >= 0 {
				fmt.Fprintf(&b, "%s\t%s\t%v\t%v\t%g\t%g\t%.6f\n", it.In.ID, it.Lang, it.TitleOnly, it.Relevant, it.Weight, it.PopWeight, rep.CV[i])
			}
		}
		if err := os.WriteFile(*cvDump, []byte(b.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if *cvOnly {
		return
	}
	table = strings.Replace(table, "\n", fmt.Sprintf("\n# thresholds: %s cross-validated, each shifted to %.2f\n", th, classify.DefaultThreshold), 1)
	if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
		log.Fatal(err)
	}
}

// load reads the labelled items and the probes as training items, and the
// files' contents.
func load(tax *classify.Taxonomy, labelsPath, corpusPath string, probes []string, borderline, titleCopies float64, nonState bool) ([]classify.TrainItem, []byte, [][]byte, error) {
	var probeData [][]byte
	data, err := os.ReadFile(labelsPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("trainmodel: %w", err)
	}
	lf, err := classify.ReadLabels(strings.NewReader(string(data)))
	if err != nil {
		return nil, nil, nil, err
	}
	cf, err := os.Open(corpusPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("trainmodel: the corpus is needed for the items' text: %w", err)
	}
	defer cf.Close()
	corpus, err := classify.ReadCorpus(cf)
	if err != nil {
		return nil, nil, nil, err
	}
	items, err := labelled(tax, lf, corpus, borderline, titleCopies, nonState)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s (texts in %s): %w", labelsPath, corpusPath, err)
	}
	for _, p := range probes {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("trainmodel: %w", err)
		}
		probeData = append(probeData, data)
		ps, err := classify.ReadProbeSet(strings.NewReader(string(data)))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, pi := range ps {
			// A labelled item with a lead also trains as a headline alone
			// (titleCopies); a probe, mostly a headline, weighs as much as
			// the two together, so that the copies do not dilute it.
			ti := classify.TrainItem{In: pi.In, Relevant: pi.Relevant, Weight: 1 + titleCopies, Fold: -1, Lang: pi.In.Lang}
			for _, code := range pi.Topics {
				id, _ := tax.TopicByCode(code)
				ti.Topics = append(ti.Topics, id)
			}
			items = append(items, ti)
		}
	}
	return items, data, probeData, nil
}

// fold puts an item in one of five cross-validation folds by its id.
func fold(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % 5)
}

// loadWeb reads the labelled web-page items (their text is in itemsPath,
// not in the corpus) and the two files' contents, for the fingerprint.
// They train like corpus items but are left out of the estimates at the
// real base rate (PopWeight 0): they were found by searching, so they are
// a sample of no corpus cell.
func loadWeb(tax *classify.Taxonomy, labelsPath, itemsPath string, borderline, titleCopies float64) ([]classify.TrainItem, [][]byte, error) {
	if labelsPath == "" {
		return nil, nil, nil
	}
	data, err := os.ReadFile(labelsPath)
	if err != nil {
		return nil, nil, fmt.Errorf("trainmodel: %w", err)
	}
	lf, err := classify.ReadLabels(strings.NewReader(string(data)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", labelsPath, err)
	}
	text, err := os.ReadFile(itemsPath)
	if err != nil {
		return nil, nil, fmt.Errorf("trainmodel: %w", err)
	}
	corpus, err := classify.ReadCorpus(strings.NewReader(string(text)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", itemsPath, err)
	}
	if len(lf.PoolShare) > 0 {
		return nil, nil, fmt.Errorf("trainmodel: %s: web-page items have no population share", labelsPath)
	}
	items, err := labelled(tax, lf, corpus, borderline, titleCopies, false)
	if err != nil {
		return nil, nil, fmt.Errorf("%s (texts in %s): %w", labelsPath, itemsPath, err)
	}
	return items, [][]byte{data, text}, nil
}

// labelled turns the labels of lf into training items with the text of
// corpus: each item with a lead also trains as a headline alone
// (titleCopies), borderline items train as relevant with weight
// borderline, and an item of a pool with a population share counts in the
// estimates at the real base rate, unless it is a non-state item and
// nonState is false.
func labelled(tax *classify.Taxonomy, lf *classify.LabelFile, corpus map[string]classify.CorpusItem, borderline, titleCopies float64, nonState bool) ([]classify.TrainItem, error) {
	count := map[string]int{}
	for _, l := range lf.Labels {
		count[l.Pool]++
	}
	var items []classify.TrainItem
	for _, l := range lf.Labels {
		it, ok := corpus[l.ID]
		if !ok {
			return nil, fmt.Errorf("trainmodel: %s: labelled, but not among the items' texts", l.ID)
		}
		ti := classify.TrainItem{In: it.Input(), Lang: it.Lang, Weight: 1, Fold: fold(l.ID)}
		if share, ok := lf.PoolShare[l.Pool]; ok && (nonState || !strings.HasPrefix(it.Outlet, "non-state")) {
			ti.PopWeight = share / (float64(count[l.Pool]) / float64(len(lf.Labels)))
		}
		if l.Label > 0 {
			ti.Relevant = true
			for _, code := range l.Topics {
				id, ok := tax.TopicByCode(code)
				if !ok {
					return nil, fmt.Errorf("trainmodel: %s: unknown topic code %q", l.ID, code)
				}
				ti.Topics = append(ti.Topics, id)
			}
		}
		if l.Label == 1 {
			if borderline == 0 {
				continue
			}
			ti.Weight, ti.PopWeight = borderline, 0 // not counted in the threshold's estimate
		}
		items = append(items, ti)
		if ti.In.Summary != "" {
			// A copy without the lead: trained on with weight titleCopies
			// (0: only measured, for the headline threshold).
			tc := ti
			tc.In.Summary, tc.In.Body = "", ""
			tc.TitleOnly = true
			tc.Weight *= titleCopies
			items = append(items, tc)
		}
	}
	return items, nil
}
