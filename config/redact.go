package config

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// This file is the one place that decides what of a URL or a setting may be
// printed. Every log line, error, deliveries.error and configuration error
// excerpt that can carry a URL or a setting goes through RedactURL,
// RedactText or redactSecretsIn.

// RedactURL returns what of a URL may be printed: its scheme and host only.
// User info, path and query are replaced by "…" markers, since for Slack- or
// Teams-style webhooks the path is the secret and query values often are.
// A key=value connection string keeps its keys but loses its password. Text
// that is not a URL is printed only when it holds no URL-like character.
func RedactURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") && strings.Contains(raw, "=") {
		return redactKeyValues(raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if strings.ContainsAny(raw, "/@?#:= \t") {
			return redacted
		}
		return raw
	}
	out := u.Scheme + "://"
	if u.User != nil {
		out += "…@"
	}
	out += u.Host
	if u.Path != "" && u.Path != "/" || u.Opaque != "" {
		out += "/…"
	}
	if u.RawQuery != "" || u.ForceQuery {
		out += "?…"
	}
	return out
}

// secretKey reports whether a setting or connection-string key names a secret.
func secretKey(k string) bool {
	k = strings.ToLower(strings.Trim(k, " \t\"'-"))
	for _, s := range []string{"password", "passwd", "pwd", "secret", "token", "apikey", "api_key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

var kvRE = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;,]*)`)

// redactKeyValues hides the values of secret keys in key=value text
// (libpq "host=db password=x", query strings written out).
func redactKeyValues(s string) string {
	return kvRE.ReplaceAllStringFunc(s, func(m string) string {
		k, _, _ := strings.Cut(m, "=")
		if secretKey(k) {
			return strings.TrimSpace(k) + "=" + redacted
		}
		return m
	})
}

var urlInTextRE = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// RedactText hides every URL (down to scheme and host) and every secret
// key=value pair in free text: an error message, a far end's reply.
func RedactText(s string) string {
	s = urlInTextRE.ReplaceAllStringFunc(s, func(m string) string {
		trail := ""
		for strings.HasSuffix(m, ")") || strings.HasSuffix(m, ".") || strings.HasSuffix(m, ",") {
			trail, m = m[len(m)-1:]+trail, m[:len(m)-1]
		}
		return RedactURL(m) + trail
	})
	return redactKeyValues(s)
}

// redactSecretsIn removes secrets from a YAML error excerpt, which quotes
// the lines around the fault with their numbers ("   7 | key: value"). The
// lines holding a secret are found in the whole document, so a block scalar
// (`password: >-` with the value on the next lines) is hidden even when the
// excerpt starts below its key. URLs keep scheme and host only.
func redactSecretsIn(msg string, data []byte) string {
	secretLines := secretLinesOf(data)
	var b strings.Builder
	for line := range strings.SplitSeq(msg, "\n") {
		gutter, body, ok := strings.Cut(line, " | ")
		if ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(gutter), ">")))
			if err == nil && secretLines[n] {
				if k, _, ok := strings.Cut(body, ":"); !ok || !secretKey(lastWord(k)) {
					body = body[:len(body)-len(strings.TrimLeft(body, " "))] + redacted
				}
			}
			line = gutter + " | " + body
		}
		b.WriteString(redactYAMLLine(line))
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// redactYAMLLine hides the value of a secret key on one line (not a block
// scalar's indicator), URLs and key=value passwords.
func redactYAMLLine(line string) string {
	if k, v, ok := strings.Cut(line, ":"); ok && secretKey(lastWord(k)) {
		v = strings.TrimSpace(v)
		if v != "" && !strings.HasPrefix(v, ">") && !strings.HasPrefix(v, "|") {
			return k + ": " + redacted
		}
	}
	return RedactText(line)
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// secretLinesOf returns the 1-based numbers of the lines of a YAML document
// that hold a secret value: a secret key's own line and the lines of a
// block scalar or indented continuation under it.
func secretLinesOf(data []byte) map[int]bool {
	out := map[int]bool{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		k, v, ok := strings.Cut(lines[i], ":")
		if !ok || !secretKey(lastWord(k)) {
			continue
		}
		out[i+1] = true
		v = strings.TrimSpace(v)
		if v != "" && !strings.HasPrefix(v, ">") && !strings.HasPrefix(v, "|") {
			continue
		}
		indent := len(k) - len(strings.TrimLeft(k, " -"))
		for j := i + 1; j < len(lines); j++ {
			t := strings.TrimSpace(lines[j])
			if t != "" && len(lines[j])-len(strings.TrimLeft(lines[j], " ")) <= indent {
				break
			}
			out[j+1] = true
			i = j
		}
	}
	return out
}
