package app

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tidemark/tidemark/reconciler/apply"
	"github.com/tidemark/tidemark/reconciler/sync"
)

func newDiffCommand() *cobra.Command {
	flags := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what applying the newest revision would change, using server-side dry runs",
		Long: `Fetches the config repo, validates the newest revision and asks the API
server to dry-run every object. Prints one line per object that would be
created, configured or pruned; changes nothing. Exits 0 when nothing would
change and 2 when something would.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDiff(cmd.Context(), cmd.OutOrStdout(), flags)
		},
	}
	flags.bind(cmd, false)
	return cmd
}

func runDiff(ctx context.Context, out io.Writer, flags *applyFlags) error {
	syncer, src, err := flags.setup(ctx)
	if err != nil {
		return err
	}
	rev, err := src.Fetch(ctx)
	if err != nil {
		return err
	}

	plan, err := syncer.Plan(ctx, sync.Revision{SHA: rev.SHA, Dir: rev.Dir})
	if err != nil {
		return err
	}

	changed := 0
	for _, c := range plan.Changes {
		if c.Action != apply.ActionUnchanged {
			fmt.Fprintf(out, "%s would be %s\n", c.Ref, c.Action)
			changed++
		}
	}
	for _, ref := range plan.Prune {
		fmt.Fprintf(out, "%s would be pruned\n", ref)
		changed++
	}
	fmt.Fprintf(out, "revision %s: %d of %d objects would change\n", plan.Revision, changed, len(plan.Changes))
	if changed > 0 {
		return ExitError{Code: 2}
	}
	return nil
}
