package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the server-side apply field manager of every tidemark write.
const FieldManager = "tidemark"

// Action says what an apply did, or would do, to one object.
type Action string

const (
	ActionCreated    Action = "created"
	ActionConfigured Action = "configured"
	ActionUnchanged  Action = "unchanged"
	ActionDeleted    Action = "deleted"
)

// Change is the outcome for one object.
type Change struct {
	Ref    Ref
	Action Action
}

// Ref identifies an object across API versions.
type Ref struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// RefOf returns the Ref of an object.
func RefOf(obj client.Object) Ref {
	gvk := obj.GetObjectKind().GroupVersionKind()
	return Ref{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// GroupVersionKind returns the GVK of the referenced object.
func (r Ref) GroupVersionKind() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// String is the kubectl-like name of the object: Kind/namespace/name.
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Options tune one Apply call.
type Options struct {
	// DryRun asks the API server to validate and admit every changed object
	// without persisting any of them.
	DryRun bool

	// IgnoreAnnotations are left out of the change hash: they are written
	// when an object changes but do not by themselves make it change (the
	// revision an object came from, for example).
	IgnoreAnnotations []string

	// Selector finds the live objects managed by this caller, so that the
	// comparison costs one list per kind instead of one read per object.
	Selector client.MatchingLabels
}

// Manager applies objects for one field manager.
type Manager struct {
	Client client.Client
	// Concurrency bounds the writes in flight at once.
	Concurrency int
}

// Apply writes each object that is missing, changed or drifted, cluster-scoped
// objects first. It returns the outcome for every object, in input order.
func (m *Manager) Apply(ctx context.Context, objects []*unstructured.Unstructured, opts Options) ([]Change, error) {
	live, err := m.listLive(ctx, objects, opts.Selector)
	if err != nil {
		return nil, err
	}

	changes := make([]Change, len(objects))
	for _, stage := range stages(objects) {
		if err := m.applyStage(ctx, objects, stage, live, opts, changes); err != nil {
			return changes, err
		}
	}
	return changes, nil
}

// stages splits object indexes into cluster-scoped objects (namespaces) and
// the rest, because namespaced objects cannot be created before their
// namespace exists.
func stages(objects []*unstructured.Unstructured) [][]int {
	var clusterScoped, namespaced []int
	for i, obj := range objects {
		if obj.GetNamespace() == "" {
			clusterScoped = append(clusterScoped, i)
		} else {
			namespaced = append(namespaced, i)
		}
	}
	return [][]int{clusterScoped, namespaced}
}

func (m *Manager) applyStage(ctx context.Context, objects []*unstructured.Unstructured, stage []int,
	live map[Ref]*unstructured.Unstructured, opts Options, changes []Change) error {
	var mu sync.Mutex
	var errs []error

	m.parallel(stage, func(i int) {
		change, err := m.applyOne(ctx, objects[i], live[RefOf(objects[i])], opts)

		mu.Lock()
		defer mu.Unlock()
		changes[i] = change
		if err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
}

func (m *Manager) parallel(indexes []int, fn func(i int)) {
	workers := max(m.Concurrency, 1)
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range work {
				fn(i)
			}
		})
	}
	for _, i := range indexes {
		work <- i
	}
	close(work)
	wg.Wait()
}

// applyOne applies a single object when it needs it.
func (m *Manager) applyOne(ctx context.Context, desired, live *unstructured.Unstructured, opts Options) (Change, error) {
	ref := RefOf(desired)
	hash := desiredHash(desired, opts.IgnoreAnnotations)

	if live != nil && live.GetAnnotations()[HashAnnotation] == hash && !drifted(desired, live, opts.IgnoreAnnotations) {
		return Change{Ref: ref, Action: ActionUnchanged}, nil
	}

	obj := desired.DeepCopy()
	setAnnotation(obj, HashAnnotation, hash)

	applyOpts := []client.ApplyOption{client.ForceOwnership, client.FieldOwner(FieldManager)}
	if opts.DryRun {
		applyOpts = append(applyOpts, client.DryRunAll)
	}
	if err := m.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), applyOpts...); err != nil {
		return Change{Ref: ref}, fmt.Errorf("applying %s: %w", ref, err)
	}

	action := ActionConfigured
	if live == nil {
		action = ActionCreated
	}
	return Change{Ref: ref, Action: action}, nil
}

func setAnnotation(obj *unstructured.Unstructured, key, value string) {
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[key] = value
	obj.SetAnnotations(annotations)
}

// listLive fetches the live objects of every kind in objects with one list
// call per kind.
func (m *Manager) listLive(ctx context.Context, objects []*unstructured.Unstructured, selector client.MatchingLabels) (map[Ref]*unstructured.Unstructured, error) {
	live := map[Ref]*unstructured.Unstructured{}
	for _, gvk := range kindsOf(objects) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))

		err := m.Client.List(ctx, list, selector)
		if apierrors.IsNotFound(err) || isNoKindMatch(err) {
			continue // the kind is not served yet: everything of it is new
		}
		if err != nil {
			return nil, fmt.Errorf("listing live %s objects: %w", gvk.Kind, err)
		}
		for i := range list.Items {
			item := &list.Items[i]
			item.SetGroupVersionKind(gvk)
			live[RefOf(item)] = item
		}
	}
	return live, nil
}

func kindsOf(objects []*unstructured.Unstructured) []schema.GroupVersionKind {
	seen := map[schema.GroupVersionKind]bool{}
	var kinds []schema.GroupVersionKind
	for _, obj := range objects {
		gvk := obj.GroupVersionKind()
		if !seen[gvk] {
			seen[gvk] = true
			kinds = append(kinds, gvk)
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].String() < kinds[j].String() })
	return kinds
}

// Delete removes an object the caller no longer wants. It reports
// ActionUnchanged with no error when the object is already gone, and
// ErrDeletionPending while a finalizer holds it.
func (m *Manager) Delete(ctx context.Context, ref Ref) (Change, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(ref.GroupVersionKind())
	obj.SetNamespace(ref.Namespace)
	obj.SetName(ref.Name)

	err := m.Client.Delete(ctx, obj, client.PropagationPolicy("Background"))
	if apierrors.IsNotFound(err) || isNoKindMatch(err) {
		return Change{Ref: ref, Action: ActionUnchanged}, nil
	}
	if err != nil {
		return Change{Ref: ref}, fmt.Errorf("deleting %s: %w", ref, err)
	}

	// A finalizer keeps the object until its owner lets go: report it so
	// the caller keeps it in its inventory and checks again later.
	if err := m.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err == nil {
		return Change{Ref: ref, Action: ActionDeleted}, ErrDeletionPending
	}
	return Change{Ref: ref, Action: ActionDeleted}, nil
}

// ErrDeletionPending means a delete was accepted but finalizers still hold the object.
var ErrDeletionPending = errors.New("deletion pending on finalizers")
