package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wirewatch/wirewatch/store/storetest"
)

// TestExtractJSONL sends three pages (one GBK with its Content-Type, one
// without text) and two bad lines through `extract --jsonl`: one result per
// line in input order, the same fields as the single-page output, errors
// in their line's object, and exit status 1 because of the bad lines.
func TestExtractJSONL(t *testing.T) {
	article := `<html lang="en"><head><title>Cyber rules | Example</title></head><body><nav><a href="/">Home</a></nav><article><h1>Cyber rules</h1>` +
		strings.Repeat("<p>The regulator published new rules on data export today, setting out the scope, conditions and procedure of security assessments.</p>", 6) +
		`</article></body></html>`
	zh := `<html lang="zh-CN"><head><meta charset="gbk"><title>x</title></head><body><article><h1>网信办发布数据出境安全评估办法</h1>` +
		strings.Repeat("<p>国家互联网信息办公室今天公布了数据出境安全评估办法，明确了评估的范围、条件和程序。</p>", 8) + `</article></body></html>`
	line := func(v map[string]string) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	input := strings.Join([]string{
		line(map[string]string{"url": "https://www.example.com/a/1.html", "html": article}),
		line(map[string]string{"url": "https://www.example.cn/a/2.html", "html_base64": base64.StdEncoding.EncodeToString(toGBK(t, zh)), "content_type": "text/html; charset=gbk"}),
		// A page given as text: its <meta charset="gbk"> is not believed.
		line(map[string]string{"url": "https://www.example.cn/a/3.html", "html": zh}),
		`{"url": "https://www.example.com/broken", "html": `,
		"",
		line(map[string]string{"url": "https://www.example.com/empty", "html": "<html><body></body></html>"}),
		`{"url": "https://www.example.com/nohtml"}`,
	}, "\n")
	out, errOut, code := runCmd(t, input, nil, "extract", "--jsonl")
	if code != 1 || !strings.Contains(errOut, "2 input line(s)") {
		t.Errorf("exit %d, stderr %q; want 1 and the count of bad lines", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d output lines, want 6 (the blank line is skipped):\n%s", len(lines), out)
	}
	type result struct {
		URL, Title, Byline, Published, Lang, Text, Method, Error string
	}
	// (Alike by design: decodes the command's JSON lines into this test's own type, as
	// classify/jsonl_test.go does into its own.)
	var res []result
	for _, l := range lines {
		var r result
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("bad output line %q: %v", l, err)
		}
		res = append(res, r)
	}
	if r := res[0]; r.URL != "https://www.example.com/a/1.html" || r.Title != "Cyber rules" || r.Lang != "en" || r.Method != "generic" ||
		!strings.Contains(r.Text, "security assessments") || strings.Contains(r.Text, "Home") || r.Error != "" {
		t.Errorf("English page: %+v", r)
	}
	if r := res[1]; r.Lang != "zh" || !strings.Contains(r.Text, "数据出境安全评估办法") || r.Error != "" {
		t.Errorf("GBK page: %+v", r)
	}
	if r := res[2]; r.Lang != "zh" || !strings.Contains(r.Text, "数据出境安全评估办法") || r.Error != "" {
		t.Errorf("page as text: %+v", r)
	}
	res = append(res[:2], res[3:]...)
	if r := res[2]; !strings.Contains(r.Error, "line 4") || !strings.Contains(r.Error, "not a JSON object") {
		t.Errorf("broken line: %+v", r)
	}
	if r := res[3]; r.URL != "https://www.example.com/empty" || !strings.Contains(r.Error, "no article text") {
		t.Errorf("empty page: %+v", r)
	}
	if r := res[4]; r.URL != "https://www.example.com/nohtml" || !strings.Contains(r.Error, `no "html" or "html_base64"`) {
		t.Errorf("line without html: %+v", r)
	}

	// The single-page form prints the same object as a --jsonl line (less
	// the url).
	single, errOut, code := runCmd(t, article, nil, "extract", "--url", "https://www.example.com/a/1.html")
	if code != 0 {
		t.Fatalf("single page: exit %d: %s", code, errOut)
	}
	var one result
	if err := json.Unmarshal([]byte(single), &one); err != nil {
		t.Fatal(err)
	}
	one.URL = res[0].URL
	if one != res[0] {
		t.Errorf("single-page output %+v differs from the --jsonl line %+v", one, res[0])
	}
}

// TestReextractCommand runs `reextract` on a real, empty archive: it
// reports what it did and rejects a bad --since.
func TestReextractCommand(t *testing.T) {
	db := storetest.New(t)
	env := []string{"WIREWATCH_DATABASE_URL=" + db.URL}
	out, errOut, code := runCmd(t, "", env, "reextract", "--dry-run")
	if code != 0 || !strings.Contains(out, "re-extracted 0 stored page(s)") || !strings.Contains(out, "dry run") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, "", env, "reextract")
	if code != 0 || !strings.Contains(out, "0 text(s) changed") || !strings.Contains(errOut, "reextract: 0/0 pages") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, errOut, code := runCmd(t, "", env, "reextract", "--since", "yesterday"); code != 2 || !strings.Contains(errOut, "YYYY-MM-DD") {
		t.Errorf("bad --since: exit %d, %q", code, errOut)
	}
}

// TestLinksCommand prints the article links of a GBK listing page, one per
// line, and refuses a missing --url.
func TestLinksCommand(t *testing.T) {
	page := `<html><head><meta charset="gbk"><title>国内</title></head><body>
<ul class="nav"><li><a href="/politics/">时政</a></li><li><a href="/video/index.htm">视频</a></li><li><a href="http://www.example.com/">友情链接</a></li></ul>
<ul class="list">
<li><a href="/politics/2025-03/04/c_1130001.htm">网信办发布数据出境安全评估办法</a></li>
<li><a href="http://www.news.cn/politics/2025-03/04/c_1130002.htm">个人信息保护认证实施规则公布</a></li>
<li><a href="/politics/2025-03/04/c_1130001.htm">网信办发布数据出境安全评估办法</a></li>
</ul></body></html>`
	out, errOut, code := runCmd(t, string(toGBK(t, page)), nil, "links", "--url", "http://www.xinhuanet.com/politics/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "http://www.xinhuanet.com/politics/2025-03/04/c_1130001.htm\nhttp://www.news.cn/politics/2025-03/04/c_1130002.htm\n"
	if out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	out, _, _ = runCmd(t, string(toGBK(t, page)), nil, "links", "-v", "--url", "http://www.xinhuanet.com/politics/")
	if !strings.Contains(out, "\tshape\t网信办发布数据出境安全评估办法") {
		t.Errorf("verbose output %q", out)
	}
	if _, errOut, code := runCmd(t, page, nil, "links"); code != 2 || !strings.Contains(errOut, "--url") {
		t.Errorf("no --url: exit %d, %q", code, errOut)
	}
}
