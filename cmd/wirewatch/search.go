package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/wirewatch/wirewatch/internal/csvsafe"
	"github.com/wirewatch/wirewatch/internal/textwidth"
	"github.com/wirewatch/wirewatch/store"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("search", "full-text search of the archive in English and Chinese", runSearch)
}

const searchUsage = `Usage: wirewatch search [flags] QUERY

Searches the archive: the Chinese part of QUERY as character sequences
(网络安全), the rest in web-search syntax with English stemming ("exact
phrase", or, -exclude). Both parts must match. An empty QUERY ("") lists
the filtered articles newest first. Times are UTC dates (2026-01-31),
RFC 3339 times, or ages such as 36h, 7d, 2w. --sql prints the statement to
run in psql instead (docs/archive.md).

Flags (before or after QUERY):
`

func runSearch(ctx context.Context, e *env, args []string) error {
	// (Alike by design: each command declares its own flags, as every command file does.)
	fs, g := e.commandFlags("search")
	topic := fs.String("topic", "", "only articles classified under this topic id")
	outlet := fs.String("outlet", "", "only this outlet's articles (exact name, e.g. \"Global Times\")")
	lang := fs.String("lang", "", "only articles in this language: zh or en")
	since := fs.String("since", "", "only articles published at or after this time")
	until := fs.String("until", "", "only articles published before this time")
	relevant := fs.Bool("relevant-only", false, "only articles the classifier judged relevant")
	format := fs.String("format", "table", "output: table, json or csv")
	sortBy := fs.String("sort", "rank", "order: rank (best match first) or date (newest first)")
	limit := fs.Int("limit", 20, fmt.Sprintf("at most this many articles (≤ %d)", store.MaxSearchLimit))
	rankWindow := fs.Int("rank-window", store.DefaultRankWindow, fmt.Sprintf("--sort rank ranks the newest this many matches (or --limit, if more; ≤ %d)", store.MaxSearchLimit))
	printSQL := fs.Bool("sql", false, "print the SQL for psql instead of running it")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), searchUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: want one QUERY (quote it), got %d arguments", errUsage, len(pos))
	}
	q := store.SearchQuery{Text: pos[0], Topic: *topic, Outlet: *outlet, RelevantOnly: *relevant, Limit: *limit, RankWindow: *rankWindow}
	switch *lang {
	case "", "zh", "en":
		q.Language = *lang
	default:
		return fmt.Errorf("%w: --lang must be zh or en, not %q", errUsage, *lang)
	}
	switch *sortBy {
	case "rank":
	case "date":
		q.ByDate = true
	default:
		return fmt.Errorf("%w: --sort must be rank or date, not %q", errUsage, *sortBy)
	}
	switch *format {
	case "table", "json", "csv":
	default:
		return fmt.Errorf("%w: --format must be table, json or csv, not %q", errUsage, *format)
	}
	if *limit <= 0 || *limit > store.MaxSearchLimit {
		return fmt.Errorf("%w: --limit must be between 1 and %d", errUsage, store.MaxSearchLimit)
	}
	if *rankWindow <= 0 || *rankWindow > store.MaxSearchLimit {
		return fmt.Errorf("%w: --rank-window must be between 1 and %d", errUsage, store.MaxSearchLimit)
	}
	now := time.Now()
	if q.Since, err = parseWhen(*since, now); err != nil {
		return fmt.Errorf("%w: --since: %v", errUsage, err)
	}
	if q.Until, err = parseWhen(*until, now); err != nil {
		return fmt.Errorf("%w: --until: %v", errUsage, err)
	}

	cfg, logger, err := g.load(e)
	if err != nil {
		return err
	}
	s, err := openStore(ctx, cfg, logger, storeOpen{})
	if err != nil {
		return err
	}
	defer s.Close()
	if *printSQL {
		terms, err := s.ParseSearch(ctx, q.Text)
		if err != nil {
			return err
		}
		sql, args := store.SearchSQL(q, terms)
		if terms.En != "" {
			fmt.Fprintf(e.stdout, "-- %s = wirewatch_en_query(%s)\n", commentSafe(inlineSQL("$1", []any{terms.En})), commentSafe(inlineSQL("$1", []any{q.Text})))
		}
		if terms.Zh != "" {
			fmt.Fprintf(e.stdout, "-- %s = wirewatch_zh_query(%s)\n", commentSafe(inlineSQL("$1", []any{terms.Zh})), commentSafe(inlineSQL("$1", []any{q.Text})))
		}
		fmt.Fprintln(e.stdout, inlineSQL(sql, args)+";")
		return nil
	}
	res, err := s.Search(ctx, q)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if res == nil {
			res = []store.SearchResult{}
		}
		return enc.Encode(res)
	case "csv":
		return writeSearchCSV(e.stdout, res)
	}
	width := 120
	if fd, ok := terminalFd(e.stdout); ok {
		if w, _, err := term.GetSize(fd); err == nil && w > 40 {
			width = w
		}
	}
	writeSearchTable(e.stdout, res, width)
	if len(res) == 0 {
		fmt.Fprintln(e.stderr, "no articles found")
	}
	return nil
}

// parseInterspersed parses flags that may come before or after positional
// arguments (the standard flag package stops at the first positional).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// After "--" (which Parse consumed) everything is positional.
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseWhen reads a time flag: "" (no bound), a date (UTC midnight), a
// month (2026-01), an RFC 3339 time, "2006-01-02 15:04" (UTC), or an age
// before now such as 90m, 36h, 7d or 2w.
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02", "2006-01"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	if n := len(s); n >= 2 {
		if v, err := strconv.Atoi(s[:n-1]); err == nil && v >= 0 {
			switch s[n-1] {
			case 'd':
				return now.Add(-time.Duration(v) * 24 * time.Hour), nil
			case 'w':
				return now.Add(-time.Duration(v) * 7 * 24 * time.Hour), nil
			}
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-01-31), month (2026-01), RFC 3339 time or age (36h, 7d, 2w)", s)
}

// terminalFd returns w's file descriptor when w is a terminal.
func terminalFd(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// commentSafe makes s fit on one "--" comment line: PostgreSQL ends such a
// comment at a newline or carriage return, so every control character is
// shown as \xNN instead (the comment is for reading, not for running).
func commentSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// inlineSQL replaces $n placeholders with SQL literals, for pasting into
// psql. Placeholders are replaced from the highest number down, so $1 does
// not clobber $10.
func inlineSQL(sql string, args []any) string {
	for i := len(args); i >= 1; i-- {
		var lit string
		switch v := args[i-1].(type) {
		case string:
			lit = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case time.Time:
			lit = "'" + v.UTC().Format(time.RFC3339Nano) + "'::timestamptz"
		case int:
			lit = strconv.Itoa(v)
		default:
			lit = fmt.Sprintf("'%v'", v)
		}
		sql = strings.ReplaceAll(sql, "$"+strconv.Itoa(i), lit)
	}
	return sql
}

func writeSearchCSV(w io.Writer, res []store.SearchResult) error {
	cw := csvsafe.NewWriter(w)
	_ = cw.Write([]string{"id", "published_at", "outlet", "language", "score", "rank", "topics", "title", "url", "snippet"})
	for _, r := range res {
		score := ""
		if r.Score != nil {
			score = strconv.FormatFloat(float64(*r.Score), 'f', 3, 32)
		}
		_ = cw.Write([]string{strconv.FormatInt(r.ID, 10), r.Published.UTC().Format(time.RFC3339), r.Outlet, r.Language,
			score, strconv.FormatFloat(float64(r.Rank), 'f', 4, 32), strings.Join(r.Topics, ";"), r.Title, r.URL, r.Snippet})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("search: write csv: %w", err)
	}
	return nil
}

// writeSearchTable prints results as aligned columns fitting width display
// cells; Chinese characters take two cells. The title column takes what is
// left and is cut with "…"; the URL goes on a second, indented line.
func writeSearchTable(w io.Writer, res []store.SearchResult, width int) {
	head := []string{"#", "PUBLISHED", "OUTLET", "LANG", "SCORE", "TOPICS", "TITLE"}
	rows := make([][]string, 0, len(res))
	for i, r := range res {
		score := "-"
		if r.Score != nil {
			score = strconv.FormatFloat(float64(*r.Score), 'f', 2, 32)
		}
		title := r.Title
		if r.RemovedAt != nil {
			title = "[removed] " + title
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), r.Published.UTC().Format("2006-01-02"), clip(r.Outlet, 18),
			r.Language, score, clip(strings.Join(r.Topics, ","), 24), title})
	}
	widths := make([]int, len(head))
	for i, h := range head {
		widths[i] = textwidth.String(h)
	}
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], textwidth.String(c))
		}
	}
	used := 0
	for _, wd := range widths[:len(widths)-1] {
		used += wd + 2
	}
	widths[len(widths)-1] = max(10, min(widths[len(widths)-1], width-used))
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			c = clip(c, widths[i])
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-textwidth.String(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(head)
	for i, row := range rows {
		line(row)
		fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", widths[0]+2), clip(res[i].URL, max(20, width-widths[0]-2)))
	}
}

// clip cuts s to at most cells display cells, ending in "…" when cut, and
// flattens whitespace (titles may carry newlines).
func clip(s string, cells int) string {
	s = strings.Join(strings.Fields(s), " ")
	if textwidth.String(s) <= cells {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		c := textwidth.Rune(r)
		if n+c > cells-1 {
			break
		}
		b.WriteRune(r)
		n += c
	}
	return b.String() + "…"
}
