package database

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// scaleDownHold decides how many members the StatefulSet keeps while
// spec.replicas shrinks. A StatefulSet removes its highest ordinals; if
// the primary is among them, removing it would be a failover, which loses
// acknowledged writes under asynchronous replication. So the current count
// is held, Patroni hands the primary to a member that stays, and only then
// does the StatefulSet shrink.
//
// It returns the count to hold (0: apply spec.replicas) and a message while
// the handover is under way.
func (r *Reconciler) scaleDownHold(ctx context.Context, db *v1alpha1.Database) (int32, string, error) {
	current, err := r.currentReplicas(ctx, db)
	if err != nil || current <= db.Spec.Replicas {
		return 0, "", err
	}

	endpoints, err := r.leaderEndpoints(ctx, db)
	if err != nil {
		return 0, "", err
	}
	leader := ""
	if endpoints != nil {
		leader = endpoints.Annotations["leader"]
	}
	if leader == "" {
		// Without a primary, the member to be removed may be the one
		// that should lead next; wait, unless there is nothing to remove.
		removable, err := r.membersFrom(ctx, db, db.Spec.Replicas)
		if err != nil || removable == 0 {
			return 0, "", err
		}
		return current, "waiting for a primary before removing members", nil
	}
	if ordinal, ok := ordinalOf(render.NamesOf(db).StatefulSet(), leader); ok && ordinal < db.Spec.Replicas {
		return 0, "", nil
	}

	candidate, err := r.readyMemberBelow(ctx, db, db.Spec.Replicas)
	if err != nil || candidate == "" {
		return current, fmt.Sprintf("waiting for a ready member below ordinal %d to hand the primary %s to", db.Spec.Replicas, leader), err
	}
	step := fmt.Sprintf("switching over from %s to %s before removing members", leader, candidate)
	if r.Patroni == nil {
		return current, step + " (no Patroni client: waiting for it to move)", nil
	}
	return current, step, r.Patroni.switchover(ctx, db, leader, candidate)
}

// currentReplicas is the StatefulSet's replica count, or 0 before it exists.
func (r *Reconciler) currentReplicas(ctx context.Context, db *v1alpha1.Database) (int32, error) {
	var sts appsv1.StatefulSet
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: db.Namespace, Name: render.NamesOf(db).StatefulSet()}, &sts)
	if err != nil || sts.Spec.Replicas == nil {
		return 0, client.IgnoreNotFound(err)
	}
	return *sts.Spec.Replicas, nil
}

// membersFrom counts the member pods with an ordinal of at least from.
func (r *Reconciler) membersFrom(ctx context.Context, db *v1alpha1.Database, from int32) (int, error) {
	pods, err := r.memberPods(ctx, db)
	n := 0
	for _, pod := range pods {
		if ordinal, ok := ordinalOf(render.NamesOf(db).StatefulSet(), pod.Name); ok && ordinal >= from {
			n++
		}
	}
	return n, err
}

func (r *Reconciler) memberPods(ctx context.Context, db *v1alpha1.Database) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, client.InNamespace(db.Namespace),
		client.MatchingLabels{render.LabelDatabase: db.Name, render.LabelInstance: db.Name}); err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	return pods.Items, nil
}

// readyMemberBelow returns the ready member with the lowest ordinal under
// limit, or "" when none is ready.
func (r *Reconciler) readyMemberBelow(ctx context.Context, db *v1alpha1.Database, limit int32) (string, error) {
	pods, err := r.memberPods(ctx, db)
	if err != nil {
		return "", err
	}

	best, bestOrdinal := "", limit
	for i := range pods {
		pod := &pods[i]
		ordinal, ok := ordinalOf(render.NamesOf(db).StatefulSet(), pod.Name)
		if ok && ordinal < bestOrdinal && podReady(pod) {
			best, bestOrdinal = pod.Name, ordinal
		}
	}
	return best, nil
}

// ordinalOf parses the ordinal of a StatefulSet member's pod name.
func ordinalOf(statefulSet, pod string) (int32, bool) {
	suffix, found := strings.CutPrefix(pod, statefulSet+"-")
	if !found {
		return 0, false
	}
	n, err := strconv.ParseInt(suffix, 10, 32)
	return int32(n), err == nil && n >= 0
}
