package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/apply"
	"github.com/tidemark/tidemark/reconciler/sync"
	"github.com/tidemark/tidemark/specs"
)

// applyFlags are shared by apply and diff.
type applyFlags struct {
	cluster clusterFlags
	source  sourceFlags
	sync    syncFlags
	log     logFlags
}

func (f *applyFlags) bind(cmd *cobra.Command, installCRD bool) {
	f.cluster.bind(cmd.Flags())
	f.source.bind(cmd.Flags())
	f.sync.bind(cmd.Flags(), installCRD)
	f.log.bind(cmd.Flags())
}

func newApplyCommand() *cobra.Command {
	flags := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Fetch the config repo once and apply its newest revision, all of it or nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApply(cmd.Context(), cmd.OutOrStdout(), flags)
		},
	}
	flags.bind(cmd, true)
	return cmd
}

func runApply(ctx context.Context, out io.Writer, flags *applyFlags) error {
	syncer, src, err := flags.setup(ctx)
	if err != nil {
		return err
	}

	start := time.Now()
	result, err := sync.NewLoop(src, syncer, time.Hour, syncer.Logger()).RunOnce(ctx)
	printChanges(out, result.Changes, result.Pruned)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "revision %s applied: %d writes, %d objects, %s\n",
		result.Revision, result.Writes(), len(result.Changes), time.Since(start).Round(time.Millisecond))
	return nil
}

// setup connects to the cluster, installs the CRD if asked, and returns a
// syncer and the source of revisions.
func (f *applyFlags) setup(ctx context.Context) (*sync.Syncer, sync.Source, error) {
	log, err := f.log.logger()
	if err != nil {
		return nil, nil, err
	}
	c, _, err := f.cluster.client()
	if err != nil {
		return nil, nil, err
	}
	src, err := f.source.source()
	if err != nil {
		return nil, nil, err
	}
	if f.sync.installCRD {
		if err := installCRD(ctx, c); err != nil {
			return nil, nil, err
		}
	}
	return sync.New(c, log, f.sync.options()), src, nil
}

// installCRD applies the Database CRD and waits until the server serves it.
func installCRD(ctx context.Context, c client.Client) error {
	crd, err := specs.DatabaseCRD()
	if err != nil {
		return err
	}
	obj, err := apply.ToUnstructured(crd)
	if err != nil {
		return err
	}
	obj.SetAPIVersion("apiextensions.k8s.io/v1")
	obj.SetKind("CustomResourceDefinition")

	manager := &apply.Manager{Client: c, Concurrency: 1}
	if _, err := manager.Apply(ctx, []*unstructured.Unstructured{obj}, apply.Options{}); err != nil {
		return fmt.Errorf("installing the Database CRD: %w", err)
	}
	return waitForCRD(ctx, c)
}

// waitForCRD waits until Databases can be listed: a CRD is served a moment
// after it is created.
func waitForCRD(ctx context.Context, c client.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion("tidemark.dev/v1alpha1")
		list.SetKind("DatabaseList")
		err := c.List(ctx, list, client.Limit(1))
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the Database CRD is not served yet: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printChanges(out io.Writer, changes []apply.Change, pruned []apply.Ref) {
	for _, c := range changes {
		if c.Action != apply.ActionUnchanged && c.Action != "" {
			fmt.Fprintf(out, "%s %s\n", c.Ref, c.Action)
		}
	}
	for _, ref := range pruned {
		fmt.Fprintf(out, "%s pruned\n", ref)
	}
}
