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
	"syscall"
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
}

// errUsage marks a command-line mistake (exit status 2).
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, environ: environ}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wirewatch: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "wirewatch %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "wirewatch %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "wirewatch watches state media for cyber-policy articles.")
	fmt.Fprintln(w, "\nUsage: wirewatch <command> [flags]   (wirewatch <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

// newFlags makes a FlagSet for a subcommand that prints to stderr and
// returns errors instead of exiting.
func (e *env) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("wirewatch "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}
