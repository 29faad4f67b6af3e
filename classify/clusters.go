package classify

import (
	"bufio"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	_ "embed"
)

// Word clusters: groups of model features (stems, bigrams, Chinese
// character n-grams) that occur in the same kind of text, learnt without
// labels from the state-media corpus's titles and leads (`make clusters`,
// BuildClusters). A feature in a cluster also counts as the cluster's
// feature ("c:17"), so that a word the labelled items never held, or held
// too rarely to weigh, can borrow the weight its cluster earned from the
// words it keeps company with: 商用密码 with 密码法 and 网络安全.

//go:embed clusters.tsv
var clustersTSV string

var (
	defaultClustersOnce sync.Once
	defaultClusters     *clusterTable
	defaultClustersErr  error
)

// clusterTable maps a model feature to its cluster.
type clusterTable struct {
	lookup featureIndex // feature -> cluster id
	names  [][]byte     // per cluster id: its feature name, "c:<id>"
	n      int          // features in the table
}

// loadDefaultClusters parses the embedded cluster table once.
func loadDefaultClusters() (*clusterTable, error) {
	defaultClustersOnce.Do(func() {
		defaultClusters, defaultClustersErr = parseClusters(clustersTSV)
	})
	return defaultClusters, defaultClustersErr
}

// clusterFeaturePrefix starts a cluster's feature name.
const clusterFeaturePrefix = "c:"

// parseClusters reads a cluster table: comment lines (#), then one row per
// feature, tab-separated: the feature and its cluster's number.
func parseClusters(src string) (*clusterTable, error) {
	rows := map[string]int32{}
	most := int32(-1)
	sc := bufio.NewScanner(strings.NewReader(src))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		feat, num, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("classify: clusters line %d: want a feature and a number, tab-separated", n)
		}
		id, err := strconv.ParseInt(num, 10, 32)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("classify: clusters line %d: cluster %q: want a number, 0 or more", n, num)
		}
		if _, dup := rows[feat]; dup {
			return nil, fmt.Errorf("classify: clusters line %d: feature %q listed twice", n, feat)
		}
		rows[feat] = int32(id)
		most = max(most, int32(id))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("classify: clusters: %w", err)
	}
	lookup, err := newFeatureIndex(rows)
	if err != nil {
		return nil, err
	}
	t := &clusterTable{lookup: lookup, n: len(rows)}
	for id := range most + 1 {
		t.names = append(t.names, []byte(clusterFeaturePrefix+strconv.Itoa(int(id))))
	}
	return t, nil
}

// ClusterParams are the parameters of BuildClusters.
type ClusterParams struct {
	MinDF    int    // a feature must occur in this many texts to be clustered
	Contexts int    // the most frequent features that describe the others
	Dims     int    // the dimensions the descriptions are projected to
	K        int    // clusters
	Passes   int    // k-means passes
	Seed     uint64 // the projection's and the first centres' choice
}

// DefaultClusterParams are the parameters `make clusters` uses.
func DefaultClusterParams() ClusterParams {
	return ClusterParams{MinDF: 5, Contexts: 2000, Dims: 128, K: 600, Passes: 12, Seed: 2026120701}
}

// BuildClusters clusters the model features of texts (each a title and
// its lead, or any unit of text) by the company they keep, and returns the
// cluster table: a comment header, then each feature and its cluster.
//
// A feature that occurs in at least MinDF texts is described by its
// positive pointwise mutual information with each of the Contexts most
// frequent features (how much more often than by chance the two share a
// text); the descriptions are projected to Dims dimensions by a fixed
// random ±1 matrix, normalised, and grouped into K clusters by spherical
// k-means. It is deterministic for a given input and seed.
func BuildClusters(texts [][]string, p ClusterParams, logf func(format string, args ...any)) (string, error) {
	if p.MinDF < 1 || p.Contexts < 1 || p.Dims < 1 || p.K < 1 || p.Passes < 1 {
		return "", fmt.Errorf("classify: clusters: parameters %+v: want each at least 1", p)
	}
	// Each text's distinct features, as ids.
	ids := map[string]int32{}
	var names []string
	var df []int32
	docs := make([][]int32, 0, len(texts))
	var norm []byte
	var offs []int32
	var buf []byte
	for _, parts := range texts {
		var doc []int32
		seen := map[int32]bool{}
		for _, part := range parts {
			norm, offs = normalize(norm[:0], offs[:0], part)
			buf = modelFeatures(norm, buf, func(feat []byte, _, _ int) {
				id, ok := ids[string(feat)]
				if !ok {
					id = int32(len(names))
					ids[string(feat)] = id
					names = append(names, string(feat))
					df = append(df, 0)
				}
				if !seen[id] {
					seen[id] = true
					doc = append(doc, id)
					df[id]++
				}
			})
		}
		docs = append(docs, doc)
	}
	// The vocabulary, and the contexts: its most frequent features.
	var vocab []int32
	for id, n := range df {
		if int(n) >= p.MinDF {
			vocab = append(vocab, int32(id))
		}
	}
	slices.SortFunc(vocab, func(a, b int32) int {
		if c := cmp.Compare(df[b], df[a]); c != 0 {
			return c
		}
		return strings.Compare(names[a], names[b])
	})
	if len(vocab) < p.K {
		return "", fmt.Errorf("classify: clusters: %d features occur in %d texts or more: fewer than %d clusters", len(vocab), p.MinDF, p.K)
	}
	nctx := min(p.Contexts, len(vocab))
	row := make([]int32, len(names)) // id -> vocabulary row, -1 outside
	for i := range row {
		row[i] = -1
	}
	for r, id := range vocab {
		row[id] = int32(r)
	}
	logf("clusters: %d texts, %d features, %d in %d texts or more, %d contexts", len(docs), len(names), len(vocab), p.MinDF, nctx)

	// Postings: the texts of each vocabulary feature.
	post := make([][]int32, len(vocab))
	for d, doc := range docs {
		for _, id := range doc {
			if r := row[id]; r >= 0 {
				post[r] = append(post[r], int32(d))
			}
		}
	}
	// Each text's contexts.
	ctxOf := make([][]int32, len(docs))
	for d, doc := range docs {
		for _, id := range doc {
			if r := row[id]; r >= 0 && int(r) < nctx {
				ctxOf[d] = append(ctxOf[d], r)
			}
		}
	}
	proj := func(c, k int) float32 { // the fixed ±1 projection
		h := splitmix(p.Seed ^ uint64(c)<<20 ^ uint64(k))
		if h&1 == 0 {
			return -1
		}
		return 1
	}
	projRows := make([][]float32, nctx)
	for c := range projRows {
		projRows[c] = make([]float32, p.Dims)
		for k := range projRows[c] {
			projRows[c][k] = proj(c, k)
		}
	}
	n := float64(len(docs))
	vecs := make([][]float32, len(vocab))
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts := make([]int32, nctx)
			var touched []int32
			for r := w; r < len(vocab); r += workers {
				touched = touched[:0]
				for _, d := range post[r] {
					for _, c := range ctxOf[d] {
						if int(c) == r {
							continue
						}
						if counts[c] == 0 {
							touched = append(touched, c)
						}
						counts[c]++
					}
				}
				v := make([]float32, p.Dims)
				dr := float64(df[vocab[r]])
				for _, c := range touched {
					pmi := math.Log(float64(counts[c]) * n / (dr * float64(df[vocab[c]])))
					counts[c] = 0
					if pmi <= 0 {
						continue
					}
					for k, s := range projRows[c] {
						v[k] += float32(pmi) * s
					}
				}
				normalizeVec(v)
				vecs[r] = v
			}
		}()
	}
	wg.Wait()

	// Spherical k-means, first centres drawn by the seed.
	order := make([]int, len(vocab))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Compare(splitmix(p.Seed+uint64(a)), splitmix(p.Seed+uint64(b)))
	})
	cent := make([][]float32, p.K)
	for k := range cent {
		cent[k] = slices.Clone(vecs[order[k]])
	}
	assign := make([]int32, len(vocab))
	for pass := range p.Passes {
		moved := 0
		var mu sync.Mutex
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := 0
				for r := w; r < len(vocab); r += workers {
					best, bestDot := int32(0), float32(-2)
					for k, c := range cent {
						if d := dot(vecs[r], c); d > bestDot {
							best, bestDot = int32(k), d
						}
					}
					if pass == 0 || assign[r] != best {
						m++
					}
					assign[r] = best
				}
				mu.Lock()
				moved += m
				mu.Unlock()
			}()
		}
		wg.Wait()
		for k := range cent {
			clear(cent[k])
		}
		size := make([]int, p.K)
		for r, k := range assign {
			size[k]++
			for j, x := range vecs[r] {
				cent[k][j] += x
			}
		}
		for k := range cent {
			if size[k] == 0 {
				copy(cent[k], vecs[order[(p.K+k)%len(order)]]) // an empty cluster starts again
			}
			normalizeVec(cent[k])
		}
		logf("clusters: pass %d: %d features changed cluster", pass+1, moved)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# wirewatch word clusters, generated by `make clusters`: %d features of the\n", len(vocab))
	fmt.Fprintf(&b, "# state-media corpus's titles and leads in %d clusters by the company they keep\n", p.K)
	fmt.Fprintf(&b, "# (no labels used; the frozen test items left out). Do not edit by hand.\n")
	fmt.Fprintf(&b, "# params: %+v\n", p)
	lines := make([]string, len(vocab))
	for r, id := range vocab {
		lines[r] = names[id] + "\t" + strconv.Itoa(int(assign[r]))
	}
	slices.Sort(lines)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func dot(a, b []float32) float32 {
	var s float32
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

func normalizeVec(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// splitmix is SplitMix64's output function: a fixed, well-mixed hash.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
