package classify

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// The learned component: a small multinomial logistic-regression model over
// a bag of headline features (English word stems and stem bigrams, Chinese
// character bigrams), trained offline on the team's labelled sets by
// `go test ./classify -run TestTrainModel -update` (see train_test.go) and
// stored as a reviewable text table, model.tsv, embedded in the binary.
//
// It generalises where the term list cannot: many weakly cyber-ish words
// together ("online" + "platform" + "rules") add up, and phrasings the
// taxonomy never listed still carry the stems it learned ("hijacked
// accounts", "网信办约谈"). It reads only the title and summary (the body
// would pile up incidental words) and its contribution is reported as
// evidence "model:<feature>" with the feature's share of the score.

//go:embed model.tsv
var modelTSV string

// modelClasses are the columns of model.tsv: one per topic code, each a
// logit relative to the implicit "not relevant" class (logit 0).
var modelClasses = [...]string{"gov", "data", "hack", "reg", "tech", "info"}

// modelTopicIDs are the taxonomy topics the classes stand for. The model is
// used only with a taxonomy that has all of them (the shipped one).
var modelTopicIDs = [...]string{"cyber-governance", "data-security", "hacking-espionage",
	"content-regulation", "tech-restrictions", "information-warfare"}

const nModelClasses = len(modelClasses)

// bowModel is a parsed model.tsv.
type bowModel struct {
	bias  [nModelClasses]float64
	index map[string]int32 // feature -> row
	w     [][nModelClasses]float32
	names []string // per row: evidence term, "model:" and the feature without its kind prefix
	// hash identifies the table; part of the classifier version.
	hash string
}

var (
	defaultModelOnce sync.Once
	defaultModel     *bowModel
	defaultModelErr  error
)

// loadDefaultModel parses the embedded model once.
func loadDefaultModel() (*bowModel, error) {
	defaultModelOnce.Do(func() {
		defaultModel, defaultModelErr = parseModel(modelTSV)
	})
	return defaultModel, defaultModelErr
}

// parseModel reads the model table: comment lines (#), one "bias" row and
// one row per feature, tab-separated: feature, then one weight per class.
func parseModel(src string) (*bowModel, error) {
	m := &bowModel{index: map[string]int32{}}
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n, sawBias := 0, false
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != nModelClasses+1 {
			return nil, fmt.Errorf("classify: model.tsv:%d: want %d fields, got %d", n, nModelClasses+1, len(f))
		}
		var row [nModelClasses]float64
		for i := range nModelClasses {
			v, err := strconv.ParseFloat(f[i+1], 64)
			if err != nil || math.IsNaN(v) || math.Abs(v) > 50 {
				return nil, fmt.Errorf("classify: model.tsv:%d: bad weight %q", n, f[i+1])
			}
			row[i] = v
		}
		if f[0] == "bias" {
			m.bias, sawBias = row, true
			continue
		}
		if _, dup := m.index[f[0]]; dup {
			return nil, fmt.Errorf("classify: model.tsv:%d: duplicate feature %q", n, f[0])
		}
		var w [nModelClasses]float32
		for i := range row {
			w[i] = float32(row[i])
		}
		m.index[f[0]] = int32(len(m.w))
		m.w = append(m.w, w)
		name := f[0]
		if len(name) > 2 && name[1] == ':' {
			name = name[2:]
		}
		m.names = append(m.names, "model:"+name)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !sawBias {
		return nil, fmt.Errorf("classify: model.tsv: no bias row")
	}
	m.hash = shortHash(src)
	return m, nil
}

// modelStop are English words too common to be features.
var modelStop = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "to": true, "in": true, "on": true,
	"for": true, "and": true, "with": true, "at": true, "by": true, "as": true, "is": true,
	"are": true, "be": true, "its": true, "from": true, "into": true, "it": true, "or": true,
	"that": true, "this": true, "s": true, "'s": true, "was": true, "were": true, "has": true,
	"have": true, "will": true, "than": true, "their": true, "his": true, "her": true,
}

// stem is a deliberately crude English suffix stripper: it only has to map
// the same word forms to the same feature at training and scoring time.
func stem(w []byte) []byte {
	if n := len(w); n > 2 && w[n-2] == '\'' && w[n-1] == 's' {
		w = w[:n-2]
	}
	if n := len(w); n > 0 && w[n-1] == '\'' {
		w = w[:n-1]
	}
	n := len(w)
	switch {
	case n > 5 && string(w[n-3:]) == "ing":
		w = w[:n-3]
	case n > 4 && string(w[n-3:]) == "ies":
		w = append(w[:n-3], 'y')
	case n > 4 && string(w[n-2:]) == "ed":
		w = w[:n-2]
	case n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u' && w[n-2] != 'i':
		w = w[:n-1]
	}
	if n := len(w); n > 4 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	return w
}

// modelFeatures calls fn with every distinct feature of a normalised text
// (see normalize): English stems ("w:hack"), consecutive-stem bigrams
// ("b:cyber attack") and Chinese character bigrams ("z:网信"). buf is scratch
// space; the slices passed to fn are only valid during the call.
func modelFeatures(norm []byte, buf []byte, fn func(feat []byte)) []byte {
	buf = buf[:0]
	var prev []byte // previous stem, inside buf
	prevOK := false
	i := 0
	for i < len(norm) {
		b := norm[i]
		switch {
		case b == ' ':
			i++
		case b < 0x80:
			j := i
			for j < len(norm) && norm[j] < 0x80 && norm[j] != ' ' {
				j++
			}
			word := norm[i:j]
			i = j
			for len(word) > 0 && word[0] == '\'' {
				word = word[1:] // opening quote
			}
			if isDigits(word) {
				prevOK = false
				continue
			}
			start := len(buf)
			buf = append(buf, "w:"...)
			buf = append(buf, word...)
			st := stem(buf[start+2:])
			buf = append(buf[:start+2], st...)
			if modelStop[string(buf[start+2:])] || len(buf)-start-2 < 2 {
				buf = buf[:start]
				continue // stop words are skipped, bigrams join across them
			}
			cur := buf[start+2:]
			fn(buf[start:])
			if prevOK {
				bs := len(buf)
				buf = append(buf, "b:"...)
				buf = append(buf, prev...)
				buf = append(buf, ' ')
				buf = append(buf, cur...)
				fn(buf[bs:])
				buf = buf[:bs]
			}
			prev, prevOK = buf[start+2:], true
			// keep the stem in buf so prev stays valid; buf only grows
			// within one text, which is a title or summary.
		default:
			// A run of non-ASCII: Chinese characters as bigrams.
			j := i
			for j < len(norm) && norm[j] >= 0x80 {
				j++
			}
			run := norm[i:j]
			i = j
			prevOK = false
			var p0, p1 int = -1, 0 // previous rune's [start,end) in run
			for k := 0; k < len(run); {
				size := runeLen(run[k])
				if k+size > len(run) {
					break
				}
				if p0 >= 0 {
					bs := len(buf)
					buf = append(buf, "z:"...)
					buf = append(buf, run[p0:p1]...)
					buf = append(buf, run[k:k+size]...)
					fn(buf[bs:])
					buf = buf[:bs]
				}
				p0, p1 = k, k+size
				k += size
			}
		}
	}
	return buf
}

func isDigits(w []byte) bool {
	for _, c := range w {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// runeLen is the byte length of the UTF-8 sequence starting with b.
func runeLen(b byte) int {
	switch {
	case b >= 0xF0:
		return 4
	case b >= 0xE0:
		return 3
	case b >= 0xC0:
		return 2
	}
	return 1
}

// shortHash is the first 8 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// score adds up the model's logits for the features of a normalised text,
// appending the rows it used (each once) to rows.
func (m *bowModel) score(norm []byte, buf []byte, rows []int32) ([]byte, []int32) {
	return modelFeatures(norm, buf, func(f []byte) {
		j, ok := m.index[string(f)]
		if !ok {
			return
		}
		for _, r := range rows {
			if r == j {
				return
			}
		}
		rows = append(rows, j)
	}), rows
}

// probs are the class probabilities for the rows: [0] not relevant, then
// one per modelClasses entry.
func (m *bowModel) probs(rows []int32) [nModelClasses + 1]float64 {
	z := m.bias
	for _, j := range rows {
		for k, v := range m.w[j] {
			z[k] += float64(v)
		}
	}
	return softmax(z)
}

// softmax over the implicit class 0 (logit 0) and z.
func softmax(z [nModelClasses]float64) [nModelClasses + 1]float64 {
	mx := 0.0
	for _, v := range z {
		mx = max(mx, v)
	}
	var p [nModelClasses + 1]float64
	p[0] = math.Exp(-mx)
	s := p[0]
	for k, v := range z {
		p[k+1] = math.Exp(v - mx)
		s += p[k+1]
	}
	for k := range p {
		p[k] /= s
	}
	return p
}
