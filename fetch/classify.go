package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Response classes: what a page that is not content is.
var (
	// ErrBlocked means the site refused us: 403 or 451, or a page saying
	// access from our region or address is denied.
	ErrBlocked = errors.New("blocked by the site")
	// ErrChallenge means the site answered with an anti-bot challenge
	// instead of content: 412 or 521 (JavaScript cookie checks), or a small
	// page asking for JavaScript, a captcha or a verification.
	ErrChallenge = errors.New("anti-bot challenge")
)

// PageError is a response classified as blocked or a challenge. Such a
// response is never parsed or stored as content.
type PageError struct {
	// Class is ErrBlocked or ErrChallenge.
	Class error
	// Status is the HTTP status of the response.
	Status int
	// Reason says what gave the class away, for operators.
	Reason string
}

// Error implements error.
func (e *PageError) Error() string {
	return fmt.Sprintf("%v: HTTP %d, %s", e.Class, e.Status, e.Reason)
}

// Unwrap lets errors.Is match the class.
func (e *PageError) Unwrap() error { return e.Class }

// HTTPStatus returns the HTTP status carried by err (a *StatusError or a
// *PageError), or 0.
func HTTPStatus(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	var pe *PageError
	if errors.As(err, &pe) {
		return pe.Status
	}
	return 0
}

// statusClass names the class a status code suggests ("" for none).
func responseClass(status int) string {
	switch status {
	case http.StatusForbidden, http.StatusUnavailableForLegalReasons:
		return "blocked"
	case http.StatusPreconditionFailed, 521:
		// 412 and 521 are what the JavaScript cookie checks of Chinese
		// CDNs and WAFs (Jiasule, Ruishu, Aliyun) answer a first visit with.
		return "challenge"
	}
	return ""
}

// classifyStatus classifies a 403/451/412/521 response from the start of
// its body.
func classifyStatus(status int, head []byte) error {
	if responseClass(status) == "challenge" {
		reason := "status " + http.StatusText(status)
		if status == 521 {
			reason = "status 521 (a CDN's JavaScript cookie check)"
		}
		if m := challengeMarker(head); m != "" {
			reason += ", page asks for " + m
		}
		return &PageError{Class: ErrChallenge, Status: status, Reason: reason}
	}
	if m := challengeMarker(head); m != "" {
		return &PageError{Class: ErrChallenge, Status: status, Reason: "page asks for " + m}
	}
	reason := "access refused"
	if status == http.StatusUnavailableForLegalReasons {
		reason = "unavailable for legal reasons"
	}
	if m := geoMarker(head); m != "" {
		reason += " (" + m + ")"
	}
	return &PageError{Class: ErrBlocked, Status: status, Reason: reason}
}

// Visible-text limits under which a 2xx page with a marker is taken for a
// challenge or block page rather than an article that mentions the words.
const (
	// challengeCookieText: a page that sets a cookie from a script and has
	// less visible text than this is a JavaScript cookie check.
	challengeCookieText = 300
	// challengePhraseText: a page naming a verification or captcha with
	// less visible text than this asks for it rather than reports on it.
	challengePhraseText = 600
)

// classifyPage returns a *PageError when a 2xx HTML body of at most maxBytes
// bytes is a challenge or a block page. Feeds, JSON and large pages are
// never classified: an article about 验证码 stays an article.
func classifyPage(status int, contentType string, body []byte, maxBytes int) error {
	if maxBytes <= 0 || len(body) > maxBytes || !looksHTML(contentType, body) {
		return nil
	}
	text, scripts, long := visibleText(body, max(challengeCookieText, challengePhraseText))
	if long {
		return nil // too much text for any of the checks below
	}
	n := utf8.RuneCountInString(text)
	low := strings.ToLower(scripts)
	if n < challengeCookieText && strings.Contains(low, "document.cookie") {
		return &PageError{Class: ErrChallenge, Status: status, Reason: "a small page that sets its cookie in JavaScript"}
	}
	if n < challengePhraseText {
		if m := challengeMarker([]byte(text + " " + scripts)); m != "" {
			return &PageError{Class: ErrChallenge, Status: status, Reason: "a small page asking for " + m}
		}
		if m := geoMarker([]byte(text)); m != "" {
			return &PageError{Class: ErrBlocked, Status: status, Reason: "a small page saying " + m}
		}
	}
	return nil
}

// looksHTML reports whether a body is an HTML page (not a feed or JSON).
func looksHTML(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "html") {
		return true
	}
	if ct != "" && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/octet-stream") {
		return false
	}
	head := bytes.ToLower(bytes.TrimSpace(body[:min(len(body), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) || bytes.Contains(head, []byte("<script"))
}

// challengeMarkers are words of anti-bot pages, in the order checked.
var challengeMarkers = []struct{ needle, says string }{
	{"访问频繁", "访问频繁 (too many visits)"},
	{"安全验证", "安全验证 (security verification)"},
	{"验证码", "验证码 (a verification code)"},
	{"人机验证", "人机验证 (a human check)"},
	{"滑动验证", "滑动验证 (a slider check)"},
	{"请开启javascript", "JavaScript"},
	{"enable javascript", "JavaScript"},
	{"javascript is required", "JavaScript"},
	{"captcha", "a captcha"},
	{"__jsl_clearance", "a Jiasule clearance cookie"},
	{"acw_sc__v2", "an Aliyun WAF cookie"},
	{"document.cookie", "a cookie set in JavaScript"},
}

func challengeMarker(b []byte) string {
	low := strings.ToLower(string(b))
	for _, m := range challengeMarkers {
		if strings.Contains(low, m.needle) {
			return m.says
		}
	}
	return ""
}

// geoMarkers are words of block pages.
var geoMarkers = []string{
	"not available in your region", "not available in your country", "access denied", "access to this page has been denied",
	"您的访问被拒绝", "访问被拒绝", "禁止访问", "您所在的地区", "无权访问",
}

func geoMarker(b []byte) string {
	low := strings.ToLower(string(b))
	for _, m := range geoMarkers {
		if strings.Contains(low, m) {
			return "“" + m + "”"
		}
	}
	return ""
}

// visibleText returns a page's text outside script and style, with its
// white space collapsed, and the contents of its scripts. It stops early,
// with long true, once that text holds limit runes: a page of that much
// text is no challenge page, and reading the rest of it would be wasted.
func visibleText(body []byte, limit int) (text, scripts string, long bool) {
	var t, s strings.Builder
	var count collapsedCount
	z := html.NewTokenizer(bytes.NewReader(body))
	var in atom.Atom
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(t.String()), " "), s.String(), false
		case html.StartTagToken:
			name, _ := z.TagName()
			if a := atom.Lookup(name); a == atom.Script || a == atom.Style || a == atom.Noscript {
				in = a
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if atom.Lookup(name) == in {
				in = 0
			}
		case html.TextToken:
			switch in {
			case atom.Script:
				s.Write(z.Text())
			case atom.Style:
			default:
				// Noscript text ("please enable JavaScript") counts
				// as visible: it is what a plain client is shown.
				text := z.Text()
				t.Write(text)
				t.WriteByte(' ')
				if count.add(text); count.runes() >= limit {
					return "", "", true
				}
			}
		}
	}
}

// collapsedCount counts the runes of text written in pieces as they will
// be once its white space is collapsed (strings.Fields joined by single
// spaces): the words' runes and one space between each two words. A
// piece ends a word.
type collapsedCount struct {
	letters, words int
}

func (c *collapsedCount) add(piece []byte) {
	inWord := false
	for _, r := range string(piece) {
		if unicode.IsSpace(r) {
			inWord = false
			continue
		}
		if !inWord {
			c.words++
			inWord = true
		}
		c.letters++
	}
}

func (c *collapsedCount) runes() int { return c.letters + max(c.words-1, 0) }
