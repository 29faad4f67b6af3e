package classify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRunJSONL(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	in := strings.Join([]string{
		`{"id":"a","title":"China firmly opposes US adding Chinese firms to entity list"}`,
		`not json`,
		``,
		`{"id":"b","title":"国家网信办启动清朗专项行动","lang":"zh"}`,
		`{"id":"c","title":123}`,
		`{"id":"d"}`,
		`{"id":"e","title":"Weather: sunny in Beijing","summary":"Temperatures rise.","body":"Warm days ahead."}`,
		`{"id":"f","title":"Huge","body":"` + strings.Repeat("cyberspace governance ", 200000) + `"}`,
	}, "\n")
	var out bytes.Buffer
	// Three lines fail (not JSON, a number for a title, no text): every
	// line is answered, and the end says some failed.
	if err := RunJSONL(context.Background(), c, strings.NewReader(in), &out); !errors.Is(err, ErrLinesFailed) {
		t.Fatalf("RunJSONL with failed lines: %v, want ErrLinesFailed", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 7 {
		t.Fatalf("%d output lines, want 7:\n%s", len(lines), out.String())
	}
	type line struct {
		ID       string  `json:"id"`
		Relevant bool    `json:"relevant"`
		Score    float64 `json:"score"`
		Topics   []struct {
			ID       string            `json:"id"`
			Score    float64           `json:"score"`
			Evidence []json.RawMessage `json:"evidence"`
		} `json:"topics"`
		Error string `json:"error"`
		Line  int    `json:"line"`
	}
	// (Alike by design: decodes the command's JSON lines into this test's own type, as
	// cmd/wirewatch/extract_test.go does into its own.)
	var got []line
	for _, l := range lines {
		var v line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("bad output line %q: %v", l, err)
		}
		got = append(got, v)
	}
	if got[0].ID != "a" || !got[0].Relevant || got[0].Topics[0].ID != "tech-restrictions" || len(got[0].Topics[0].Evidence) == 0 {
		t.Errorf("line a: %+v", got[0])
	}
	if got[1].Error == "" || got[1].Line != 2 {
		t.Errorf("malformed line: %+v", got[1])
	}
	if got[2].ID != "b" || !got[2].Relevant {
		t.Errorf("line b: %+v", got[2])
	}
	if got[3].ID != "c" || got[3].Error == "" {
		t.Errorf("wrong type: %+v", got[3])
	}
	if got[4].ID != "d" || !strings.Contains(got[4].Error, "title") {
		t.Errorf("no title: %+v", got[4])
	}
	if got[5].ID != "e" || got[5].Relevant || got[5].Topics == nil {
		t.Errorf("line e: %+v (topics must be [] not null)", got[5])
	}
	if got[6].ID != "f" || !got[6].Relevant {
		t.Errorf("large line: %+v", got[6])
	}
	if !strings.Contains(lines[5], `"topics":[]`) {
		t.Errorf("empty topics not written as []: %s", lines[5])
	}
}

func TestRunJSONLTooLong(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	in := `{"id":"x","title":"` + strings.Repeat("a", MaxLineBytes) + "\"}\n" + `{"id":"y","title":"entity list"}` + "\n"
	var out bytes.Buffer
	if err := RunJSONL(context.Background(), c, strings.NewReader(in), &out); !errors.Is(err, ErrLinesFailed) {
		t.Fatalf("a line too long: %v, want ErrLinesFailed", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "longer than") || !strings.Contains(lines[1], `"id":"y"`) {
		t.Fatalf("got %q", out.String())
	}
}

func TestRunJSONLCancel(t *testing.T) {
	t.Parallel()
	c := defaultClassifier(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := RunJSONL(ctx, c, strings.NewReader(`{"title":"x"}`+"\n"), &bytes.Buffer{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
