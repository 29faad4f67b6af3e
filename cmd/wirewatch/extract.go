package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/model"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("extract", "extract an article: an HTML page on stdin → one JSON object on stdout (--jsonl: one page per line)", runExtract)
}

// extractOutput is what `extract` prints for one page. URL and Error are
// set only with --jsonl.
type extractOutput struct {
	URL       string `json:"url,omitempty"`
	Title     string `json:"title"`
	Byline    string `json:"byline"`
	Published string `json:"published"`
	Lang      string `json:"lang"`
	Text      string `json:"text"`
	Method    string `json:"method"`
	Error     string `json:"error,omitempty"`
}

func newExtractOutput(ex model.Extracted) extractOutput {
	out := extractOutput{Title: ex.Title, Byline: ex.Byline, Lang: ex.Lang, Text: ex.Text, Method: ex.Method}
	if ex.Published != nil {
		out.Published = ex.Published.Format(time.RFC3339)
	}
	return out
}

func runExtract(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("extract")
	pageURL := fs.String("url", "", "the page's address (picks the site rule, resolves links)")
	contentType := fs.String("content-type", "", "the Content-Type header the page came with (for its charset)")
	sources := fs.String("sources", "", "source catalogue with site rules (default: the configuration's sources_file, else the built-in one)")
	jsonl := fs.Bool("jsonl", false, `read JSON lines {"url","html"} or {"url","html_base64","content_type"} and print one JSON object per line`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *jsonl && (*pageURL != "" || *contentType != "") {
		return fmt.Errorf("%w: --url and --content-type belong in each line with --jsonl", errUsage)
	}
	cfg, _, err := g.load(e)
	if err != nil {
		return err
	}
	if *sources != "" {
		cfg.SourcesFile = *sources
	}
	_, rules, err := daemon.LoadRules(cfg)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	if *jsonl {
		return extractLines(ctx, e.stdin, enc, rules)
	}
	raw, err := io.ReadAll(io.LimitReader(e.stdin, config.DefaultExtractInput))
	if err != nil {
		return fmt.Errorf("read page from stdin: %w", err)
	}
	ex, err := extract.Page(raw, *contentType, *pageURL, rules)
	if err != nil {
		return err
	}
	return enc.Encode(newExtractOutput(ex))
}

// extractInput is one --jsonl line. A JSON string holds Unicode text, so
// "html" is the page already decoded (its <meta charset> and the charset of
// content_type are ignored); "html_base64" carries the page's bytes as
// fetched, which are decoded as the daemon decodes them (content_type,
// then the page's own declarations).
type extractInput struct {
	URL         string  `json:"url"`
	HTML        *string `json:"html"`
	HTMLBase64  []byte  `json:"html_base64"`
	ContentType string  `json:"content_type"`
}

// extractLines extracts one page per input line and prints one object per
// line, in order. A page without text, or a line that is not a page, gets
// an object with "error" (and the line number when the URL is unknown), and
// the run goes on; lines that could not be read make the command fail at
// the end, so that a script notices.
func extractLines(ctx context.Context, in io.Reader, enc *json.Encoder, rules *extract.Rules) error {
	r := bufio.NewReaderSize(in, 1<<20)
	bad := 0
	for lineNo := 1; ; lineNo++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := readLine(r, config.DefaultExtractInput)
		if errors.Is(err, io.EOF) && len(line) == 0 {
			break
		}
		var out extractOutput
		switch {
		case errors.Is(err, errLineTooLong):
			out.Error = fmt.Sprintf("line %d: longer than %d bytes", lineNo, config.DefaultExtractInput)
			bad++
		case err != nil && !errors.Is(err, io.EOF):
			return fmt.Errorf("read stdin, line %d: %w", lineNo, err)
		case len(bytes.TrimSpace(line)) == 0:
			continue
		default:
			var inputErr bool
			out, inputErr = extractLine(line, lineNo, rules)
			if inputErr {
				bad++
			}
		}
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("write result of line %d: %w", lineNo, err)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d input line(s) were not a page (see their \"error\")", bad)
	}
	return nil
}

// extractLine extracts the page of one input line; inputErr reports a line
// that holds no page.
func extractLine(line []byte, lineNo int, rules *extract.Rules) (out extractOutput, inputErr bool) {
	var in extractInput
	if err := json.Unmarshal(line, &in); err != nil {
		return extractOutput{Error: fmt.Sprintf("line %d: not a JSON object: %v", lineNo, err)}, true
	}
	var raw []byte
	contentType := in.ContentType
	switch {
	case in.HTML != nil && in.HTMLBase64 != nil:
		return extractOutput{URL: in.URL, Error: fmt.Sprintf(`line %d: both "html" and "html_base64"`, lineNo)}, true
	case in.HTML != nil:
		raw, contentType = []byte(*in.HTML), "text/html; charset=utf-8"
	case in.HTMLBase64 != nil:
		raw = in.HTMLBase64
	default:
		return extractOutput{URL: in.URL, Error: fmt.Sprintf(`line %d: no "html" or "html_base64"`, lineNo)}, true
	}
	ex, err := extract.Page(raw, contentType, in.URL, rules)
	out = newExtractOutput(ex)
	out.URL = in.URL
	if err != nil {
		out.Error = err.Error()
		if in.URL == "" {
			out.Error = fmt.Sprintf("line %d: %v", lineNo, err)
		}
	}
	return out, false
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line (without its newline) of at most limit bytes;
// a longer line is consumed and reported with errLineTooLong.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > limit {
			line = nil
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(line, []byte{'\n'}), err
	}
}
