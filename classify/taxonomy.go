package classify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/wirewatch/wirewatch/configs"
)

// DefaultTopicsFile is the name of the taxonomy inside the embedded configs.FS.
const DefaultTopicsFile = "topics.yaml"

// maxWeight bounds term and rule weights, so one typo cannot swamp a topic.
const maxWeight = 5

// Taxonomy is a parsed, validated topic taxonomy (configs/topics.yaml).
// It is read-only once loaded and may be shared by several classifiers.
type Taxonomy struct {
	// Version is the taxonomy's own version number, bumped on every edit.
	Version int `yaml:"version"`
	// Masks are phrases that hide every term matched inside them
	// ("cyber monday" hides "cyber*").
	Masks []string `yaml:"masks"`
	// Groups are named term lists that rules combine; they weigh nothing alone.
	Groups map[string][]string `yaml:"groups"`
	// Topics are the topics articles are scored against, in report order.
	Topics []Topic `yaml:"topics"`

	hash string // short hash of the source bytes, part of the version
}

// Topic is one subject an analyst follows.
// (Alike by design: documented yaml fields, as in the config package's structs.)
type Topic struct {
	// ID is the stable machine name stored with results ("data-security").
	ID string `yaml:"id"`
	// Code is the topic's short code in the annotation rubric and the
	// label files (GOV, DATA, HACK, LAW, TECH, INFO); optional, unique.
	Code string `yaml:"code"`
	// Label is the short human name.
	Label string `yaml:"label"`
	// Description says in one paragraph what belongs in the topic.
	Description string `yaml:"description"`
	// Terms maps a term (English or Chinese; a trailing "*" matches any word
	// ending) to its weight; negative weights are counter-evidence.
	Terms map[string]float64 `yaml:"terms"`
	// Rules are co-occurrence rules that add weight when all their groups
	// match in one field.
	Rules []Rule `yaml:"rules"`
}

// Rule adds Weight to a topic when a term of every group in All matches in
// the same field (in the body: close to each other).
type Rule struct {
	// Name identifies the rule in evidence ("rule:ict-firm+restriction").
	Name string `yaml:"name"`
	// All lists the names of the groups that must all match.
	All []string `yaml:"all"`
	// Weight is added to the topic's raw score when the rule fires.
	Weight float64 `yaml:"weight"`
}

var (
	idPattern   = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*$`)
)

// TopicByCode returns the id of the topic with the rubric code (GOV, …),
// case-insensitively, and whether there is one.
func (t *Taxonomy) TopicByCode(code string) (string, bool) {
	for _, tp := range t.Topics {
		if tp.Code != "" && strings.EqualFold(tp.Code, code) {
			return tp.ID, true
		}
	}
	return "", false
}

// LoadTaxonomy parses and validates a taxonomy in YAML. Unknown keys,
// duplicate keys and invalid entries are errors naming the topic and key.
func LoadTaxonomy(data []byte) (*Taxonomy, error) {
	var t Taxonomy
	if err := yaml.UnmarshalWithOptions(data, &t, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("classify: taxonomy: %s", yaml.FormatError(err, false, true))
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("classify: taxonomy: %w", err)
	}
	sum := sha256.Sum256(data)
	t.hash = hex.EncodeToString(sum[:4])
	return &t, nil
}

// DefaultTaxonomy loads the taxonomy embedded in the binary (configs/topics.yaml).
func DefaultTaxonomy() (*Taxonomy, error) {
	data, err := fs.ReadFile(configs.FS, DefaultTopicsFile)
	if err != nil {
		return nil, fmt.Errorf("classify: read embedded %s: %w", DefaultTopicsFile, err)
	}
	return LoadTaxonomy(data)
}

// Hash is a short hex digest of the taxonomy's source bytes; any edit to the
// file changes it.
func (t *Taxonomy) Hash() string { return t.hash }

// Topic returns the topic with the given id, or nil.
func (t *Taxonomy) Topic(id string) *Topic {
	for i := range t.Topics {
		if t.Topics[i].ID == id {
			return &t.Topics[i]
		}
	}
	return nil
}

func (t *Taxonomy) validate() error {
	var errs []error
	if t.Version <= 0 {
		errs = append(errs, errors.New("version: must be a positive integer"))
	}
	for i, m := range t.Masks {
		if _, _, err := parseTerm(m); err != nil {
			errs = append(errs, fmt.Errorf("masks[%d] %q: %w", i, m, err))
		}
	}
	names := make([]string, 0, len(t.Groups))
	for name := range t.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		terms := t.Groups[name]
		if len(terms) == 0 {
			errs = append(errs, fmt.Errorf("groups.%s: empty", name))
		}
		for i, term := range terms {
			if _, _, err := parseTerm(term); err != nil {
				errs = append(errs, fmt.Errorf("groups.%s[%d] %q: %w", name, i, term, err))
			}
		}
	}
	if len(t.Topics) == 0 {
		errs = append(errs, errors.New("topics: none defined"))
	}
	seen := map[string]bool{}
	for i := range t.Topics {
		tp := &t.Topics[i]
		where := fmt.Sprintf("topics[%d] (%s)", i, tp.ID)
		switch {
		case !idPattern.MatchString(tp.ID):
			errs = append(errs, fmt.Errorf("%s: id: must match %s", where, idPattern))
		case seen[tp.ID]:
			errs = append(errs, fmt.Errorf("%s: id: duplicate", where))
		}
		seen[tp.ID] = true
		if tp.Code != "" {
			if !codePattern.MatchString(tp.Code) {
				errs = append(errs, fmt.Errorf("%s: code: must match %s", where, codePattern))
			} else if seen["code:"+tp.Code] {
				errs = append(errs, fmt.Errorf("%s: code: duplicate %q", where, tp.Code))
			}
			seen["code:"+tp.Code] = true
		}
		if strings.TrimSpace(tp.Label) == "" {
			errs = append(errs, fmt.Errorf("%s: label: empty", where))
		}
		if strings.TrimSpace(tp.Description) == "" {
			errs = append(errs, fmt.Errorf("%s: description: empty", where))
		}
		if len(tp.Terms) == 0 {
			errs = append(errs, fmt.Errorf("%s: terms: none", where))
		}
		norm := map[string]string{}
		for term, w := range tp.Terms {
			key, prefix, err := parseTerm(term)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: terms.%q: %w", where, term, err))
				continue
			}
			if prefix {
				key += "*"
			}
			if other, dup := norm[key]; dup {
				errs = append(errs, fmt.Errorf("%s: terms.%q: same as %q once normalised", where, term, other))
			}
			norm[key] = term
			if math.IsNaN(w) || math.Abs(w) > maxWeight {
				errs = append(errs, fmt.Errorf("%s: terms.%q: weight %v outside [-%d,%d]", where, term, w, maxWeight, maxWeight))
			}
		}
		for j, r := range tp.Rules {
			rw := fmt.Sprintf("%s: rules[%d] (%s)", where, j, r.Name)
			if strings.TrimSpace(r.Name) == "" {
				errs = append(errs, fmt.Errorf("%s: name: empty", rw))
			}
			if len(r.All) < 2 {
				errs = append(errs, fmt.Errorf("%s: all: needs at least two groups", rw))
			}
			for _, g := range r.All {
				if _, ok := t.Groups[g]; !ok {
					errs = append(errs, fmt.Errorf("%s: all: unknown group %q", rw, g))
				}
			}
			if math.IsNaN(r.Weight) || r.Weight <= 0 || r.Weight > maxWeight {
				errs = append(errs, fmt.Errorf("%s: weight: %v not in (0,%d]", rw, r.Weight, maxWeight))
			}
		}
	}
	return errors.Join(errs...)
}

// parseTerm normalises a term as texts are normalised and reports whether it
// ends in the "*" wildcard.
// (Duplicate by design: classify/reference_test.go keeps the code this replaced, frozen, as
// the reference the equivalence tests compare it with.)
func parseTerm(term string) (key string, prefix bool, err error) {
	s := strings.TrimSpace(term)
	if strings.HasSuffix(s, "*") {
		prefix = true
		s = strings.TrimSuffix(s, "*")
	}
	if strings.Contains(s, "*") {
		return "", false, errors.New(`"*" is only allowed at the end`)
	}
	b, _ := normalize(nil, nil, s)
	key = strings.TrimSpace(string(b))
	if key == "" {
		return "", false, errors.New("empty once normalised")
	}
	if prefix && hasHan(key) {
		return "", false, errors.New(`"*" makes no sense on a Chinese term (they match as substrings)`)
	}
	return key, prefix, nil
}

// LoadTaxonomy returns the taxonomy the configuration names: the file at
// TopicsFile, or the embedded one when it is empty. It reads a file, so call
// it at start-up, not in the scoring path.
func (c Config) LoadTaxonomy() (*Taxonomy, error) {
	if c.TopicsFile == "" {
		return DefaultTaxonomy()
	}
	data, err := os.ReadFile(c.TopicsFile)
	if err != nil {
		return nil, fmt.Errorf("classify: read taxonomy: %w", err)
	}
	t, err := LoadTaxonomy(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, c.TopicsFile)
	}
	return t, nil
}
