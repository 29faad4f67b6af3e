// Package runes cuts text by characters (runes), not bytes, so a cut never
// splits a multi-byte character of Chinese text.
package runes

// Prefix returns the first n runes of s (all of s when it is shorter): what
// SQL's left(s, n) returns.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for at := range s {
		if i == n {
			return s[:at]
		}
		i++
	}
	return s
}
