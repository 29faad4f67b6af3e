package classify

import (
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

var updateModel = flag.Bool("update", false, "TestTrainModel: rewrite model.tsv from the training sets")

// trainingSets are the labelled sets the model learns from. probe2022d.txt
// and later blind probes are deliberately absent: they measure it.
var trainingSets = []string{
	"testdata/eval.txt",
	"testdata/probe2022.txt",
	"testdata/probe2022b.txt",
	"testdata/probe2022c.txt",
}

// Training hyper-parameters (chosen by leave-one-set-out cross-validation,
// see TestModelCV).
type trainParams struct {
	epochs int
	l2     float64 // L2 on the mean loss
	rate   float64
	minDF  int     // a feature must occur in this many training items
	keep   float64 // rows whose largest |weight| is below are dropped
}

var defaultTrain = trainParams{epochs: 400, l2: 1e-4, rate: 0.5, minDF: 2, keep: 0.02}

type trainItem struct {
	feats  []int32
	target [nModelClasses + 1]float64 // class 0 = not relevant
}

// itemFeatures lists the distinct features of an item's title and summary.
func itemFeatures(in Input) []string {
	seen := map[string]bool{}
	var out []string
	var buf []byte
	for _, s := range []string{in.Title, in.Summary} {
		if s == "" {
			continue
		}
		norm, _ := normalize(nil, nil, s)
		buf = modelFeatures(norm, buf, func(f []byte) {
			if !seen[string(f)] {
				seen[string(f)] = true
				out = append(out, string(f))
			}
		})
	}
	return out
}

func classIndex(topicID string) int {
	for code, id := range topicCodes {
		if id == topicID {
			for i, c := range modelClasses {
				if c == code {
					return i + 1
				}
			}
		}
	}
	panic("unknown topic " + topicID)
}

// trainModel fits a multinomial logistic regression (class 0 = not
// relevant, logit fixed at 0) by full-batch AdaGrad with L2 and returns the
// table rows.
func trainModel(items []evalItem, tp trainParams) *bowModel {
	df := map[string]int{}
	feats := make([][]string, len(items))
	for i, it := range items {
		feats[i] = itemFeatures(it.in)
		for _, f := range feats[i] {
			df[f]++
		}
	}
	var names []string
	for f, n := range df {
		if n >= tp.minDF {
			names = append(names, f)
		}
	}
	sort.Strings(names)
	idx := map[string]int32{}
	for i, f := range names {
		idx[f] = int32(i)
	}
	data := make([]trainItem, len(items))
	for i, it := range items {
		for _, f := range feats[i] {
			if j, ok := idx[f]; ok {
				data[i].feats = append(data[i].feats, j)
			}
		}
		if !it.relevant {
			data[i].target[0] = 1
		} else {
			for _, topic := range it.topics {
				data[i].target[classIndex(topic)] += 1 / float64(len(it.topics))
			}
		}
	}
	nf := len(names)
	w := make([][nModelClasses]float64, nf)
	g2 := make([][nModelClasses]float64, nf)
	var bias, bg2 [nModelClasses]float64
	grad := make([][nModelClasses]float64, nf)
	n := float64(len(data))
	for range tp.epochs {
		for j := range grad {
			grad[j] = [nModelClasses]float64{}
		}
		var gb [nModelClasses]float64
		for _, d := range data {
			z := bias
			for _, j := range d.feats {
				for k := range nModelClasses {
					z[k] += w[j][k]
				}
			}
			p := softmax(z)
			for k := range nModelClasses {
				e := (p[k+1] - d.target[k+1]) / n
				gb[k] += e
				for _, j := range d.feats {
					grad[j][k] += e
				}
			}
		}
		for j := range w {
			for k := range nModelClasses {
				g := grad[j][k] + tp.l2*w[j][k]
				g2[j][k] += g * g
				w[j][k] -= tp.rate * g / (math.Sqrt(g2[j][k]) + 1e-8)
			}
		}
		for k := range nModelClasses {
			bg2[k] += gb[k] * gb[k]
			bias[k] -= tp.rate * gb[k] / (math.Sqrt(bg2[k]) + 1e-8)
		}
	}
	m := &bowModel{index: map[string]int32{}}
	m.bias = bias
	for j, f := range names {
		keep := false
		var row [nModelClasses]float32
		for k := range nModelClasses {
			v := math.Round(w[j][k]*1000) / 1000
			row[k] = float32(v)
			if math.Abs(v) >= tp.keep {
				keep = true
			}
		}
		if keep {
			m.index[f] = int32(len(m.w))
			m.w = append(m.w, row)
		}
	}
	for k := range m.bias {
		m.bias[k] = math.Round(m.bias[k]*1000) / 1000
	}
	return m
}

// formatModel writes the table: header, bias, rows sorted by feature.
func formatModel(m *bowModel, header string) string {
	var b strings.Builder
	b.WriteString(header)
	row := func(name string, v [nModelClasses]float64) {
		b.WriteString(name)
		for _, x := range v {
			fmt.Fprintf(&b, "\t%s", trimFloat(x))
		}
		b.WriteByte('\n')
	}
	row("bias", m.bias)
	names := make([]string, 0, len(m.index))
	for f := range m.index {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		var v [nModelClasses]float64
		for k, x := range m.w[m.index[f]] {
			v[k] = float64(x)
		}
		row(f, v)
	}
	return b.String()
}

func trimFloat(x float64) string {
	s := fmt.Sprintf("%.3f", x)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		s = "0"
	}
	return s
}

// trainingHash identifies the training sets' contents and the training
// parameters, so a stale model.tsv is caught (TestModelFresh).
func trainingHash(t testing.TB) string {
	var b strings.Builder
	for _, f := range trainingSets {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	fmt.Fprintf(&b, "%+v", defaultTrain)
	return shortHash(b.String())
}

// TestModelFresh fails when the training sets or parameters changed since
// model.tsv was generated.
func TestModelFresh(t *testing.T) {
	want := "# training-sets: " + trainingHash(t) + "\n"
	if !strings.HasPrefix(modelTSV, want) {
		t.Errorf("model.tsv is stale: regenerate with go test ./classify -run TestTrainModel -update")
	}
	if _, err := loadDefaultModel(); err != nil {
		t.Fatal(err)
	}
}

func loadTraining(t testing.TB) (all []evalItem, per [][]evalItem) {
	for _, f := range trainingSets {
		items := loadEvalFile(t, f)
		per = append(per, items)
		all = append(all, items...)
	}
	return all, per
}

func TestTrainModel(t *testing.T) {
	if !*updateModel {
		t.Skip("run with -update to retrain model.tsv")
	}
	all, _ := loadTraining(t)
	m := trainModel(all, defaultTrain)
	header := "# training-sets: " + trainingHash(t) + "\n" +
		"# wirewatch classifier model (classify/model.tsv): multinomial logistic\n" +
		"# regression, generated by `go test ./classify -run TestTrainModel -update`\n" +
		"# from " + strings.Join(trainingSets, ", ") + "\n" +
		fmt.Sprintf("# (%d items; probe2022d.txt and later probes held out). Do not edit by hand.\n", len(all)) +
		"# Columns: feature, then the logit per class relative to \"not relevant\":\n" +
		"#   " + strings.Join(modelClasses[:], " ") + "\n" +
		"# Features: w:<English stem>, b:<stem> <stem> (adjacent, stop words\n" +
		"# skipped), z:<two Chinese characters>; see modelFeatures in model.go.\n"
	if err := os.WriteFile("model.tsv", []byte(formatModel(m, header)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("model.tsv: %d features", len(m.w))
}
