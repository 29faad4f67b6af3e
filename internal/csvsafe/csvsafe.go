// Package csvsafe writes CSV that a spreadsheet opens as text: a cell that
// begins with =, +, -, @, a tab or a carriage return gets a leading single
// quote, so it cannot be read as a formula (the OWASP CSV injection rule).
// Every CSV writer in wirewatch goes through it.
package csvsafe

import (
	"encoding/csv"
	"io"
)

// Cell returns s neutralised for a spreadsheet.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer whose Write neutralises every cell.
type Writer struct {
	*csv.Writer
	rec []string
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record, each cell passed through Cell. The caller's
// slice is left as it was.
func (w *Writer) Write(record []string) error {
	w.rec = w.rec[:0]
	for _, c := range record {
		w.rec = append(w.rec, Cell(c))
	}
	return w.Writer.Write(w.rec)
}
