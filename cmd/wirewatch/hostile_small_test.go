package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// classify answers every line but exits 1 when some failed.
func TestClassifyExitsNonZeroOnFailedLines(t *testing.T) {
	in := "{\"id\":\"a\",\"title\":\"China opposes the entity list\"}\nnot json\n"
	out, errOut, code := runCmd(t, in, nil, "classify")
	if code != exitFailure {
		t.Errorf("exit %d, want %d (stderr %q)", code, exitFailure, errOut)
	}
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != 2 {
		t.Errorf("%d output lines, want 2:\n%s", n, out)
	}
}

// export with --until before --since is a usage error, not an empty file.
func TestExportUntilBeforeSince(t *testing.T) {
	db := seedArchive(t)
	env := []string{"WIREWATCH_DATABASE_URL=" + db.URL}
	out, errOut, code := runCmd(t, "", env, "export", "--since", "2026-11-20", "--until", "2026-11-01", "--format", "jsonl")
	if code != exitUsage || !strings.Contains(errOut, "--until") {
		t.Errorf("exit %d, stderr %q, stdout %q; want a usage error", code, errOut, out)
	}
}

// extract: a one-paragraph page is not doubled, and a paragraph 400 <div>s
// deep (under the HTML parser's limit of 512) is found.
func TestExtractSmallAndDeepPages(t *testing.T) {
	para := strings.Repeat("The Cyberspace Administration of China issued new rules on data security today. ", 10)
	for name, c := range map[string]struct{ page, want string }{
		"one paragraph": {"<p>x</p>", "x"},
		"400 divs deep": {"<html><body>" + strings.Repeat("<div>", 400) + "<p>" + para + "</p>" + strings.Repeat("</div>", 400) + "</body></html>", strings.TrimSpace(para)},
	} {
		out, errOut, code := runCmd(t, c.page, nil, "extract")
		if code != 0 {
			t.Errorf("%s: exit %d: %s", name, code, errOut)
			continue
		}
		var r struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%s: %v: %s", name, err, out)
		}
		if strings.TrimSpace(r.Text) != c.want {
			t.Errorf("%s: text %.200q, want %.200q", name, r.Text, c.want)
		}
	}
}
