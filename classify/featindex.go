package classify

import (
	"fmt"
	"math/bits"
)

// featureIndex finds a feature's row in the model: an open-addressing
// table of the features' 64-bit FNV-1a hashes. Most of a text's features
// are in no model, and a miss here costs a hash and a probe or two of a
// small table, where a map[string] lookup of the 70,000 names missed the
// CPU caches. Two names with one hash would be told apart by nothing, so
// building refuses them (none of 2^64 values is shared by the model's
// features: newFeatureIndex checks); a text's word that shares a feature's
// hash would count as that feature, at odds of about one in 10^14 per
// word.
type featureIndex struct {
	mask   uint64
	hashes []uint64 // 0: empty slot (a hash of 0 is stored as 1)
	rows   []int32
}

func newFeatureIndex(names map[string]int32) (featureIndex, error) {
	size := uint64(1) << bits.Len(uint(len(names)*2)) // at most half full
	x := featureIndex{mask: size - 1, hashes: make([]uint64, size), rows: make([]int32, size)}
	for name, row := range names {
		h := featureHash([]byte(name))
		i := h & x.mask
		for x.hashes[i] != 0 {
			if x.hashes[i] == h {
				return featureIndex{}, fmt.Errorf("classify: features %q and another share a hash", name)
			}
			i = (i + 1) & x.mask
		}
		x.hashes[i], x.rows[i] = h, row
	}
	return x, nil
}

// get returns the row of feature f.
func (x *featureIndex) get(f []byte) (int32, bool) {
	if len(x.hashes) == 0 {
		return 0, false
	}
	h := featureHash(f)
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		switch x.hashes[i] {
		case h:
			return x.rows[i], true
		case 0:
			return 0, false
		}
	}
}

// featureHash is FNV-1a (64 bits), never 0.
func featureHash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return max(h, 1)
}
