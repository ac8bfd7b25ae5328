package database

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/reconciler/database/render"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// replaceStatefulSet deletes the StatefulSet but not its pods, so the next
// apply can create it with fields a StatefulSet cannot change in place
// (volumeClaimTemplates, selector). The members keep running and their
// volumes stay; the new StatefulSet adopts them.
func (r *Reconciler) replaceStatefulSet(ctx context.Context, db *v1alpha1.Database) error {
	sts := &appsv1.StatefulSet{}
	sts.Namespace, sts.Name = db.Namespace, render.NamesOf(db).StatefulSet()
	err := r.Client.Delete(ctx, sts, client.PropagationPolicy("Orphan"))
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("replacing StatefulSet %s: %w", sts.Name, err)
	}
	return nil
}

// immutableChange reports whether err is the API server refusing an
// in-place change of a StatefulSet.
func immutableChange(err error) bool {
	return err != nil && (apierrors.IsInvalid(err) || apierrors.IsForbidden(err))
}

// growVolumes raises each member's volume request to spec.storage.size
// where the StorageClass allows expansion. It never shrinks a volume, and
// it returns an error naming the class where expansion is not allowed.
func (r *Reconciler) growVolumes(ctx context.Context, db *v1alpha1.Database) error {
	var pvcs corev1.PersistentVolumeClaimList
	if err := r.Client.List(ctx, &pvcs, client.InNamespace(db.Namespace),
		client.MatchingLabels{render.LabelDatabase: db.Name, render.LabelInstance: db.Name}); err != nil {
		return fmt.Errorf("listing volumes: %w", err)
	}

	want := db.Spec.Storage.Size
	var errs []error
	for i := range pvcs.Items {
		pvc := &pvcs.Items[i]
		have := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
		if have.Cmp(want) >= 0 {
			continue
		}
		if err := r.expandable(ctx, pvc); err != nil {
			errs = append(errs, fmt.Errorf("volume %s stays at %s: %w", pvc.Name, have.String(), err))
			continue
		}
		patch := client.MergeFrom(pvc.DeepCopy())
		pvc.Spec.Resources.Requests[corev1.ResourceStorage] = want
		if err := r.Client.Patch(ctx, pvc, patch); err != nil {
			errs = append(errs, fmt.Errorf("growing volume %s: %w", pvc.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (r *Reconciler) expandable(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	if pvc.Spec.StorageClassName == nil {
		return errors.New("it has no storage class")
	}
	var class storagev1.StorageClass
	if err := r.Client.Get(ctx, client.ObjectKey{Name: *pvc.Spec.StorageClassName}, &class); err != nil {
		return fmt.Errorf("reading storage class %s: %w", *pvc.Spec.StorageClassName, err)
	}
	if class.AllowVolumeExpansion == nil || !*class.AllowVolumeExpansion {
		return fmt.Errorf("storage class %s does not allow volume expansion", class.Name)
	}
	return nil
}
