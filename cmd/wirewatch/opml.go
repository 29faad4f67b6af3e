package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	yaml "go.yaml.in/yaml/v3"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/configs"
	"github.com/wirewatch/wirewatch/internal/opml"
	"github.com/wirewatch/wirewatch/model"
)

// runSourcesOPML runs `sources import` and `sources export`.
func runSourcesOPML(_ context.Context, e *env, sub string, args []string) error {
	if sub == "import" {
		return runSourcesImport(e, args)
	}
	return runSourcesExport(e, args)
}

// configuredCatalogue loads the configuration and parses its source
// catalogue; it returns the catalogue file's content and name too.
func configuredCatalogue(g *globalFlags, e *env) (*config.Catalogue, []byte, string, error) {
	cfg, _, err := g.load(e)
	if err != nil {
		return nil, nil, "", err
	}
	data, name, err := catalogueBytes(cfg)
	if err != nil {
		return nil, nil, "", err
	}
	cat, err := config.ParseCatalogue(name, data)
	return cat, data, name, err
}

// catalogueBytes returns the configured catalogue file's content and name.
func catalogueBytes(cfg config.Config) ([]byte, string, error) {
	if cfg.SourcesFile == "" {
		b, err := fs.ReadFile(configs.FS, "sources.yaml")
		return b, "built-in sources.yaml", err
	}
	b, err := os.ReadFile(cfg.SourcesFile)
	if err != nil {
		return nil, "", configError{fmt.Errorf("read source catalogue: %w", err)}
	}
	return b, cfg.SourcesFile, nil
}

// importedSource is a catalogue entry as `sources import` writes it: only
// what an OPML file says, the rest left to the catalogue's defaults.
type importedSource struct {
	Name     string `yaml:"name"`
	Outlet   string `yaml:"outlet"`
	Title    string `yaml:"title,omitempty"`
	Category string `yaml:"category,omitempty"`
	Kind     string `yaml:"kind"`
	URL      string `yaml:"url"`
	Language string `yaml:"language"`
	Interval string `yaml:"interval,omitempty"`
	Notes    string `yaml:"notes,omitempty"`
}

func runSourcesImport(e *env, args []string) error {
	fs, g := e.commandFlags("sources import")
	lang := fs.String("language", "", "language of every imported source, en or zh (default: the outline's language attribute, else zh for a title in Chinese script, else en)")
	interval := fs.Duration("interval", 0, "poll interval of the imported sources (default: the catalogue's, 30m)")
	outlet := fs.String("outlet", "", "outlet of every imported source (default: the feed's title)")
	output := fs.String("output", "", "write the catalogue to this file instead of standard output (it may be the configured sources_file)")
	// (Alike by design: each command states its own usage, then parses, as the other command files do.)
	fs.Usage = usageWith(fs, "Usage: wirewatch sources import [flags] FILE.opml\n\n"+
		"Adds the feeds of an OPML subscription list (Miniflux, FreshRSS, Feedly, … exports) to the\n"+
		"configured source catalogue (sources_file, else the built-in one) and writes the whole\n"+
		"catalogue, comments and site rules kept. Feeds already in it (same URL) are skipped;\n"+
		"what is skipped and why goes to standard error. Folders become the category key.\n")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want one OPML file, got %d arguments", errUsage, fs.NArg())
	}
	if *lang != "" && *lang != "en" && *lang != "zh" {
		return fmt.Errorf("%w: --language must be en or zh, not %q", errUsage, *lang)
	}
	if *interval != 0 && *interval < time.Minute {
		return fmt.Errorf("%w: --interval must be at least 1m", errUsage)
	}
	cat, base, baseName, err := configuredCatalogue(g, e)
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("sources import: %w", err)
	}
	feeds, err := opml.Parse(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("sources import %s: %w", fs.Arg(0), err)
	}

	names, urls := map[string]bool{}, map[string]string{}
	for _, s := range cat.Sources {
		names[s.Name] = true
		urls[s.URL] = s.Name
	}
	var added []importedSource
	skipped := 0
	for _, fd := range feeds {
		u, err := url.Parse(fd.XMLURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fmt.Fprintf(e.stderr, "skipped %q: the feed address %q is not an http(s) URL\n", fd.Title, fd.XMLURL)
			skipped++
			continue
		}
		if have, ok := urls[fd.XMLURL]; ok {
			fmt.Fprintf(e.stderr, "skipped %q: %s is already in the catalogue as %s\n", fd.Title, fd.XMLURL, have)
			skipped++
			continue
		}
		title := strings.TrimSpace(fd.Title)
		if title == "" {
			title = u.Host
		}
		s := importedSource{
			Name:     uniqueName(sourceSlug(title, u), names),
			Outlet:   title,
			Title:    title,
			Category: fd.Category,
			Kind:     string(model.KindFeed),
			URL:      fd.XMLURL,
			Language: importLanguage(*lang, fd.Language, title),
		}
		if *outlet != "" {
			s.Outlet = *outlet
		}
		if *interval != 0 {
			s.Interval = interval.String()
		}
		if fd.HTMLURL != "" {
			s.Notes = "site: " + fd.HTMLURL
		}
		names[s.Name] = true
		urls[s.URL] = s.Name
		added = append(added, s)
	}
	out, err := appendSources(base, added)
	if err != nil {
		return fmt.Errorf("sources import: %w", err)
	}
	// What is written must load: the daemon reads it next.
	if _, err := config.ParseCatalogue("the imported catalogue", out); err != nil {
		return fmt.Errorf("sources import: the result does not load: %w", err)
	}
	if *output == "" {
		if _, err := e.stdout.Write(out); err != nil {
			return fmt.Errorf("sources import: %w", err)
		}
	} else if err := writeFileAtomic(*output, out); err != nil {
		return fmt.Errorf("sources import: %w", err)
	}
	fmt.Fprintf(e.stderr, "imported %d source(s) from %s into %s; skipped %d\n", len(added), fs.Arg(0), baseName, skipped)
	return nil
}

// appendSources adds entries to the sources list of a catalogue document,
// keeping the rest of it (comments included) as it is.
func appendSources(doc []byte, add []importedSource) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	if root.Kind == 0 { // empty document
		root = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the catalogue is not a mapping")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "sources" {
			list = m.Content[i+1]
		}
	}
	if list == nil || list.Tag == "!!null" {
		if list == nil {
			list = &yaml.Node{}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "sources"}, list)
		}
		*list = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("sources is not a list")
	}
	list.Style = 0 // block style, also when it was written []
	for _, s := range add {
		var n yaml.Node
		if err := n.Encode(s); err != nil {
			return nil, err
		}
		list.Content = append(list.Content, &n)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sourceSlug makes a catalogue name from a title (ASCII letters and digits),
// else from the feed's host and path.
func sourceSlug(title string, u *url.URL) string {
	slug := func(s string) string {
		var b strings.Builder
		dash := false
		for _, r := range strings.ToLower(s) {
			if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
				if dash && b.Len() > 0 {
					b.WriteByte('-')
				}
				b.WriteRune(r)
				dash = false
			} else {
				dash = true
			}
		}
		out := b.String()
		if len(out) > 48 {
			out = strings.TrimRight(out[:48], "-")
		}
		return out
	}
	if s := slug(title); len(s) >= 3 {
		return s
	}
	host := strings.TrimPrefix(u.Hostname(), "www.")
	if s := slug(host + " " + strings.TrimSuffix(u.Path, filepath.Ext(u.Path))); s != "" {
		return s
	}
	return "feed"
}

func uniqueName(name string, taken map[string]bool) string {
	if !taken[name] {
		return name
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s-%d", name, i); !taken[n] {
			return n
		}
	}
}

// importLanguage picks en or zh: the flag, else the outline's language
// attribute (zh-CN, en-us, …), else the script of the title.
func importLanguage(flag, attr, title string) string {
	if flag != "" {
		return flag
	}
	switch a := strings.ToLower(attr); {
	case strings.HasPrefix(a, "zh"):
		return "zh"
	case strings.HasPrefix(a, "en"):
		return "en"
	}
	for _, r := range title {
		if unicode.Is(unicode.Han, r) {
			return "zh"
		}
	}
	return "en"
}

// writeFileAtomic replaces path with data (a temporary file renamed over it),
// so that a failed write never leaves half a catalogue.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func runSourcesExport(e *env, args []string) error {
	fs, g := e.commandFlags("sources export")
	format := fs.String("format", "opml", "opml (the feeds, for feed readers) or yaml (the whole catalogue file)")
	// (Alike by design: each command states its own usage, then parses, as the other command files do.)
	fs.Usage = usageWith(fs, "Usage: wirewatch sources export [--format opml|yaml] [--config FILE]\n\n"+
		"Writes the configured source catalogue (sources_file, else the built-in one) to standard\n"+
		"output: as OPML 2.0, the feed sources grouped by category (listing pages are not feeds\n"+
		"and are left out, counted on standard error); as yaml, the catalogue file itself.\n")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *format != "opml" && *format != "yaml" {
		return fmt.Errorf("%w: --format must be opml or yaml, not %q", errUsage, *format)
	}
	cat, data, name, err := configuredCatalogue(g, e)
	if err != nil {
		return err
	}
	if *format == "yaml" {
		_, err := e.stdout.Write(data)
		return err
	}
	var feeds []opml.Feed
	listings := 0
	for _, s := range cat.Sources {
		if s.Kind != string(model.KindFeed) {
			listings++
			continue
		}
		title := s.Title
		if title == "" {
			title = s.Outlet + " (" + s.Name + ")"
		}
		site, _ := strings.CutPrefix(s.Notes, "site: ")
		if site == s.Notes || strings.ContainsAny(site, " \n") {
			site = ""
		}
		feeds = append(feeds, opml.Feed{Title: title, XMLURL: s.URL, HTMLURL: site, Language: s.Language, Category: s.Category})
	}
	if err := opml.Write(e.stdout, "wirewatch sources ("+name+")", time.Now(), feeds); err != nil {
		return err
	}
	if listings > 0 {
		fmt.Fprintf(e.stderr, "exported %d feed(s); left out %d listing page(s), which feed readers cannot read\n", len(feeds), listings)
	}
	return nil
}
