// Command wirewatch watches state media for cyber-policy articles: it polls
// feeds and listing pages, extracts and classifies articles, archives them
// in PostgreSQL and alerts subscribers. See the README for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/wirewatch/wirewatch/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

// command is one subcommand. run gets the process environment and the
// arguments after the subcommand's name.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// commands is filled by each command file's init; it is the command table,
// not configuration.
var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, env *env, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// env is what a command may use: the standard streams and the environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string
	// flagSets are the FlagSets the command made (for completion scripts).
	flagSets []*flag.FlagSet
}

// Exit statuses, the same for every command (README, "Exit status").
const (
	exitOK      = 0 // done
	exitFailure = 1 // the work failed: network, database, bad input data
	exitUsage   = 2 // the command line is wrong
	exitConfig  = 3 // the configuration (file, environment, catalogue) is wrong
)

// errUsage marks a command-line mistake (exit status 2).
var errUsage = errors.New("usage")

// configError marks a configuration problem (exit status 3): the file, the
// environment or a file the configuration names.
type configError struct{ err error }

func (c configError) Error() string { return c.err.Error() }
func (c configError) Unwrap() error { return c.err }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, environ: environ}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help":
		usage(stdout)
		return exitOK
	case "--version", "-version":
		args = append([]string{"version"}, args[1:]...)
	case "help":
		// help CMD is CMD -h; help alone is --help.
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		if _, ok := commands[args[1]]; !ok {
			fmt.Fprintf(stderr, "wirewatch help: unknown command %q\n\n", args[1])
			usage(stderr)
			return exitUsage
		}
		args = append([]string{args[1], "-h"}, args[2:]...)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wirewatch: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return exitCode(e, args[0], cmd.run(ctx, e, args[1:]))
}

// exitCode reports err and maps it to the exit status.
func exitCode(e *env, name string, err error) int {
	var ce configError
	var cfgErr *config.Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case isFlagError(err):
		return exitUsage // the flag package has printed the error and the usage
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "wirewatch %s: %v\n", name, err)
		return exitUsage
	case errors.As(err, &ce), errors.As(err, &cfgErr):
		fmt.Fprintf(e.stderr, "wirewatch %s: %v\n", name, err)
		return exitConfig
	default:
		fmt.Fprintf(e.stderr, "wirewatch %s: %v\n", name, err)
		return exitFailure
	}
}

// isFlagError reports whether err is the flag package's complaint about the
// command line, which it has already printed with the usage. The package
// gives these errors no type, so they are known by their fixed wording
// (flag.FlagSet.parseOne and failf).
func isFlagError(err error) bool {
	msg := err.Error()
	for _, p := range []string{
		"flag provided but not defined: ", "bad flag syntax: ", "flag needs an argument: ",
		"invalid value ", "invalid boolean value ", "invalid boolean flag ",
	} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "wirewatch watches state media for cyber-policy articles.")
	fmt.Fprintln(w, "\nUsage: wirewatch <command> [flags]   (wirewatch help <command>, or <command> -h, for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --config FILE. wirewatch --version prints the version.")
	fmt.Fprintln(w, "Exit status: 0 done, 1 failure, 2 usage error, 3 configuration error.")
}

// newFlags makes a FlagSet for a subcommand that prints to stderr and
// returns errors instead of exiting.
// commandFlags is newFlags with the flags every command shares
// (--config, --log-format, --log-level) added.
func (e *env) commandFlags(name string) (*flag.FlagSet, *globalFlags) {
	fs := e.newFlags(name)
	g := &globalFlags{}
	g.add(fs)
	return fs, g
}

func (e *env) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("wirewatch "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	e.flagSets = append(e.flagSets, fs)
	return fs
}
