package database

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// PortRange is a range of NodePorts the rw Services may use; on kind the
// cluster publishes the same range on 127.0.0.1, so each database can be
// reached from the host at a stable port.
type PortRange struct{ First, Last int32 }

// Enabled reports whether rw Services are exposed as NodePorts.
func (r PortRange) Enabled() bool { return r.First > 0 && r.Last >= r.First }

// nodePortFor keeps the port a database's rw Service already has, or picks
// the lowest port of the range that no other rw Service uses. Reconciles
// run one at a time, so two databases cannot pick the same free port.
func (r *Reconciler) nodePortFor(ctx context.Context, db *v1alpha1.Database) (int32, error) {
	var services corev1.ServiceList
	if err := r.Client.List(ctx, &services, client.MatchingLabels{render.LabelManagedBy: "tidemark"}); err != nil {
		return 0, fmt.Errorf("listing services to pick a node port: %w", err)
	}

	used := map[int32]bool{}
	for _, svc := range services.Items {
		for _, port := range svc.Spec.Ports {
			if port.NodePort == 0 {
				continue
			}
			if svc.Namespace == db.Namespace && svc.Name == render.NamesOf(db).ReadWrite() {
				return port.NodePort, nil
			}
			used[port.NodePort] = true
		}
	}

	for port := r.NodePorts.First; port <= r.NodePorts.Last; port++ {
		if !used[port] {
			return port, nil
		}
	}
	return 0, fmt.Errorf("every node port of %d-%d is taken; widen --rw-node-ports", r.NodePorts.First, r.NodePorts.Last)
}
