package database

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// observed is what the controller saw of a database's members.
type observed struct {
	members  []v1alpha1.MemberStatus
	primary  string
	timeline int64
}

// observe reads the members from their pods and the primary from the rw
// Service's Endpoints, which Patroni writes when it elects a leader: the
// pod role label can be stale on a frozen node, the Endpoints cannot name
// two pods.
func (r *Reconciler) observe(ctx context.Context, db *v1alpha1.Database) (observed, error) {
	pods, err := r.memberPods(ctx, db)
	if err != nil {
		return observed{}, err
	}

	leader, err := r.leaderEndpoints(ctx, db)
	if err != nil {
		return observed{}, err
	}

	var obs observed
	for i := range pods {
		pod := &pods[i]
		member := v1alpha1.MemberStatus{Name: pod.Name, Zone: r.zoneOf(ctx, pod.Spec.NodeName), Ready: podReady(pod), Role: "replica"}
		if servesAsLeader(leader, pod) {
			member.Role = "primary"
			obs.primary = pod.Name
		}
		obs.members = append(obs.members, member)
	}
	sort.Slice(obs.members, func(i, j int) bool { return obs.members[i].Name < obs.members[j].Name })
	return obs, nil
}

// leaderEndpoints returns the rw Endpoints, or nil before Patroni wrote them.
func (r *Reconciler) leaderEndpoints(ctx context.Context, db *v1alpha1.Database) (*corev1.Endpoints, error) { //nolint:staticcheck // Patroni writes Endpoints
	endpoints := &corev1.Endpoints{} //nolint:staticcheck // Patroni writes Endpoints
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: db.Namespace, Name: render.NamesOf(db).ReadWrite()}, endpoints)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the leader endpoints: %w", err)
	}
	return endpoints, nil
}

// servesAsLeader reports whether Patroni's leader key names pod and the
// Endpoints already route to its address.
func servesAsLeader(endpoints *corev1.Endpoints, pod *corev1.Pod) bool { //nolint:staticcheck // Patroni writes Endpoints
	if endpoints == nil || endpoints.Annotations["leader"] != pod.Name || pod.Status.PodIP == "" {
		return false
	}
	for _, subset := range endpoints.Subsets {
		for _, addr := range subset.Addresses {
			if addr.IP == pod.Status.PodIP {
				return true
			}
		}
	}
	return false
}

func (r *Reconciler) zoneOf(ctx context.Context, nodeName string) string {
	if nodeName == "" {
		return ""
	}
	var node corev1.Node
	if err := r.Client.Get(ctx, client.ObjectKey{Name: nodeName}, &node); err != nil {
		return ""
	}
	return node.Labels["topology.kubernetes.io/zone"]
}

func podReady(pod *corev1.Pod) bool {
	if !pod.DeletionTimestamp.IsZero() {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
