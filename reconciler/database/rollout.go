package database

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// rollout moves members to the StatefulSet's current revision one at a
// time: replicas first, then a Patroni switchover to an updated replica, and
// the old primary last, now a replica. The StatefulSet is OnDelete, so
// nothing else replaces members. It returns a message while a step is in
// progress, and "" once every member runs the current revision.
func (r *Reconciler) rollout(ctx context.Context, db *v1alpha1.Database, obs observed) (string, error) {
	var sts appsv1.StatefulSet
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: db.Namespace, Name: render.NamesOf(db).StatefulSet()}, &sts); err != nil {
		return "", client.IgnoreNotFound(err)
	}
	outdated, updatedReady, err := r.membersByRevision(ctx, db, sts.Status.UpdateRevision)
	if err != nil || len(outdated) == 0 {
		return "", err
	}

	// One step at a time, and only from a healthy set of members.
	if countReady(obs.members) < int32(len(obs.members)) || obs.primary == "" {
		return "waiting for every member to be ready before updating the next one", nil
	}

	for _, pod := range outdated {
		if pod.Name != obs.primary {
			return "updating replica " + pod.Name, r.Client.Delete(ctx, pod)
		}
	}

	// Only the primary is left. Hand over first if another member can take
	// it; a single-member database has to restart in place.
	if len(updatedReady) > 0 && r.Patroni != nil {
		return fmt.Sprintf("switching over from %s to %s", obs.primary, updatedReady[0]),
			r.Patroni.switchover(ctx, db, obs.primary, updatedReady[0])
	}
	return "updating the only member " + obs.primary, r.Client.Delete(ctx, outdated[0])
}

// membersByRevision splits the members into those on an older revision
// and the names of ready ones already on the current revision.
func (r *Reconciler) membersByRevision(ctx context.Context, db *v1alpha1.Database, revision string) ([]*corev1.Pod, []string, error) {
	if revision == "" {
		return nil, nil, nil
	}
	pods, err := r.memberPods(ctx, db)
	if err != nil {
		return nil, nil, err
	}

	var outdated []*corev1.Pod
	var updatedReady []string
	for i := range pods {
		pod := &pods[i]
		switch {
		case pod.Labels[appsv1.ControllerRevisionHashLabelKey] != revision:
			outdated = append(outdated, pod)
		case podReady(pod):
			updatedReady = append(updatedReady, pod.Name)
		}
	}
	return outdated, updatedReady, nil
}

// switchover asks Patroni to move the leader to candidate at once.
func (p *Patroni) switchover(ctx context.Context, db *v1alpha1.Database, leader, candidate string) error {
	body, err := json.Marshal(map[string]string{"leader": leader, "candidate": candidate})
	if err != nil {
		return err
	}
	_, err = p.request(ctx, "POST", db.Namespace, leader, "switchover", body)
	return err
}
