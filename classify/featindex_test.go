package classify

import (
	"fmt"
	"testing"
)

// The hashed index finds every feature of the shipped model at its row,
// and no name that is not a feature.
func TestFeatureIndexMatchesNames(t *testing.T) {
	m, err := loadDefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.index) < 1000 {
		t.Fatalf("the model has %d features", len(m.index))
	}
	for name, row := range m.index {
		if got, ok := m.lookup.get([]byte(name)); !ok || got != row {
			t.Fatalf("feature %q: row %d, %v; want %d", name, got, ok, row)
		}
	}
	for i := range 100000 {
		name := fmt.Sprintf("w:nosuchword%d", i)
		if _, ok := m.index[name]; ok {
			continue
		}
		if row, ok := m.lookup.get([]byte(name)); ok {
			t.Fatalf("%q is no feature but was found at row %d", name, row)
		}
	}
	var empty featureIndex
	if _, ok := empty.get([]byte("w:cyber")); ok {
		t.Error("an empty index found a feature")
	}
	if x, err := newFeatureIndex(map[string]int32{}); err != nil || len(x.hashes) == 0 {
		t.Errorf("an index of no feature: %d slots, %v", len(x.hashes), err)
	}
}
