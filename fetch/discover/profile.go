package discover

import (
	"net/url"
	"strings"
	"sync"
)

// learnMin is how many earlier article links must share an address pattern
// for the pattern to admit a link on its own.
const learnMin = 2

// maxPatterns bounds a profile; past it, new patterns are not recorded.
const maxPatterns = 4096

// Profile is what earlier polls of one source taught: the address patterns
// (host, directories with numbers generalised, extension) of the article
// links found before. A link whose address alone is not conclusive (no date
// or id, outside a list) is admitted when its pattern was seen often. A
// Profile is safe for concurrent use; the zero value is not, use
// NewProfile.
type Profile struct {
	mu       sync.Mutex
	patterns map[string]int
}

// NewProfile returns an empty profile.
func NewProfile() *Profile { return &Profile{patterns: map[string]int{}} }

// Learn records the patterns of links found on one poll.
func (p *Profile) Learn(links []Link) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range links {
		u, err := url.Parse(l.URL)
		if err != nil {
			continue
		}
		k := pattern(u)
		if _, ok := p.patterns[k]; !ok && len(p.patterns) >= maxPatterns {
			continue
		}
		p.patterns[k]++
	}
}

// knows reports whether u's pattern was seen at least learnMin times.
func (p *Profile) knows(u *url.URL) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.patterns[pattern(u)] >= learnMin
}

// pattern generalises an address: the host, each directory with digit runs
// replaced by '#', and the last segment reduced to its extension.
func pattern(u *url.URL) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(u.Hostname()))
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	for i, s := range segs {
		b.WriteByte('/')
		if i == len(segs)-1 {
			b.WriteByte('*')
			b.WriteString(pathExt(strings.ToLower(s)))
			break
		}
		digits := false
		for j := 0; j < len(s); j++ {
			if s[j] >= '0' && s[j] <= '9' {
				if !digits {
					b.WriteByte('#')
				}
				digits = true
				continue
			}
			digits = false
			b.WriteByte(s[j])
		}
	}
	return b.String()
}
