package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/sync"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

func newStatusCommand() *cobra.Command {
	var cluster clusterFlags
	var syncOpts syncFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the last fetched and applied revision, errors, and the state of every database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := cluster.client()
			if err != nil {
				return err
			}
			return runStatus(cmd.Context(), cmd.OutOrStdout(), c, syncOpts.options())
		},
	}
	cluster.bind(cmd.Flags())
	syncOpts.bind(cmd.Flags(), false)
	return cmd
}

func runStatus(ctx context.Context, out io.Writer, c client.Client, opts sync.Options) error {
	state, err := sync.New(c, discardLogger(), opts).State(ctx)
	if err != nil {
		return err
	}
	if state.LastFetchedRevision == "" && state.FetchError == "" {
		return fmt.Errorf("no state recorded for sync %q in namespace %s: has `tidemark apply` or `watch` run with that --sync-name?", opts.Name, opts.Namespace)
	}
	printState(out, opts.Name, state)

	var dbs v1alpha1.DatabaseList
	if err := c.List(ctx, &dbs, client.MatchingLabels{sync.LabelSync: opts.Name}); err != nil {
		return fmt.Errorf("listing databases: %w", err)
	}
	printDatabases(out, dbs.Items)
	return nil
}

func printState(out io.Writer, name string, state sync.State) {
	fmt.Fprintf(out, "sync %s\n", name)
	fmt.Fprintf(out, "  last fetched revision:  %s\n", orNone(state.LastFetchedRevision))
	fmt.Fprintf(out, "  last applied revision:  %s\n", orNone(state.LastAppliedRevision))
	if state.LastAttemptedRevision != state.LastAppliedRevision {
		fmt.Fprintf(out, "  rejected revision:      %s\n", state.LastAttemptedRevision)
	}
	if state.HistoryRewritten {
		fmt.Fprintln(out, "  history was rewritten: the branch moved to a commit that does not descend from the previous one")
	}
	if state.FetchError != "" {
		fmt.Fprintf(out, "  fetch error:            %s\n", state.FetchError)
	}
	for _, e := range state.Errors {
		fmt.Fprintf(out, "  error: %s\n", e)
	}
	for _, ref := range state.PendingPrune {
		fmt.Fprintf(out, "  prune pending: %s\n", ref)
	}
	for _, ref := range state.Orphaned {
		fmt.Fprintf(out, "  orphaned (data kept): %s\n", ref)
	}
	fmt.Fprintln(out)
}

func printDatabases(out io.Writer, dbs []v1alpha1.Database) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAMESPACE\tNAME\tREVISION\tPHASE\tPRIMARY\tREADY\tMESSAGE")
	for _, db := range dbs {
		phase := string(db.Status.Phase)
		if !db.DeletionTimestamp.IsZero() {
			phase = string(v1alpha1.PhaseDeleting)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", db.Namespace, db.Name, shortRevision(db.Status.Revision),
			orNone(phase), orNone(db.Status.Primary), orNone(db.Status.Ready), readyMessage(db))
	}
	w.Flush()
}

// readyMessage tells what most needs saying: a failed reconcile first
// (the members may be ready while a change cannot be made), then readiness.
func readyMessage(db v1alpha1.Database) string {
	for _, c := range db.Status.Conditions {
		if c.Type == "Reconciled" && c.Status == "False" {
			if c.Reason == "Progressing" {
				return "in progress: " + c.Message
			}
			return "not reconciled: " + c.Message
		}
	}
	for _, c := range db.Status.Conditions {
		if c.Type == "Ready" {
			return c.Message
		}
	}
	if db.Status.ObservedGeneration != db.Generation {
		return "not yet observed by the controller"
	}
	return ""
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func shortRevision(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return orNone(sha)
}
