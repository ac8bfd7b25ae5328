package sync

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/apply"
)

// checkOwnership refuses a revision that declares an object another sync
// already owns: silently taking it over would make two config repos fight,
// and the loser would prune the winner's database.
//
// Namespaces are shared by design and are not checked.
func (s *Syncer) checkOwnership(ctx context.Context, objects []*unstructured.Unstructured) error {
	owners, err := s.ownersOf(ctx, objects)
	if err != nil {
		return err
	}

	var conflicts []string
	for _, obj := range objects {
		if owner := owners[apply.RefOf(obj)]; owner != "" && owner != s.opts.Name {
			conflicts = append(conflicts, fmt.Sprintf("%s is owned by sync %q", apply.RefOf(obj), owner))
		}
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("objects of another sync: %s; remove them from one of the two repos", strings.Join(conflicts, "; "))
	}
	return nil
}

// ownersOf maps every live tidemark object of the kinds in objects to the
// sync that owns it, with one list per kind.
func (s *Syncer) ownersOf(ctx context.Context, objects []*unstructured.Unstructured) (map[apply.Ref]string, error) {
	owners := map[apply.Ref]string{}
	for _, gvk := range namespacedKinds(objects) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := s.client.List(ctx, list, client.MatchingLabels{LabelManagedBy: ManagedByValue}); err != nil {
			if isNoKindMatch(err) {
				continue
			}
			return nil, fmt.Errorf("listing %s objects to check their owners: %w", gvk.Kind, err)
		}
		for i := range list.Items {
			item := &list.Items[i]
			item.SetGroupVersionKind(gvk)
			owners[apply.RefOf(item)] = item.GetLabels()[LabelSync]
		}
	}
	return owners, nil
}

func namespacedKinds(objects []*unstructured.Unstructured) []schema.GroupVersionKind {
	seen := map[schema.GroupVersionKind]bool{}
	var kinds []schema.GroupVersionKind
	for _, obj := range objects {
		if gvk := obj.GroupVersionKind(); obj.GetNamespace() != "" && !seen[gvk] {
			seen[gvk] = true
			kinds = append(kinds, gvk)
		}
	}
	return kinds
}

// liveOwner returns the sync label of a live object, whether it exists,
// and an error when it could not be read.
func (s *Syncer) liveOwner(ctx context.Context, ref apply.Ref) (owner string, exists bool, err error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(ref.GroupVersionKind())
	err = s.client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, obj)
	if client.IgnoreNotFound(err) != nil {
		return "", false, err
	}
	if err != nil || isNoKindMatch(err) {
		return "", false, nil
	}
	return obj.GetLabels()[LabelSync], true, nil
}
