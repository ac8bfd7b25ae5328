package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/apply"
)

// State is what a sync remembers between passes and shows in `tidemark status`.
type State struct {
	// LastFetchedRevision is the newest commit seen on the source.
	LastFetchedRevision string `json:"lastFetchedRevision,omitempty"`
	// LastAppliedRevision is the newest commit applied in full.
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`
	// LastAttemptedRevision is the newest commit a pass tried to apply.
	LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`
	// HistoryRewritten is true when the last fetch moved to a head that does
	// not descend from the previous one (a force-push).
	HistoryRewritten bool `json:"historyRewritten,omitempty"`
	// FetchError is the last fetch's failure, empty when it succeeded.
	FetchError string `json:"fetchError,omitempty"`
	// Errors of the last attempted revision, empty when it applied.
	Errors []string `json:"errors,omitempty"`
	// Inventory lists every object the applied revision owns, plus objects
	// whose prune has not finished yet.
	Inventory []apply.Ref `json:"inventory,omitempty"`
	// PendingPrune lists inventory objects a later revision removed but that
	// still exist (held by a finalizer, or the delete failed).
	PendingPrune []apply.Ref `json:"pendingPrune,omitempty"`
	// Orphaned lists Databases removed from Git whose data was kept.
	Orphaned []apply.Ref `json:"orphaned,omitempty"`
}

const stateKey = "state.json"

// stateStore reads and writes a State in a ConfigMap.
type stateStore struct {
	client    client.Client
	namespace string
	name      string
}

func (s *stateStore) key() client.ObjectKey {
	return client.ObjectKey{Namespace: s.namespace, Name: s.name}
}

// load returns the stored state, or an empty one when none exists yet.
func (s *stateStore) load(ctx context.Context) (State, error) {
	var cm corev1.ConfigMap
	err := s.client.Get(ctx, s.key(), &cm)
	if apierrors.IsNotFound(err) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("reading sync state %s: %w", s.key(), err)
	}

	var state State
	if err := json.Unmarshal([]byte(cm.Data[stateKey]), &state); err != nil {
		return State{}, fmt.Errorf("decoding sync state %s: %w", s.key(), err)
	}
	return state, nil
}

// save writes the state when it differs from before, so that a pass that
// changed nothing also writes nothing.
func (s *stateStore) save(ctx context.Context, before, after State) error {
	sortRefs(after.Inventory)
	sortRefs(after.PendingPrune)
	sortRefs(after.Orphaned)
	if reflect.DeepEqual(before, after) {
		return nil
	}

	raw, err := json.MarshalIndent(after, "", "  ")
	if err != nil {
		return err
	}

	cm := corev1ac.ConfigMap(s.name, s.namespace).
		WithLabels(map[string]string{LabelManagedBy: ManagedByValue}).
		WithData(map[string]string{stateKey: string(raw)})
	if err := s.client.Apply(ctx, cm, client.ForceOwnership, client.FieldOwner(apply.FieldManager)); err != nil {
		return fmt.Errorf("writing sync state %s: %w", s.key(), err)
	}
	return nil
}

func sortRefs(refs []apply.Ref) {
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
}
