// Package textwidth measures text in terminal (monospaced) cells, for the
// plain-text email parts and the command line's tables.
package textwidth

import (
	"unicode"

	"golang.org/x/text/width"
)

// Rune is the number of cells r takes: East Asian wide and full-width
// characters take two, combining marks and controls none.
func Rune(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == 0x200b:
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// String is the number of cells s takes.
func String(s string) int {
	n := 0
	for _, r := range s {
		n += Rune(r)
	}
	return n
}
