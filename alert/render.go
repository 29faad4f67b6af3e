package alert

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/internal/textwidth"
	"github.com/wirewatch/wirewatch/model"
)

// Digest is the content of one digest message.
type Digest struct {
	// Subscriber is the recipient's name.
	Subscriber string
	// Location is the subscriber's time zone; times are shown in it.
	Location *time.Location
	// PeriodStart and PeriodEnd bound the digest (PeriodStart may be zero).
	PeriodStart, PeriodEnd time.Time
	// Items are the articles, in any order.
	Items []Item
	// MaxHTML is the most bytes the HTML part may take as the reader
	// receives it, with CRLF line ends (mail clients clip or blank longer
	// messages); 0 means config.DefaultDigestMaxHTML.
	MaxHTML int
	// FullPerTopic is how many of each topic's best items are shown in
	// full; the rest are title lines. 0 means
	// config.DefaultDigestFullPerTopic.
	FullPerTopic int
	// TopicOrder lists topic ids in taxonomy order: topic sections follow
	// it (topics not in it come after, best first). Nil orders sections by
	// their best item.
	TopicOrder []string
	// Burst marks a burst of immediate alerts folded into one message
	// rather than a scheduled digest.
	Burst bool
	// ArchiveHint tells the reader where the items left out are (a search
	// command or an archive link); "" gives a generic one.
	ArchiveHint string
}

// Group is the items of one topic, best first: Items in full, then Lines
// as title lines; Total counts the topic's items, including those left out
// of the message.
type Group struct {
	Topic TopicScore
	Items []Item
	Lines []Item
	Total int
}

// Count is one line of a summary table.
type Count struct {
	Name string
	N    int
}

// Rendered is a message ready for the mail client.
type Rendered struct {
	// Subject has no CR, LF or other control characters.
	Subject string
	HTML    string
	Text    string
}

//go:embed templates/message.html.tmpl
var htmlTemplateText string

// renderer renders digests and alerts. It is safe for concurrent use.
type renderer struct {
	html *template.Template
}

func newRenderer() *renderer {
	return &renderer{html: template.Must(template.New("message").Parse(htmlTemplateText))}
}

// htmlView is what the HTML template sees.
type htmlView struct {
	Title     string // the <title> and heading
	Preheader string // the preview line mail clients show
	Intro     string
	Digest    bool
	Total     int
	ByTopic   []Count
	ByOutlet  []Count
	Groups    []Group
	Loc       *time.Location
	Footer    string
	// More is how many items the budget left out; MoreHint where to find
	// them.
	More     int
	MoreHint string
}

// groups sorts items into topic groups: each item under its best topic;
// groups in taxonomy order (order; those not in it after, by their best
// item), items by score then time.
func groups(items []Item, taxonomy []string) []Group {
	byID := map[string]*Group{}
	var order []*Group
	for _, it := range items {
		t := it.PrimaryTopic()
		g := byID[t.ID]
		if g == nil {
			g = &Group{Topic: TopicScore{ID: t.ID, Label: t.Label}}
			byID[t.ID] = g
			order = append(order, g)
		}
		g.Items = append(g.Items, it)
	}
	for _, g := range order {
		slices.SortStableFunc(g.Items, func(a, b Item) int {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			if c := b.PublishedAt.Compare(a.PublishedAt); c != 0 {
				return c
			}
			return cmp.Compare(a.ArticleID, b.ArticleID)
		})
		g.Topic.Score = g.Items[0].Score
	}
	rank := func(id string) int {
		if i := slices.Index(taxonomy, id); i >= 0 {
			return i
		}
		return len(taxonomy)
	}
	slices.SortStableFunc(order, func(a, b *Group) int {
		if c := cmp.Compare(rank(a.Topic.ID), rank(b.Topic.ID)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Topic.Score, a.Topic.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Topic.Label, b.Topic.Label)
	})
	out := make([]Group, len(order))
	for i, g := range order {
		out[i] = *g
		out[i].Total = len(g.Items)
	}
	return out
}

func counts(items []Item, key func(Item) string) []Count {
	m := map[string]int{}
	for _, it := range items {
		m[key(it)]++
	}
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Name: k, N: n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

func countEvents(items []Item) (fresh, updates int) {
	for _, it := range items {
		if it.Event == model.EventNew || it.Event == "" {
			fresh++
		} else {
			updates++
		}
	}
	return fresh, updates
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// digestSubject is "wirewatch: 14 new cyber-policy articles, 23 Nov 2026".
func digestSubject(d Digest) string {
	fresh, updates := countEvents(d.Items)
	var what string
	switch {
	case len(d.Items) == 0:
		what = "no new cyber-policy articles"
	case updates == 0:
		what = plural(fresh, "new cyber-policy article", "new cyber-policy articles")
	case fresh == 0:
		what = plural(updates, "update to cyber-policy articles", "updates to cyber-policy articles")
	default:
		what = plural(fresh, "new cyber-policy article", "new cyber-policy articles") + " and " + plural(updates, "update", "updates")
	}
	if d.Burst {
		return headerSafe("wirewatch: " + what + " at once, " + d.PeriodEnd.In(d.Location).Format("2 Jan 15:04"))
	}
	return headerSafe("wirewatch: " + what + ", " + d.PeriodEnd.In(d.Location).Format("2 Jan 2006"))
}

// alertSubject is "wirewatch: <title>", marked for updates and removals.
func alertSubject(it Item) string {
	prefix := "wirewatch: "
	switch {
	case it.Event == model.EventRemoved || it.Removed:
		prefix = "wirewatch [removed]: "
	case it.Event == model.EventChanged:
		prefix = "wirewatch [updated]: "
	}
	return headerSafe(prefix + truncateRunes(it.Title, 140))
}

// headerSafe strips everything that could end or fold a header line.
func headerSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// RenderDigest renders a digest: subject, HTML part and text part.
func (r *renderer) RenderDigest(d Digest) (Rendered, error) {
	if d.Location == nil {
		d.Location = time.UTC
	}
	fresh, updates := countEvents(d.Items)
	day := d.PeriodEnd.In(d.Location).Format("Monday 2 January 2006")
	v := htmlView{
		Title:    "wirewatch digest, " + day,
		Digest:   true,
		Total:    len(d.Items),
		ByTopic:  counts(d.Items, func(it Item) string { return it.PrimaryTopic().Label }),
		ByOutlet: counts(d.Items, func(it Item) string { return cmp.Or(it.Outlet, "unknown outlet") }),
		Groups:   groups(d.Items, d.TopicOrder),
		Loc:      d.Location,
		Footer:   fmt.Sprintf("Sent by wirewatch to %s. Times are %s.", d.Subscriber, zoneName(d.Location, d.PeriodEnd)),
	}
	switch {
	case len(d.Items) == 0:
		v.Intro = "Nothing new since the last digest."
	case updates == 0:
		v.Intro = plural(fresh, "new cyber-policy article", "new cyber-policy articles") + "."
	default:
		v.Intro = plural(fresh, "new cyber-policy article", "new cyber-policy articles") + " and " + plural(updates, "update", "updates") + "."
	}
	if d.Burst {
		v.Title = "wirewatch alerts, " + d.PeriodEnd.In(d.Location).Format("2 January 2006 15:04")
		v.Intro = plural(len(d.Items), "cyber-policy article", "cyber-policy articles") + " arrived within a minute; they are listed in one message rather than one each."
	} else if !d.PeriodStart.IsZero() && d.PeriodStart.Before(d.PeriodEnd) {
		v.Intro += " " + periodText(d)
	}
	v.Preheader = v.Intro
	if len(v.ByTopic) > 0 {
		var parts []string
		for _, c := range v.ByTopic {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.N))
		}
		v.Preheader += " " + strings.Join(parts, ", ")
	}
	html, err := r.fitDigest(d, &v)
	if err != nil {
		return Rendered{}, fmt.Errorf("alert: render digest for %s: %w", d.Subscriber, err)
	}
	return Rendered{Subject: digestSubject(d), HTML: html, Text: digestText(d, v)}, nil
}

// fitDigest renders the digest within its HTML budget: each topic's
// FullPerTopic best items in full and the rest as title lines; when that
// is still too long, fewer title lines (the same share of every topic),
// then fewer full items, and a line saying how many were left out and
// where to find them. v.Groups is left as rendered.
func (r *renderer) fitDigest(d Digest, v *htmlView) (string, error) {
	maxHTML := cmp.Or(d.MaxHTML, config.DefaultDigestMaxHTML)
	full := cmp.Or(d.FullPerTopic, config.DefaultDigestFullPerTopic)
	all := v.Groups
	render := func(full, lines int) (string, error) {
		v.Groups, v.More = cutGroups(all, full, lines)
		v.MoreHint = ""
		if v.More > 0 {
			v.MoreHint = cmp.Or(d.ArchiveHint, archiveHint(d))
		}
		var b bytes.Buffer
		err := r.html.Execute(&b, v)
		return b.String(), err
	}
	most := 0
	for _, g := range all {
		most = max(most, len(g.Items))
	}
	out, err := render(full, most)
	if err != nil || receivedLen(out) <= maxHTML {
		return out, err
	}
	// The most title lines per topic that fit (binary search), with full
	// items cut down to one per topic if even no title lines do not fit.
	for ; full >= 1; full-- {
		if out, err = render(full, 0); err != nil {
			return "", err
		}
		if receivedLen(out) <= maxHTML {
			break
		}
	}
	full = max(full, 1)
	lo, hi := 0, most
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if out, err = render(full, mid); err != nil {
			return "", err
		}
		if receivedLen(out) <= maxHTML {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return render(full, lo)
}

// receivedLen is the size of an HTML part as the reader receives it: a
// message's lines end in CRLF (RFC 5322), so every LF the template wrote
// arrives as two bytes.
func receivedLen(html string) int {
	return len(html) + strings.Count(html, "\n") - strings.Count(html, "\r\n")
}

// archiveHint is the command that lists a digest's period in the archive.
func archiveHint(d Digest) string {
	since := d.PeriodStart
	if since.IsZero() {
		since = d.PeriodEnd.AddDate(0, 0, -1)
	}
	return "see the archive: wirewatch export --relevant-only --format csv --since " + since.UTC().Format(time.RFC3339)
}

// cutGroups keeps each group's first full items in full and the next
// lines as title lines, and returns how many items were left out.
func cutGroups(all []Group, full, lines int) ([]Group, int) {
	out := make([]Group, len(all))
	more := 0
	for i, g := range all {
		n := len(g.Items)
		f := min(full, n)
		l := min(lines, n-f)
		out[i] = Group{Topic: g.Topic, Items: g.Items[:f], Lines: g.Items[f : f+l], Total: n}
		more += n - f - l
	}
	return out, more
}

// RenderAlert renders an immediate alert: one item, the same content as a
// digest entry.
func (r *renderer) RenderAlert(subscriber string, loc *time.Location, it Item) (Rendered, error) {
	if loc == nil {
		loc = time.UTC
	}
	v := htmlView{
		Title:     alertSubject(it),
		Preheader: cmp.Or(it.Excerpt, it.Title),
		Total:     1,
		Groups:    []Group{{Topic: it.PrimaryTopic(), Items: []Item{it}}},
		Loc:       loc,
		Footer:    fmt.Sprintf("Sent by wirewatch to %s. Times are %s.", subscriber, zoneName(loc, it.PublishedAt)),
	}
	switch it.Event {
	case model.EventChanged:
		v.Intro = "An article you were alerted to has changed."
	case model.EventRemoved:
		v.Intro = "An article you were alerted to was removed by the outlet."
	default:
		v.Intro = "A new cyber-policy article."
	}
	var b bytes.Buffer
	if err := r.html.Execute(&b, v); err != nil {
		return Rendered{}, fmt.Errorf("alert: render alert for %s: %w", subscriber, err)
	}
	var t strings.Builder
	t.WriteString(v.Intro + "\n\n")
	writeTextItem(&t, it, loc)
	t.WriteString("-- \n" + wrap(v.Footer, 72, "") + "\n")
	return Rendered{Subject: alertSubject(it), HTML: b.String(), Text: t.String()}, nil
}

func periodText(d Digest) string {
	const layout = "2 Jan 15:04"
	return fmt.Sprintf("From %s to %s.", d.PeriodStart.In(d.Location).Format(layout), d.PeriodEnd.In(d.Location).Format(layout))
}

func zoneName(loc *time.Location, t time.Time) string {
	name := loc.String()
	abbr, _ := t.In(loc).Zone()
	if name == "UTC" || name == "Local" || name == abbr {
		return abbr
	}
	return fmt.Sprintf("%s (%s)", name, abbr)
}

// formatTime is how times appear in messages.
func formatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// Methods the template calls.

// When formats the published time in the zone.
func (v htmlView) When(it Item) string { return formatTime(it.PublishedAt, v.Loc) }

// secondaryTopicMin is the score from which a topic other than the
// decisive one is shown on an item.
const secondaryTopicMin = 0.5

// ShownTopics are the topics a message shows for an item: the decisive
// (best) one, and others only when they score secondaryTopicMin or more.
func (it Item) ShownTopics() []TopicScore {
	var out []TopicScore
	for i, t := range it.Topics {
		if i == 0 || t.Score >= secondaryTopicMin-1e-9 {
			out = append(out, t)
		}
	}
	return out
}

// LanguageName names the item's language for the reader.
func (it Item) LanguageName() string {
	switch strings.ToLower(it.Language) {
	case "en":
		return "English"
	case "zh", "zh-cn", "zh-hans":
		return "Chinese"
	case "zh-tw", "zh-hk", "zh-hant":
		return "Chinese (traditional)"
	case "":
		return "language unknown"
	}
	return it.Language
}

// Meta is the item's line under its title: outlet, language and the
// publication time in the reader's zone.
func (it Item) Meta(loc *time.Location) string {
	return cmp.Or(it.Outlet, "unknown outlet") + " · " + it.LanguageName() + " · " + formatTime(it.PublishedAt, loc)
}

// AlsoLine names the other outlets that carried the item's story, or "".
func (it Item) AlsoLine() string {
	if len(it.AlsoCarriedBy) == 0 {
		return ""
	}
	return "also carried by: " + strings.Join(it.AlsoCarriedBy, ", ")
}

// Meta is Item.Meta in the view's zone (for the template).
func (v htmlView) Meta(it Item) string { return it.Meta(v.Loc) }

// TopicLine lists an item's shown topics with scores.
func (it Item) TopicLine() string {
	var parts []string
	for _, t := range it.ShownTopics() {
		parts = append(parts, fmt.Sprintf("%s %.2f", t.Label, t.Score))
	}
	return strings.Join(parts, " · ")
}

func digestText(d Digest, v htmlView) string {
	var b strings.Builder
	b.WriteString(wrap(v.Title, 72, "") + "\n")
	b.WriteString(strings.Repeat("=", min(72, utf8.RuneCountInString(v.Title))) + "\n\n")
	b.WriteString(wrap(v.Intro, 72, "") + "\n\n")
	if len(d.Items) > 0 {
		b.WriteString("By topic:\n")
		for _, c := range v.ByTopic {
			b.WriteString(fmt.Sprintf("%3d  ", c.N) + wrap(c.Name, 67, "     ") + "\n")
		}
		b.WriteString("By outlet:\n")
		for _, c := range v.ByOutlet {
			b.WriteString(fmt.Sprintf("%3d  ", c.N) + wrap(c.Name, 67, "     ") + "\n")
		}
		b.WriteString("\n")
	}
	for _, g := range v.Groups {
		head := fmt.Sprintf("%s (%d)", g.Topic.Label, g.Total)
		b.WriteString(wrap(head, 72, "") + "\n")
		b.WriteString(strings.Repeat("-", min(72, textwidth.String(head))) + "\n\n")
		for _, it := range g.Items {
			writeTextItem(&b, it, d.Location)
		}
		if len(g.Lines) > 0 {
			b.WriteString("Also:\n")
			for _, it := range g.Lines {
				b.WriteString(wrap("- "+it.Title+" ("+it.Meta(d.Location)+")", 72, "  ") + "\n")
				if al := it.AlsoLine(); al != "" {
					b.WriteString(wrap("  "+al, 72, "  ") + "\n")
				}
				if u := it.SafeURL(); u != "" {
					b.WriteString("  " + u + "\n")
				}
			}
			b.WriteString("\n")
		}
	}
	if v.More > 0 {
		b.WriteString(wrap(fmt.Sprintf("and %d more — %s", v.More, v.MoreHint), 72, "") + "\n\n")
	}
	b.WriteString("-- \n" + wrap(v.Footer, 72, "") + "\n")
	return b.String()
}

func writeTextItem(b *strings.Builder, it Item, loc *time.Location) {
	var flags []string
	switch it.Event {
	case model.EventChanged:
		flags = append(flags, "UPDATED")
	case model.EventRemoved:
		flags = append(flags, "REMOVED")
	}
	if it.Edited && it.Event != model.EventChanged {
		flags = append(flags, "edited since first seen")
	}
	if it.Removed && it.Event != model.EventRemoved {
		flags = append(flags, "removed by the outlet")
	}
	if it.SummaryOnly {
		flags = append(flags, "summary only")
	}
	title := it.Title
	if len(flags) > 0 {
		title = "[" + strings.Join(flags, ", ") + "] " + title
	}
	b.WriteString(wrap("* "+title, 72, "  ") + "\n")
	if u := it.SafeURL(); u != "" {
		b.WriteString("  " + u + "\n")
	}
	b.WriteString(wrap("  "+it.Meta(loc), 72, "  ") + "\n")
	if al := it.AlsoLine(); al != "" {
		b.WriteString(wrap("  "+al, 72, "  ") + "\n")
	}
	if tl := it.TopicLine(); tl != "" {
		b.WriteString(wrap("  Topics: "+tl, 72, "    ") + "\n")
	}
	if it.Excerpt != "" {
		var ex strings.Builder
		for _, s := range it.Segments() {
			if s.Mark {
				ex.WriteString("*" + s.Text + "*")
			} else {
				ex.WriteString(s.Text)
			}
		}
		b.WriteString(wrap("  > "+ex.String(), 72, "  > ") + "\n")
	}
	b.WriteString("\n")
}

// wrap folds s to width columns, breaking at spaces (or between wide
// characters), and indents continuation lines with indent. Leading spaces of
// s are kept; a word longer than a line (a URL) stays whole.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	lead := len(s) - len(strings.TrimLeft(s, " "))
	b.WriteString(s[:lead])
	col := lead
	lineStart := true
	space := false
	iw := textwidth.String(indent)
	for _, tok := range tokens(s[lead:]) {
		if tok == " " {
			space = !lineStart
			continue
		}
		w := textwidth.String(tok)
		sp := 0
		if space {
			sp = 1
		}
		if !lineStart && col+sp+w > width {
			b.WriteString("\n" + indent)
			col = iw
		} else if space {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(tok)
		col += w
		lineStart = false
		space = false
	}
	return b.String()
}

// tokens splits text into words, single spaces and single wide characters.
func tokens(s string) []string {
	var out []string
	var cur strings.Builder
	// (Alike by design: a word splitter of its own; alert/story.go splits for fingerprints
	// with other rules.)
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			flush()
			if len(out) == 0 || out[len(out)-1] != " " {
				out = append(out, " ")
			}
		case textwidth.Rune(r) == 2:
			flush()
			out = append(out, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}
