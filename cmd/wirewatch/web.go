package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/web"
)

// One command per file, registered here (README, Development): this
// opening, imports to flag set, repeats from file to file by design.
func init() {
	register("web", "serve the analysts' read-only web UI alone (e.g. against a read replica)", runWeb)
}

// runWeb serves the UI without the pipeline: it never migrates or writes,
// so database.url may point at a streaming replica or a login that only
// has wirewatch_reader.
func runWeb(ctx context.Context, e *env, args []string) error {
	fs, g := e.commandFlags("web")
	listen := fs.String("listen", "", "address to serve on (default web.listen, 127.0.0.1:9091)")
	hashPassword := fs.Bool("hash-password", false, "read a password on stdin, print its bcrypt hash for web.password_hash, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *hashPassword {
		return printPasswordHash(e)
	}
	cfg, logger, err := g.load(e)
	if err != nil {
		return err
	}
	addr := cmp.Or(*listen, cfg.Web.Listen)
	ui, err := web.New(cfg.Web, addr, logger)
	if err != nil {
		return err
	}
	st, err := store.OpenReader(ctx, cfg.Database, cfg.Web.MaxConns, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	ui.SetStore(st)
	health := daemon.NewHealth(newRegistry())
	health.SetStore(st)
	bound, errc, err := daemon.Serve(ctx, addr, ui.Mount(health.Handler()))
	if err != nil {
		return err
	}
	logger.Info("serving the web UI", "addr", bound.String(), "database", config.RedactURL(cfg.Database.URL), "login", cfg.Web.HasLogin())
	fmt.Fprintf(e.stdout, "wirewatch web UI on http://%s/\n", bound)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return <-errc
	}
}

// printPasswordHash reads one line (the password) from stdin.
func printPasswordHash(e *env) error {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("%w: --hash-password reads the password from stdin", errUsage)
	}
	pass := strings.TrimRight(line, "\r\n")
	if len(pass) < 8 {
		return fmt.Errorf("%w: the password needs at least 8 characters", errUsage)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.DefaultCost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return fmt.Errorf("%w: the password may have at most 72 bytes", errUsage)
	}
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	fmt.Fprintln(e.stdout, string(h))
	return nil
}
