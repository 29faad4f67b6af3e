package classify

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The decision: a multinomial logistic-regression model (class 0 "not
// relevant", one class per taxonomy topic) over the article's head — its
// title and lead (the summary, or the start of the body when there is no
// summary; see leadOf). Its features are
//   - English word stems ("w:hack") and adjacent-stem bigrams
//     ("b:cyber attack"), Chinese character bigrams ("z:网信") and
//     trigrams ("y:网信办"), from modelFeatures;
//   - the taxonomy's rule score of each topic on the head ("r:<topic id>",
//     real-valued in [0,1)), so the hand-written terms and rules of
//     configs/topics.yaml count as prior knowledge the model weighs.
// It is trained by `make train` (train.go) on items of real state-media
// headlines that annotators labelled by reading (testdata/labels), and
// stored as a reviewable text table, model.tsv, embedded in the binary.
// In training each text feature is scaled by how strongly it tells
// relevant items from the rest (TrainParams.RatioFloor, RatioCap); the scale is
// folded into the table's weights, so scoring reads features as 0/1.

//go:embed model.tsv
var modelTSV string

// linModel is a parsed model.tsv.
type linModel struct {
	// classes are the topic ids of the columns (class 0, "not relevant",
	// is implicit with logit 0).
	classes []string
	bias    []float64
	index   map[string]int32 // feature -> row
	lookup  featureIndex     // index, for the lookups of classification
	w       []float32        // row-major, len(index) × len(classes)
	// scale sharpens the decision's log-odds into the reported score:
	// score = σ(scale · logit P(relevant)). It leaves the decision at 0.5
	// where it is and makes scores of items far from it calibrated at the
	// real base rate (fitted by `make train`); 1 when the table has none.
	scale float64
	// shifts are added to every class logit by the case of the item: its
	// language (English, Chinese) and whether it has a lead or is a
	// headline alone (see headCase). Each case has its own decision
	// threshold, chosen by `make train`'s cross-validation; the bias holds
	// the first case's, and a shift moves another case's to 0.5 too.
	shifts [nCases]float64
	// lengthNorm are the bounds (English, Chinese) above which a head's
	// text features' part of the logits is damped by its length
	// (lengthFactor, TrainParams.LengthNorm); 0 when the table has no
	// lengthnorm row.
	lengthNorm [2]float64
	// hash identifies the table; part of the classifier version.
	hash string
}

// The cases that have their own decision threshold: an item in English or
// Chinese, with a lead or as a headline alone.
const (
	caseEN = iota
	caseZH
	caseTitleEN
	caseTitleZH
	nCases
)

// caseNames name the cases in model.tsv's shift rows and in the training
// report.
var caseNames = [nCases]string{"en", "zh", "title-en", "title-zh"}

// headCase is the case of an item in language lang (chineseItem) with or
// without a lead.
func headCase(lang, title string, hasLead bool) int {
	c := caseEN
	if chineseItem(lang, title) {
		c = caseZH
	}
	if !hasLead {
		c += caseTitleEN
	}
	return c
}

// chineseItem reports whether an item in language lang with this title is
// Chinese: "zh…" is, so is an item without a language whose title has Han
// characters; the rest is English.
func chineseItem(lang, title string) bool {
	return strings.HasPrefix(lang, "zh") || lang == "" && hasHan(title)
}

// ruleFeature names the real-valued feature of topic id's rule score.
func ruleFeature(id string) string { return "r:" + id }

var (
	defaultModelOnce sync.Once
	defaultModel     *linModel
	defaultModelErr  error
)

// loadDefaultModel parses the embedded model once.
func loadDefaultModel() (*linModel, error) {
	defaultModelOnce.Do(func() {
		defaultModel, defaultModelErr = parseModel(modelTSV)
	})
	return defaultModel, defaultModelErr
}

// parseModel reads the model table: comment lines (#), a "classes" row
// naming the topic of each column, a "bias" row and one row per feature,
// tab-separated: feature, then one weight per class.
func parseModel(src string) (*linModel, error) {
	m := &linModel{index: map[string]int32{}}
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
		if f[0] == "scale" {
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if len(f) != 2 || err != nil || !(v > 0 && v < 50) {
				return nil, fmt.Errorf("classify: model.tsv:%d: bad scale row", n)
			}
			m.scale = v
			continue
		}
		if f[0] == "lengthnorm" {
			if len(f) != 3 {
				return nil, fmt.Errorf("classify: model.tsv:%d: bad lengthnorm row: want an English and a Chinese bound", n)
			}
			for i, x := range f[1:] {
				v, err := strconv.ParseFloat(x, 64)
				if err != nil || !validLengthBound(v) {
					return nil, fmt.Errorf("classify: model.tsv:%d: bad lengthnorm bound %q", n, x)
				}
				m.lengthNorm[i] = v
			}
			continue
		}
		if f[0] == "titleshift" && len(f) == 2 { // an older table's one shift for headlines alone
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil || math.IsNaN(v) || math.Abs(v) > 20 {
				return nil, fmt.Errorf("classify: model.tsv:%d: bad titleshift row", n)
			}
			m.shifts[caseTitleEN], m.shifts[caseTitleZH] = v, v
			continue
		}
		if f[0] == "shift" {
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			hc := slices.Index(caseNames[:], f[1])
			if len(f) != 3 || hc < 0 || err != nil || math.IsNaN(v) || math.Abs(v) > 20 {
				return nil, fmt.Errorf("classify: model.tsv:%d: bad shift row", n)
			}
			m.shifts[hc] = v
			continue
		}
		if f[0] == "classes" {
			if m.classes != nil || len(f) < 2 {
				return nil, fmt.Errorf("classify: model.tsv:%d: bad classes row", n)
			}
			m.classes = f[1:]
			continue
		}
		if m.classes == nil {
			return nil, fmt.Errorf("classify: model.tsv:%d: a classes row must come first", n)
		}
		nc := len(m.classes)
		if len(f) != nc+1 {
			return nil, fmt.Errorf("classify: model.tsv:%d: want %d fields, got %d", n, nc+1, len(f))
		}
		row := make([]float64, nc)
		for i := range nc {
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
		m.index[f[0]] = int32(len(m.index))
		for _, v := range row {
			m.w = append(m.w, float32(v))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("classify: model.tsv: %w", err)
	}
	if !sawBias {
		return nil, fmt.Errorf("classify: model.tsv: no bias row")
	}
	if m.scale == 0 {
		m.scale = 1
	}
	lookup, err := newFeatureIndex(m.index)
	if err != nil {
		return nil, err
	}
	m.lookup = lookup
	m.hash = shortHash(src)
	return m, nil
}

// row returns the weights of feature row j.
func (m *linModel) row(j int32) []float32 {
	nc := len(m.classes)
	return m.w[int(j)*nc : int(j)*nc+nc]
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

// modelFeatures calls fn with every feature occurrence of a normalised text
// (see normalize) and its range [start,end) there: English stems
// ("w:hack"), consecutive-stem bigrams ("b:cyber attack") and Chinese
// character bigrams ("z:网信"). A feature may occur more than once. buf is
// scratch space; the slices passed to fn are only valid during the call.
func modelFeatures(norm []byte, buf []byte, fn func(feat []byte, start, end int)) []byte {
	buf = buf[:0]
	var prev []byte // previous stem, inside buf
	prevOK, prevStart := false, 0
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
			word, ws := norm[i:j], i
			i = j
			for len(word) > 0 && word[0] == '\'' {
				word = word[1:] // opening quote
				ws++
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
			we := j
			for we > ws+1 && norm[we-1] == '\'' {
				we-- // a closing quote is not part of the word's range
			}
			fn(buf[start:], ws, we)
			if prevOK {
				bs := len(buf)
				buf = append(buf, "b:"...)
				buf = append(buf, prev...)
				buf = append(buf, ' ')
				buf = append(buf, cur...)
				fn(buf[bs:], prevStart, we)
				buf = buf[:bs]
			}
			prev, prevOK, prevStart = buf[start+2:], true, ws
			// keep the stem in buf so prev stays valid; buf only grows
			// within one text, which is a title or a lead.
		default:
			// A run of non-ASCII: Chinese characters as bigrams.
			j := i
			for j < len(norm) && norm[j] >= 0x80 {
				j++
			}
			run, rs := norm[i:j], i
			i = j
			prevOK = false
			var p0, p1 int = -1, 0 // previous rune's [start,end) in run
			pp := -1               // the rune before's start
			for k := 0; k < len(run); {
				size := runeLen(run[k])
				if k+size > len(run) {
					break
				}
				if hanTrigrams && pp >= 0 {
					bs := len(buf)
					buf = append(buf, "y:"...)
					buf = append(buf, run[pp:k+size]...)
					fn(buf[bs:], rs+pp, rs+k+size)
					buf = buf[:bs]
				}
				if p0 >= 0 {
					bs := len(buf)
					buf = append(buf, "z:"...)
					buf = append(buf, run[p0:p1]...)
					buf = append(buf, run[k:k+size]...)
					fn(buf[bs:], rs+p0, rs+k+size)
					buf = buf[:bs]
				}
				pp, p0, p1 = p0, k, k+size
				k += size
			}
		}
	}
	return buf
}

// hanTrigrams adds Chinese character trigrams ("y:网信办") to the bigrams.
const hanTrigrams = true

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

// scaledScore maps the model's P(relevant) to the reported score,
// σ(scale · logit p); p = 0.5 stays 0.5.
func (m *linModel) scaledScore(p float64) float64 {
	if m.scale == 1 || p <= 0 || p >= 1 {
		return p
	}
	return 1 / (1 + math.Exp(-m.scale*math.Log(p/(1-p))))
}

// softmaxInto writes to p the class probabilities for logits z over the
// implicit class 0 (logit 0) and z: p[0] not relevant, p[k+1] class k.
func softmaxInto(p []float64, z []float64) {
	mx := 0.0
	for _, v := range z {
		mx = max(mx, v)
	}
	p[0] = math.Exp(-mx)
	s := p[0]
	for k, v := range z {
		p[k+1] = math.Exp(v - mx)
		s += p[k+1]
	}
	for k := range p {
		p[k] /= s
	}
}
