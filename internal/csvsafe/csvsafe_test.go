package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestWriterNeutralisesFormulaCells(t *testing.T) {
	in := []string{`=HYPERLINK("http://x","y")`, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "", "a=b", "'q"}
	want := []string{`'=HYPERLINK("http://x","y")`, "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain", "", "a=b", "'q"}
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	got, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if in[0][0] != '=' {
		t.Error("Write changed the caller's record")
	}
}
