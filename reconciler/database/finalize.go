package database

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// finalize settles a deleted Database's data, then lets it go.
//
// With Retain (the default) the volumes and Secrets lose their owner
// reference, so the garbage collector leaves them, and are labelled orphaned.
// With Delete they are deleted. Nothing else ever deletes a database's data.
func (r *Reconciler) finalize(ctx context.Context, db *v1alpha1.Database) error {
	if !controllerutil.ContainsFinalizer(db, FinalizerDataProtection) {
		return nil
	}

	data, err := r.dataOf(ctx, db)
	if err != nil {
		return err
	}
	for _, obj := range data {
		if err := r.settle(ctx, db, obj); err != nil {
			return err
		}
	}

	controllerutil.RemoveFinalizer(db, FinalizerDataProtection)
	if err := r.Client.Update(ctx, db); err != nil {
		return fmt.Errorf("removing finalizer: %w", err)
	}
	ctrl.LoggerFrom(ctx).Info("database removed", "deletionPolicy", db.Spec.DeletionPolicy, "dataObjects", len(data))
	return nil
}

// dataOf lists the objects that hold a database's data.
func (r *Reconciler) dataOf(ctx context.Context, db *v1alpha1.Database) ([]client.Object, error) {
	selector := client.MatchingLabels{LabelDatabase: db.Name}
	inNamespace := client.InNamespace(db.Namespace)

	var pvcs corev1.PersistentVolumeClaimList
	if err := r.Client.List(ctx, &pvcs, selector, inNamespace); err != nil {
		return nil, fmt.Errorf("listing volumes: %w", err)
	}
	var secrets corev1.SecretList
	if err := r.Client.List(ctx, &secrets, selector, inNamespace); err != nil {
		return nil, fmt.Errorf("listing secrets: %w", err)
	}

	var data []client.Object
	for i := range pvcs.Items {
		data = append(data, &pvcs.Items[i])
	}
	for i := range secrets.Items {
		data = append(data, &secrets.Items[i])
	}
	return data, nil
}

func (r *Reconciler) settle(ctx context.Context, db *v1alpha1.Database, obj client.Object) error {
	if db.Spec.DeletionPolicy == v1alpha1.DeletionPolicyDelete {
		if err := r.Client.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting %s: %w", obj.GetName(), err)
		}
		return nil
	}

	obj.SetOwnerReferences(withoutOwner(obj.GetOwnerReferences(), db.UID))
	labels := obj.GetLabels() // never nil: the object was listed by label
	labels[LabelOrphaned] = "true"
	obj.SetLabels(labels)
	if err := r.Client.Update(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("releasing %s: %w", obj.GetName(), err)
	}
	return nil
}

func withoutOwner(refs []metav1.OwnerReference, owner types.UID) []metav1.OwnerReference {
	var kept []metav1.OwnerReference
	for _, ref := range refs {
		if ref.UID != owner {
			kept = append(kept, ref)
		}
	}
	return kept
}
