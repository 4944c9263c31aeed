// Package cmd implements the strata binary's subcommands: engine, operator
// and version. main.go only dispatches to Main.
package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/stratagql/strata/engine/app"
	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/internal/version"
)

const usage = `strata — a Hasura-compatible GraphQL engine for PostgreSQL, run as a Kubernetes operator.

Usage:
  strata engine [flags]     serve the GraphQL API (Hasura's HASURA_GRAPHQL_* variables apply)
  strata operator [flags]   run the Kubernetes controller manager
  strata version            print the version

Run 'strata COMMAND --help' for a command's flags.
`

// Main runs the subcommand named in args (without the program name) and
// returns the process exit code. Errors are one line on stderr.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "engine":
		err = runEngine(ctx, args[1:], stdout)
	case "operator":
		err = runOperator(ctx, args[1:], stdout)
	case "version", "--version":
		fmt.Fprintln(stdout, "strata", version.Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "strata: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "strata %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func runEngine(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := config.Parse(args, os.Getenv, stdout)
	if err != nil {
		return err
	}
	log := NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	e, err := app.New(ctx, cfg, log, engineOptions...)
	if err != nil {
		return err
	}
	return e.Run(ctx)
}

// NewLogger returns a slog logger writing JSON (or text) at level to w.
func NewLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
