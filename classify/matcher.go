package classify

// matcher is an Aho–Corasick automaton over bytes, compiled into a dense
// transition table on byte classes, so a text is scanned once, one table
// look-up per byte, whatever the number of patterns.
type matcher struct {
	class  [256]uint16 // byte -> class; 0 for bytes in no pattern
	nclass int
	delta  []int32   // state*nclass + class -> next state
	out    [][]int32 // state -> ids of the patterns ending there
	plen   []int32   // pattern id -> length in bytes
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
			m.class[b] = uint16(m.nclass)
			m.nclass++
		}
	}
	n := m.nclass
	// Trie with -1 for missing edges.
	newState := func() int32 {
		for range n {
			m.delta = append(m.delta, -1)
		}
		m.out = append(m.out, nil)
		return int32(len(m.out) - 1)
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
			next := m.delta[int(s)*n+c]
			if next < 0 {
				next = newState()
				m.delta[int(s)*n+c] = next
			}
			s = next
		}
		m.out[s] = append(m.out[s], int32(id))
	}
	// Breadth-first: failure links folded into the table, outputs merged.
	fail := make([]int32, len(m.out))
	queue := make([]int32, 0, len(m.out))
	for c := 0; c < n; c++ {
		v := m.delta[c]
		if v < 0 || c == 0 {
			m.delta[c] = 0
			continue
		}
		fail[v] = 0
		queue = append(queue, v)
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		f := fail[u]
		if len(m.out[f]) > 0 {
			merged := make([]int32, 0, len(m.out[u])+len(m.out[f]))
			merged = append(append(merged, m.out[u]...), m.out[f]...)
			m.out[u] = merged
		}
		for c := 0; c < n; c++ {
			v := m.delta[int(u)*n+c]
			if v < 0 || c == 0 {
				m.delta[int(u)*n+c] = m.delta[int(f)*n+c]
				if c == 0 {
					m.delta[int(u)*n] = 0
				}
				continue
			}
			fail[v] = m.delta[int(f)*n+c]
			queue = append(queue, v)
		}
	}
	return m
}

// scan calls fn for every occurrence of every pattern in text, with the
// pattern id and the match's byte range [start, end).
func (m *matcher) scan(text []byte, fn func(id int32, start, end int)) {
	n := m.nclass
	s := int32(0)
	for i, b := range text {
		s = m.delta[int(s)*n+int(m.class[b])]
		for _, id := range m.out[s] {
			end := i + 1
			fn(id, end-int(m.plen[id]), end)
		}
	}
}
