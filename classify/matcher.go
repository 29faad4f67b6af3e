package classify

// matcher is an Aho–Corasick automaton over bytes, compiled into a dense
// transition table on byte classes, so a text is scanned once, one table
// look-up per byte, whatever the number of patterns.
//
// The table is laid out for the scan loop: a state is named by the offset
// of its row (state number times nclass), so a step is one addition and one
// load; states are numbered breadth-first, so the shallow states a text
// mostly stays in share cache lines; and the states where a pattern ends
// come after all others, so "is there a match here" is one comparison
// (row >= outFrom) rather than a look-up.
// (Duplicate by design: classify/reference_test.go keeps the code this replaced, frozen, as
// the reference the equivalence tests compare it with.)
type matcher struct {
	class   [256]uint32 // byte -> class; 0 for bytes in no pattern
	nclass  int
	delta   []uint32  // row + class -> next row
	outFrom uint32    // rows from here on have outputs
	out     [][]int32 // (row-outFrom)/nclass -> ids of the patterns ending there
	plen    []int32   // pattern id -> length in bytes
}

// newMatcher compiles the patterns; ids are the indexes in pats. Empty
// patterns are ignored.
func newMatcher(pats []string) *matcher {
	m := &matcher{plen: make([]int32, len(pats))}
	for _, p := range pats {
		for i := 0; i < len(p); i++ {
			m.class[p[i]] = 1
		}
	}
	m.nclass = 1
	for b := range m.class {
		if m.class[b] != 0 {
			m.class[b] = uint32(m.nclass)
			m.nclass++
		}
	}
	n := m.nclass
	// Trie with -1 for missing edges.
	var delta []int32
	var out [][]int32
	newState := func() int32 {
		for range n {
			delta = append(delta, -1)
		}
		out = append(out, nil)
		return int32(len(out) - 1)
	}
	newState()
	for id, p := range pats {
		m.plen[id] = int32(len(p))
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(m.class[p[i]])
			next := delta[int(s)*n+c]
			if next < 0 {
				next = newState()
				delta[int(s)*n+c] = next
			}
			s = next
		}
		out[s] = append(out[s], int32(id))
	}
	// Breadth-first: failure links folded into the table, outputs merged.
	fail := make([]int32, len(out))
	queue := make([]int32, 0, len(out))
	queue = append(queue, 0) // the root, for the renumbering below
	for c := 0; c < n; c++ {
		v := delta[c]
		if v < 0 || c == 0 {
			delta[c] = 0
			continue
		}
		fail[v] = 0
		queue = append(queue, v)
	}
	for qi := 1; qi < len(queue); qi++ {
		u := queue[qi]
		f := fail[u]
		if len(out[f]) > 0 {
			merged := make([]int32, 0, len(out[u])+len(out[f]))
			merged = append(append(merged, out[u]...), out[f]...)
			out[u] = merged
		}
		for c := 0; c < n; c++ {
			v := delta[int(u)*n+c]
			if v < 0 || c == 0 {
				delta[int(u)*n+c] = delta[int(f)*n+c]
				if c == 0 {
					delta[int(u)*n] = 0
				}
				continue
			}
			fail[v] = delta[int(f)*n+c]
			queue = append(queue, v)
		}
	}
	// Renumber: states without outputs first, then those with, each in
	// breadth-first order (queue). The root has no outputs and stays 0.
	num := make([]uint32, len(out))
	k := uint32(0)
	for pass := range 2 {
		for _, u := range queue {
			if (len(out[u]) > 0) == (pass == 1) {
				num[u] = k
				k++
			}
		}
	}
	nouts := 0
	for _, o := range out {
		if len(o) > 0 {
			nouts++
		}
	}
	m.outFrom = uint32((len(out) - nouts) * n)
	m.delta = make([]uint32, len(delta))
	m.out = make([][]int32, nouts)
	for u := range out {
		row := int(num[u]) * n
		for c := 0; c < n; c++ {
			m.delta[row+c] = num[delta[u*n+c]] * uint32(n)
		}
		if len(out[u]) > 0 {
			m.out[(uint32(row)-m.outFrom)/uint32(n)] = out[u]
		}
	}
	return m
}

// outputs returns the ids of the patterns ending in the state of row.
func (m *matcher) outputs(row uint32) []int32 {
	if row < m.outFrom {
		return nil
	}
	return m.out[(row-m.outFrom)/uint32(m.nclass)]
}

// scan calls fn for every occurrence of every pattern in text, with the
// pattern id and the match's byte range [start, end).
func (m *matcher) scan(text []byte, fn func(id int32, start, end int)) {
	s := uint32(0)
	for i, b := range text {
		s = m.delta[s+m.class[b]]
		if s >= m.outFrom {
			for _, id := range m.outputs(s) {
				end := i + 1
				fn(id, end-int(m.plen[id]), end)
			}
		}
	}
}

// rawHit is a state with outputs the automaton reached after end bytes.
type rawHit struct {
	row uint32
	end int32
}

// scanHits appends to hits every position in text where patterns end, with
// the state reached there (see outputs). It is kept out of line, where the
// loop has the registers to itself.
//
//go:noinline
func (m *matcher) scanHits(text []byte, hits []rawHit) []rawHit {
	delta, class, outFrom := m.delta, &m.class, m.outFrom
	s := uint32(0)
	for i, b := range text {
		s = delta[s+class[b]]
		if s >= outFrom {
			hits = append(hits, rawHit{s, int32(i + 1)})
		}
	}
	return hits
}
