package classify

import (
	"fmt"
	"strings"
	"testing"
)

const minimalTaxonomy = `version: 3
masks: [cyber monday]
groups:
  firm: [huawei]
  restrict: [ban, sanction]
topics:
  - id: tech
    label: Tech
    description: Tech restrictions.
    terms:
      entity list: 1.5
      huawei: 0.3
      cyber*: 0.8
    rules:
      - name: firm+restrict
        all: [firm, restrict]
        weight: 1
`

func TestLoadTaxonomy(t *testing.T) {
	t.Parallel()
	tax, err := LoadTaxonomy([]byte(minimalTaxonomy))
	if err != nil {
		t.Fatal(err)
	}
	if tax.Version != 3 || len(tax.Topics) != 1 || tax.Topic("tech") == nil || tax.Topic("nope") != nil {
		t.Fatalf("unexpected taxonomy %+v", tax)
	}
	c := New(tax, DefaultConfig())
	if !strings.HasPrefix(c.Version(), "topics-3-") || !strings.HasSuffix(c.Version(), fmt.Sprintf("/alg-%d", AlgorithmVersion)) {
		t.Errorf("version %q", c.Version())
	}
	if !c.Classify(Input{Title: "Huawei faces ban"}).Relevant {
		t.Error("rule did not fire")
	}
	if c.Classify(Input{Title: "Cyber Monday deals"}).Relevant {
		t.Error("mask did not hide cyber*")
	}
}

func TestVersionChangesWithTaxonomy(t *testing.T) {
	t.Parallel()
	a, err := LoadTaxonomy([]byte(minimalTaxonomy))
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadTaxonomy([]byte(strings.Replace(minimalTaxonomy, "huawei: 0.3", "huawei: 0.4", 1)))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := LoadTaxonomy([]byte(minimalTaxonomy))
	va, vb := New(a, DefaultConfig()).Version(), New(b, DefaultConfig()).Version()
	if va == vb {
		t.Errorf("a weight change left the version at %q", va)
	}
	if va != New(again, DefaultConfig()).Version() {
		t.Error("the same bytes gave another version")
	}
}

func TestLoadTaxonomyErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown key", "    label: Tech\n", "    label: Tech\n    colour: red\n", "colour"},
		{"duplicate term", "      huawei: 0.3\n", "      huawei: 0.3\n      huawei: 0.5\n", "huawei"},
		{"same once normalised", "      huawei: 0.3\n", "      huawei: 0.3\n      HUAWEI: 0.5\n", `same as`},
		{"bad wildcard", "      huawei: 0.3\n", "      hua*wei: 0.3\n", `topics[0] (tech): terms."hua*wei"`},
		{"unknown group", "all: [firm, restrict]", "all: [firm, nope]", `unknown group "nope"`},
		{"heavy weight", "huawei: 0.3", "huawei: 30", `terms."huawei": weight 30`},
		{"rule weight", "        weight: 1\n", "        weight: 0\n", "rules[0] (firm+restrict): weight"},
		{"bad id", "id: tech", "id: Tech Topic", "topics[0] (Tech Topic): id"},
		{"no version", "version: 3", "version: 0", "version"},
		{"empty label", "label: Tech", "label: ''", "label: empty"},
		{"empty group", "firm: [huawei]", "firm: []", "groups.firm: empty"},
		{"han wildcard", "huawei: 0.3", "华为*: 0.3", "Chinese"},
		{"not yaml", "version: 3", "version: [", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(minimalTaxonomy, tc.old, tc.new, 1)
			if src == minimalTaxonomy {
				t.Fatalf("test edit %q did not apply", tc.old)
			}
			_, err := LoadTaxonomy([]byte(src))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestDefaultTaxonomy(t *testing.T) {
	t.Parallel()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cyber-governance", "data-security", "hacking-espionage", "content-regulation", "tech-restrictions", "information-warfare"}
	for _, id := range want {
		tp := tax.Topic(id)
		if tp == nil {
			t.Errorf("topic %s missing", id)
			continue
		}
		var en, zh bool
		for term, w := range tp.Terms {
			if w > 0 && hasHan(term) {
				zh = true
			} else if w > 0 {
				en = true
			}
		}
		if !en || !zh {
			t.Errorf("topic %s: English terms %v, Chinese terms %v", id, en, zh)
		}
	}
	cfg := DefaultConfig()
	if _, err := cfg.LoadTaxonomy(); err != nil {
		t.Error(err)
	}
	cfg.TopicsFile = "testdata/does-not-exist.yaml"
	if _, err := cfg.LoadTaxonomy(); err == nil {
		t.Error("missing file: no error")
	}
}
