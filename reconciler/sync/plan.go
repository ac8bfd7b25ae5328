package sync

import (
	"context"

	"github.com/tidemark/tidemark/reconciler/apply"
)

// Plan is what applying a revision would do, computed with server-side dry
// runs and written nowhere.
type Plan struct {
	Revision string
	// Changes lists every declared object with what applying would do to it.
	Changes []apply.Change
	// Prune lists objects of the last applied revision this one drops.
	Prune []apply.Ref
}

// Plan computes what Sync would do with rev, without changing anything.
// Objects in namespaces that do not exist yet are reported as created
// without a dry run (the server cannot dry-run into a missing namespace).
func (s *Syncer) Plan(ctx context.Context, rev Revision) (Plan, error) {
	_, objects, err := s.load(rev)
	if err != nil {
		return Plan{}, err
	}

	state, err := s.state.load(ctx)
	if err != nil {
		return Plan{}, err
	}
	if err := s.checkOwnership(ctx, objects); err != nil {
		return Plan{}, &RejectedError{Revision: rev.SHA, Err: err}
	}

	checkable, missing := s.splitByNamespace(ctx, objects)
	opts := s.applyOptions()
	opts.DryRun = true
	changes, err := s.applier.Apply(ctx, checkable, opts)
	if err != nil {
		return Plan{}, &RejectedError{Revision: rev.SHA, Err: err}
	}
	for _, obj := range missing {
		changes = append(changes, apply.Change{Ref: apply.RefOf(obj), Action: apply.ActionCreated})
	}

	return Plan{Revision: rev.SHA, Changes: changes, Prune: dropped(state.Inventory, objects)}, nil
}
