package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"iter"
	"sort"
	"strings"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("completion", "print a shell completion script: completion bash|zsh|fish", runCompletion)
}

// subcommands lists the commands that take a sub-command word first.
var subcommands = map[string][]string{"sources": {"check", "import", "export"}, "alert": {"replay"}}

// fileFlags take a file name as their value.
var fileFlags = map[string]bool{"config": true, "output": true, "sources": true, "cpuprofile": true, "memprofile": true}

// completionEntry is one command line the script completes: the words
// before the flags, and the flags.
type completionEntry struct {
	words   []string // "search", or "sources", "import"
	summary string
	flags   []string // names without dashes
}

// completionEntries asks every command for its flags by running it with -h
// (which parses nothing and touches nothing), so the scripts follow the
// commands as they are.
func completionEntries(ctx context.Context) []completionEntry {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []completionEntry
	for _, n := range names {
		lines := [][]string{{n}}
		for _, sub := range subcommands[n] {
			lines = append(lines, []string{n, sub})
		}
		for _, words := range lines {
			scratch := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
			_ = commands[n].run(ctx, scratch, append(words[1:len(words):len(words)], "-h"))
			var flags []string
			for _, fs := range scratch.flagSets {
				fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f.Name) })
			}
			sort.Strings(flags)
			out = append(out, completionEntry{words: words, summary: commands[n].summary, flags: flags})
		}
	}
	return out
}

func runCompletion(ctx context.Context, e *env, args []string) error {
	fs, _ := e.commandFlags("completion") // accepted like everywhere; the scripts need no configuration
	// (Alike by design: each command states its own usage, then parses, as opml.go and healthcheck.go do.)
	fs.Usage = usageWith(fs, "Usage: wirewatch completion bash|zsh|fish\n\n"+
		"Prints a completion script for commands, sub-commands and flags:\n"+
		"  bash: source <(wirewatch completion bash)     (or save it in /etc/bash_completion.d/wirewatch)\n"+
		"  zsh:  source <(wirewatch completion zsh)      (or save it as _wirewatch in a directory of $fpath)\n"+
		"  fish: wirewatch completion fish > ~/.config/fish/completions/wirewatch.fish\n")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want one shell: bash, zsh or fish", errUsage)
	}
	entries := completionEntries(ctx)
	switch fs.Arg(0) {
	case "bash":
		writeBash(e.stdout, entries)
	case "zsh":
		writeZsh(e.stdout, entries)
	case "fish":
		writeFish(e.stdout, entries)
	default:
		return fmt.Errorf("%w: unknown shell %q (bash, zsh or fish)", errUsage, fs.Arg(0))
	}
	return nil
}

func dashed(flags []string) string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = "--" + f
	}
	return strings.Join(out, " ")
}

func fileFlagPattern() string {
	var out []string
	for f := range fileFlags {
		out = append(out, "--"+f, "-"+f)
	}
	sort.Strings(out)
	return strings.Join(out, "|")
}

func topWords(entries []completionEntry) string {
	var out []string
	for _, en := range entries {
		if len(en.words) == 1 {
			out = append(out, en.words[0])
		}
	}
	return strings.Join(append(out, "help", "--help", "--version"), " ")
}

// commandCases yields each command but help, with the entries of its
// sub-commands (none for a command without any): the cases of the bash and
// zsh scripts.
func commandCases(entries []completionEntry) iter.Seq2[completionEntry, []completionEntry] {
	return func(yield func(completionEntry, []completionEntry) bool) {
		for _, en := range entries {
			if len(en.words) != 1 || en.words[0] == "help" {
				continue
			}
			var subs []completionEntry
			if len(subcommands[en.words[0]]) > 0 {
				for _, sub := range entries {
					if len(sub.words) == 2 && sub.words[0] == en.words[0] {
						subs = append(subs, sub)
					}
				}
			}
			if !yield(en, subs) {
				return
			}
		}
	}
}

func writeBash(w io.Writer, entries []completionEntry) {
	fmt.Fprintf(w, `# bash completion for wirewatch (wirewatch completion bash)
_wirewatch() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts=
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W %q -- "$cur"))
		return
	fi
	case $prev in
	%s)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	case ${COMP_WORDS[1]} in
`, topWords(entries), fileFlagPattern())
	for en, subs := range commandCases(entries) {
		n := en.words[0]
		if len(subs) == 0 {
			fmt.Fprintf(w, "\t%s) opts=%q ;;\n", n, dashed(en.flags))
			continue
		}
		fmt.Fprintf(w, "\t%s)\n\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then opts=%q; else\n\t\tcase ${COMP_WORDS[2]} in\n", n, strings.TrimSpace(strings.Join(subcommands[n], " ")+" "+dashed(en.flags)))
		for _, sub := range subs {
			fmt.Fprintf(w, "\t\t%s) opts=%q ;;\n", sub.words[1], dashed(sub.flags))
		}
		fmt.Fprint(w, "\t\tesac; fi ;;\n")
	}
	fmt.Fprintf(w, "\thelp) opts=%q ;;\n", strings.Join(strings.Fields(topWords(entries))[:len(strings.Fields(topWords(entries)))-3], " "))
	fmt.Fprint(w, `	esac
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F _wirewatch wirewatch
`)
}

// zshQuote quotes s for a single-quoted zsh word.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func writeZsh(w io.Writer, entries []completionEntry) {
	fmt.Fprint(w, "#compdef wirewatch\n# zsh completion for wirewatch (wirewatch completion zsh)\n_wirewatch() {\n\tlocal -a cmds opts\n\tcmds=(\n")
	for _, en := range entries {
		if len(en.words) == 1 {
			fmt.Fprintf(w, "\t\t%s\n", zshQuote(en.words[0]+":"+strings.ReplaceAll(en.summary, ":", `\:`)))
		}
	}
	fmt.Fprint(w, "\t)\n\tif (( CURRENT == 2 )); then\n\t\t_describe command cmds\n\t\tcompadd -- --help --version\n\t\treturn\n\tfi\n")
	fmt.Fprintf(w, "\tcase ${words[CURRENT-1]} in\n\t%s)\n\t\t_files\n\t\treturn ;;\n\tesac\n\tcase ${words[2]} in\n", fileFlagPattern())
	for en, subs := range commandCases(entries) {
		n := en.words[0]
		if len(subs) == 0 {
			fmt.Fprintf(w, "\t%s) opts=(%s) ;;\n", n, dashed(en.flags))
			continue
		}
		fmt.Fprintf(w, "\t%s)\n\t\tif (( CURRENT == 3 )); then\n\t\t\tcompadd -- %s\n\t\t\treturn\n\t\tfi\n\t\tcase ${words[3]} in\n", n, strings.Join(subcommands[n], " "))
		for _, sub := range subs {
			fmt.Fprintf(w, "\t\t%s) opts=(%s) ;;\n", sub.words[1], dashed(sub.flags))
		}
		fmt.Fprint(w, "\t\tesac ;;\n")
	}
	fmt.Fprint(w, "\thelp) _describe command cmds; return ;;\n\tesac\n\tcompadd -- $opts\n\t_files\n}\n")
	fmt.Fprint(w, "if [ \"${funcstack[1]}\" = _wirewatch ]; then\n\t_wirewatch \"$@\"\nelse\n\tcompdef _wirewatch wirewatch\nfi\n")
}

// fishQuote quotes s for a single-quoted fish word.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

func writeFish(w io.Writer, entries []completionEntry) {
	fmt.Fprint(w, "# fish completion for wirewatch (wirewatch completion fish)\ncomplete -c wirewatch -f\n")
	fmt.Fprint(w, "complete -c wirewatch -n __fish_use_subcommand -l help -d 'list the commands'\n")
	fmt.Fprint(w, "complete -c wirewatch -n __fish_use_subcommand -l version -d 'print the version'\n")
	var all []string
	for _, en := range entries {
		if len(en.words) == 1 {
			all = append(all, en.words[0])
			fmt.Fprintf(w, "complete -c wirewatch -n __fish_use_subcommand -a %s -d %s\n", en.words[0], fishQuote(en.summary))
		}
	}
	fmt.Fprintf(w, "complete -c wirewatch -n '__fish_seen_subcommand_from help' -a %s\n", fishQuote(strings.Join(all, " ")))
	for _, en := range entries {
		n := en.words[0]
		cond := "__fish_seen_subcommand_from " + n
		if subs := subcommands[n]; len(subs) > 0 {
			if len(en.words) == 1 {
				fmt.Fprintf(w, "complete -c wirewatch -n %s -a %s\n", fishQuote(cond+"; and not __fish_seen_subcommand_from "+strings.Join(subs, " ")), fishQuote(strings.Join(subs, " ")))
				continue
			}
			cond += "; and __fish_seen_subcommand_from " + en.words[1]
		}
		for _, f := range en.flags {
			extra := ""
			if fileFlags[f] {
				extra = " -r -F"
			}
			fmt.Fprintf(w, "complete -c wirewatch -n %s -l %s%s\n", fishQuote(cond), f, extra)
		}
	}
}
