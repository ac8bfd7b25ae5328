// Package app is the tidemark command line: one binary with the verbs
// validate, diff, apply, watch, status and version.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is stamped by the build (make build).
var version = "dev"

// ExitError carries an exit code up to Main without printing twice.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs the command line and is the only place that exits.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()

	var exit ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.Code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "tidemark:", err)
		os.Exit(1)
	}
}

// Run runs one command with args, writing to stdout and stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tidemark",
		Short:         "Run PostgreSQL clusters on Kubernetes from a Git repository of Database specs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)

	root.AddCommand(
		newValidateCommand(),
		newDiffCommand(),
		newApplyCommand(),
		newWatchCommand(),
		newStatusCommand(),
		newVersionCommand(),
	)
	return root
}
