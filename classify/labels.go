package classify

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Label is an annotator's judgement of one item under the relevance rubric
// (../shared/corpora/statemedia/RUBRIC.md), made by reading it.
type Label struct {
	// ID is the item's id in its corpus.
	ID string
	// Label is 2 (clearly relevant), 1 (borderline) or 0 (not relevant).
	Label int
	// Topics are the rubric's topic codes (GOV, DATA, HACK, LAW, TECH,
	// INFO), the main one first; empty for 0.
	Topics []string
	// Annotator names who labelled it ("a", "b", or "a+b" when settled).
	Annotator string
	// Pool is the sampling cell the item was drawn from (e.g.
	// "zh-mfa.hit": Chinese Foreign Ministry items with the broad
	// cyber/tech words; see scripts/pool-cells.py), or "random" in the
	// test set.
	Pool string
	// Reason is the annotator's short reason.
	Reason string
}

// LabelFile is a parsed label file: one Label per item, and the population
// share of each sampling pool (header lines "#! pool NAME SHARE"), so that
// figures from an enriched sample can be stated at the real base rate.
type LabelFile struct {
	Labels    []Label
	PoolShare map[string]float64
}

// ReadLabels parses a label file: tab-separated lines "id, label, topics
// (comma-separated codes or -), annotator, pool, reason"; "#" starts a
// comment, "#! pool NAME SHARE" declares a pool's population share.
func ReadLabels(r io.Reader) (*LabelFile, error) {
	lf := &LabelFile{PoolShare: map[string]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if f, ok := strings.CutPrefix(line, "#! pool "); ok {
			parts := strings.Fields(f)
			v, err := strconv.ParseFloat(parts[len(parts)-1], 64)
			if len(parts) != 2 || err != nil || v <= 0 || v > 1 {
				return nil, fmt.Errorf("classify: labels:%d: want \"#! pool NAME SHARE\"", n)
			}
			lf.PoolShare[parts[0]] = v
			continue
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			return nil, fmt.Errorf("classify: labels:%d: want 6 tab-separated fields, got %d", n, len(f))
		}
		l := Label{ID: f[0], Annotator: f[3], Pool: f[4], Reason: f[5]}
		switch f[1] {
		case "0", "1", "2":
			l.Label = int(f[1][0] - '0')
		default:
			return nil, fmt.Errorf("classify: labels:%d: label %q is not 0, 1 or 2", n, f[1])
		}
		if f[2] != "-" && f[2] != "" {
			for _, code := range strings.Split(f[2], ",") {
				l.Topics = append(l.Topics, strings.ToUpper(strings.TrimSpace(code)))
			}
		}
		if (l.Label > 0) != (len(l.Topics) > 0) {
			return nil, fmt.Errorf("classify: labels:%d: %s: topics must be given for labels 1 and 2 only", n, l.ID)
		}
		if seen[l.ID] {
			return nil, fmt.Errorf("classify: labels:%d: duplicate id %s", n, l.ID)
		}
		seen[l.ID] = true
		lf.Labels = append(lf.Labels, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("classify: labels: %w", err)
	}
	return lf, nil
}

// CorpusItem is one record of a corpus of real items: the state-media
// headline corpus (headlines.jsonl.gz: a title and the start of its body as
// "lead") or a full-text set ("body").
type CorpusItem struct {
	ID     string `json:"id"`
	Outlet string `json:"outlet"`
	Lang   string `json:"lang"`
	Date   string `json:"date"`
	Title  string `json:"title"`
	Lead   string `json:"lead"`
	Body   string `json:"body"`
	URL    string `json:"url"`
	Origin string `json:"origin"`
}

// Input is the item as the classifier sees it: the lead as the summary,
// the body as the body.
func (it CorpusItem) Input() Input {
	return Input{ID: it.ID, Title: it.Title, Summary: it.Lead, Body: it.Body, Lang: it.Lang}
}

// ReadCorpus reads JSON lines of CorpusItem, gzip-compressed or not, keyed
// by id.
func ReadCorpus(r io.Reader) (map[string]CorpusItem, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("classify: corpus: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	out := map[string]CorpusItem{}
	dec := json.NewDecoder(br)
	for n := 1; ; n++ {
		var it CorpusItem
		err := dec.Decode(&it)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("classify: corpus: record %d: %w", n, err)
		}
		if it.ID == "" {
			return nil, fmt.Errorf("classify: corpus: record %d: no id", n)
		}
		out[it.ID] = it
	}
}

// legacyCodes maps the topic codes of the written probe sets
// (testdata/eval.txt and probe2022*.txt) to rubric codes.
var legacyCodes = map[string]string{"gov": "GOV", "data": "DATA", "hack": "HACK", "reg": "LAW", "tech": "TECH", "info": "INFO"}

// ProbeItem is an item of a written probe set.
type ProbeItem struct {
	In       Input
	Relevant bool
	Topics   []string // rubric codes
}

// ReadProbeSet parses a written probe set: lines "+ CODES | TITLE [|
// SUMMARY]" (relevant) or "- | TITLE [| SUMMARY]", "#" comments. A line
// may carry a leading "holdout" marker word after the label, which is
// ignored here.
func ReadProbeSet(r io.Reader) ([]ProbeItem, error) {
	var out []ProbeItem
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, " | ")
		head := strings.Fields(parts[0])
		if len(parts) < 2 || len(parts) > 3 || len(head) == 0 || head[0] != "+" && head[0] != "-" {
			return nil, fmt.Errorf("classify: probe set:%d: want LABEL [TOPICS] | TITLE [| SUMMARY]", n)
		}
		it := ProbeItem{Relevant: head[0] == "+", In: Input{ID: fmt.Sprintf("probe:%d", n), Title: strings.TrimSpace(parts[1]), Lang: "en"}}
		if hasHan(it.In.Title) {
			it.In.Lang = "zh"
		}
		if len(parts) == 3 {
			it.In.Summary = strings.TrimSpace(parts[2])
		}
		for _, h := range head[1:] {
			for _, code := range strings.Split(h, ",") {
				if rc, ok := legacyCodes[code]; ok {
					it.Topics = append(it.Topics, rc)
				}
			}
		}
		if it.Relevant && len(it.Topics) == 0 {
			return nil, fmt.Errorf("classify: probe set:%d: relevant item without a topic", n)
		}
		out = append(out, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("classify: probe set: %w", err)
	}
	return out, nil
}
