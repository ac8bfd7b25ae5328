package sync

import (
	"context"
	"errors"
	"slices"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/apply"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// prune deletes what the previous inventory owned and this revision no
// longer declares, and records the new inventory in state.
//
// Namespaces are never pruned: they may hold data and objects that are not
// tidemark's. A Database removed from Git is deleted; its controller keeps
// its data unless the Database said deletionPolicy: Delete, and such a
// Database is reported as orphaned. An object whose delete has not finished
// stays in the inventory so the next pass checks on it again.
func (s *Syncer) prune(ctx context.Context, log logr.Logger, objects []*unstructured.Unstructured, state *State, result *Result) {
	var pending []apply.Ref
	for _, ref := range dropped(state.Inventory, objects) {
		if s.pruneOne(ctx, log, ref, state, result) {
			pending = append(pending, ref)
		}
	}

	desired := refSet(objects)

	state.Orphaned = slices.DeleteFunc(state.Orphaned, func(ref apply.Ref) bool { return desired[ref] })
	state.Inventory = append(refsOf(objects), pending...)
	state.PendingPrune = pending
	result.Pending = pending
	result.Orphaned = state.Orphaned
}

// dropped lists the inventory objects that objects no longer declare.
// Namespaces are never in it.
func dropped(inventory []apply.Ref, objects []*unstructured.Unstructured) []apply.Ref {
	desired := refSet(objects)
	var refs []apply.Ref
	for _, ref := range inventory {
		if !desired[ref] && ref.Kind != "Namespace" {
			refs = append(refs, ref)
		}
	}
	return refs
}

func refSet(objects []*unstructured.Unstructured) map[apply.Ref]bool {
	set := make(map[apply.Ref]bool, len(objects))
	for _, obj := range objects {
		set[apply.RefOf(obj)] = true
	}
	return set
}

// pruneOne deletes one object and reports whether it is still pending.
func (s *Syncer) pruneOne(ctx context.Context, log logr.Logger, ref apply.Ref, state *State, result *Result) bool {
	log = log.WithValues("object", ref.String())

	// Never delete what another sync owns now: its repo declares it.
	owner, exists, err := s.liveOwner(ctx, ref)
	switch {
	case err != nil:
		log.Error(err, "prune failed; will retry")
		return true
	case !exists:
		return false
	case owner != s.opts.Name:
		log.Info("not pruned: another sync owns the object now", "owner", owner)
		return false
	}

	// Read the policy before deleting: once the object is gone, so is its spec.
	if isDatabase(ref) && s.retainsData(ctx, ref) {
		state.Orphaned = appendUnique(state.Orphaned, ref)
	}

	change, err := s.applier.Delete(ctx, ref)
	switch {
	case errors.Is(err, apply.ErrDeletionPending):
		log.Info("prune waiting for finalizers")
		result.Pruned = append(result.Pruned, ref)
		return true
	case err != nil:
		log.Error(err, "prune failed; will retry")
		return true
	case change.Action == apply.ActionDeleted:
		log.Info("object pruned")
		result.Pruned = append(result.Pruned, ref)
	}
	return false
}

// retainsData reports whether a live Database keeps its data when deleted.
// A Database that is already gone reports false: there is nothing to orphan
// that an earlier pass did not already record.
func (s *Syncer) retainsData(ctx context.Context, ref apply.Ref) bool {
	db := &v1alpha1.Database{}
	if err := s.client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, db); err != nil {
		return false
	}
	return db.Spec.DeletionPolicy != v1alpha1.DeletionPolicyDelete
}

func refsOf(objects []*unstructured.Unstructured) []apply.Ref {
	refs := make([]apply.Ref, len(objects))
	for i, obj := range objects {
		refs[i] = apply.RefOf(obj)
	}
	return refs
}

func appendUnique(refs []apply.Ref, ref apply.Ref) []apply.Ref {
	for _, r := range refs {
		if r == ref {
			return refs
		}
	}
	return append(refs, ref)
}

func namespaceObject(name string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelManagedBy: ManagedByValue}},
	}
}
