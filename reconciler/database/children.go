package database

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/apply"
	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// applyChildren renders db's members and applies them with server-side
// apply. Unchanged children cost no writes; drifted ones are taken back.
// holdReplicas, when not 0, keeps the StatefulSet at that many members
// instead of spec.replicas (see scaleDownHold).
func (r *Reconciler) applyChildren(ctx context.Context, db *v1alpha1.Database, holdReplicas int32) ([]apply.Change, error) {
	if holdReplicas > 0 {
		db = db.DeepCopy()
		db.Spec.Replicas = holdReplicas
	}

	opts := r.Render
	if r.NodePorts.Enabled() {
		port, err := r.nodePortFor(ctx, db)
		if err != nil {
			return nil, err
		}
		opts.NodePort = port
	}

	objects, err := render.All(db, opts)
	if err != nil {
		return nil, err
	}

	desired := make([]*unstructured.Unstructured, 0, len(objects))
	for _, obj := range objects {
		u, err := apply.ToUnstructured(obj)
		if err != nil {
			return nil, fmt.Errorf("converting %s: %w", obj.GetName(), err)
		}
		desired = append(desired, u)
	}

	manager := &apply.Manager{Client: r.Client, Concurrency: 4}
	applyOpts := apply.Options{Selector: client.MatchingLabels{render.LabelDatabase: db.Name, render.LabelInstance: db.Name}}
	changes, err := manager.Apply(ctx, desired, applyOpts)

	// A change the StatefulSet cannot take in place is made by replacing
	// it while its pods and volumes stay, never by deleting volumes.
	if immutableChange(err) {
		ctrl.LoggerFrom(ctx).Info("replacing the StatefulSet for a change it cannot take in place", "reason", err.Error())
		if err := r.replaceStatefulSet(ctx, db); err != nil {
			return changes, err
		}
		changes, err = manager.Apply(ctx, desired, applyOpts)
	}
	return changes, err
}
