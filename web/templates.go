package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/wirewatch/wirewatch/fetch/urlnorm"
	"github.com/wirewatch/wirewatch/store"
)

// pageNames are the templates/*.html files besides the layout.
var pageNames = []string{"search", "article", "revisions", "changes", "sources", "deliveries", "error"}

// parsePages parses each page together with the layout. No template
// function returns template.HTML: every value reaching a page is escaped
// by html/template for where it lands.
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"when":     when,
		"whenp":    whenp,
		"score":    func(f float64) string { return fmt.Sprintf("%.2f", f) },
		"scorep":   scorep,
		"weight":   func(f float64) string { return fmt.Sprintf("%+.2f", f) },
		"share":    share,
		"host":     host,
		"relevant": relevantLabel,
		"lang":     langName,
		"join":     strings.Join,
	}
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

const timeLayout = "2006-01-02 15:04 UTC"

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(timeLayout)
}

func whenp(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return when(*t)
}

func scorep(f *float32) string {
	if f == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f", *f)
}

func share(s store.SourceStatus) string {
	v, ok := s.RelevantShare()
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

// host is the host a link leads to, or the link itself when it has none.
func host(raw string) string {
	if h := urlnorm.Host(raw); h != "" {
		return h
	}
	return raw
}

func relevantLabel(b *bool) string {
	switch {
	case b == nil:
		return "not classified"
	case *b:
		return "relevant"
	default:
		return "not relevant"
	}
}

func langName(code string) string {
	switch {
	case code == "en" || strings.HasPrefix(code, "en-"):
		return "English"
	case code == "zh" || strings.HasPrefix(code, "zh-"):
		return "Chinese"
	case code == "":
		return "unknown language"
	}
	return code
}
