package classify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/wirewatch/wirewatch/model"
)

// MaxLineBytes is the longest input line RunJSONL accepts; a longer line
// gets an error line and the stream goes on.
const MaxLineBytes = 16 << 20

// Output is one line written by RunJSONL for a classified input.
type Output struct {
	ID       string             `json:"id"`
	Relevant bool               `json:"relevant"`
	Score    float64            `json:"score"`
	Topics   []model.TopicScore `json:"topics"`
	Version  string             `json:"version"`
}

// ErrorOutput is the line written by RunJSONL for an input line it could not
// classify: the 1-based line number, the id when it could be read, and why.
type ErrorOutput struct {
	ID    string `json:"id"`
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// ErrLinesFailed is returned by RunJSONL, after every line was read and
// answered, when some input lines could not be classified.
var ErrLinesFailed = errors.New("some input lines failed")

// RunJSONL implements `wirewatch classify`: it reads one JSON object per
// line from r ({"id","title","summary","body","lang"}, all but title
// optional), classifies it and writes one JSON line per input line to w, in
// order. Blank lines are skipped. A malformed line yields an ErrorOutput line
// and the stream goes on; only read, write and context errors stop it.
// Output is flushed whenever the input has no more buffered data, so it
// works interactively in a pipe. When some lines failed, the error at the
// end wraps ErrLinesFailed.
func RunJSONL(ctx context.Context, c *Classifier, r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var line []byte
	failed := 0
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			_ = bw.Flush()
			return err
		}
		var tooLong bool
		var err error
		line, tooLong, err = readLine(br, line[:0])
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			var out any
			if tooLong {
				out = ErrorOutput{Line: n, Error: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
			} else {
				out = classifyLine(c, line, n)
			}
			if _, bad := out.(ErrorOutput); bad {
				failed++
			}
			if werr := enc.Encode(out); werr != nil {
				return fmt.Errorf("classify: write: %w", werr)
			}
		}
		if errors.Is(err, io.EOF) {
			if ferr := bw.Flush(); ferr != nil {
				return fmt.Errorf("classify: write: %w", ferr)
			}
			if failed > 0 {
				return fmt.Errorf("classify: %d input lines failed (each has an error line in the output): %w", failed, ErrLinesFailed)
			}
			return nil
		}
		if err != nil {
			_ = bw.Flush()
			return fmt.Errorf("classify: read: %w", err)
		}
		if br.Buffered() == 0 {
			if ferr := bw.Flush(); ferr != nil {
				return fmt.Errorf("classify: write: %w", ferr)
			}
		}
	}
}

// readLine appends the next line (without its newline) to buf. A line over
// MaxLineBytes is consumed and dropped, and reported as tooLong.
func readLine(br *bufio.Reader, buf []byte) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			buf = append(buf, chunk...)
			if len(buf) > MaxLineBytes {
				tooLong, buf = true, buf[:0]
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		buf = bytes.TrimSuffix(buf, []byte("\n"))
		buf = bytes.TrimSuffix(buf, []byte("\r"))
		return buf, tooLong, err
	}
}

func classifyLine(c *Classifier, line []byte, n int) any {
	var in Input
	if err := json.Unmarshal(line, &in); err != nil {
		// Salvage the id when only another field is wrong.
		var idOnly struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(line, &idOnly)
		return ErrorOutput{ID: idOnly.ID, Line: n, Error: "invalid JSON input: " + err.Error()}
	}
	if in.Title == "" && in.Summary == "" && in.Body == "" {
		return ErrorOutput{ID: in.ID, Line: n, Error: "no text: title is required"}
	}
	res := c.Classify(in)
	return Output{ID: in.ID, Relevant: res.Relevant, Score: res.Score, Topics: res.Topics, Version: res.Version}
}
