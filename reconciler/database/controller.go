package database

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// Names the controller puts on objects.
const (
	// FinalizerDataProtection holds a Database until its data has been
	// either released (Retain) or removed (Delete).
	FinalizerDataProtection = "tidemark.dev/data-protection"
	// LabelDatabase marks every child of a Database with its name.
	LabelDatabase = "tidemark.dev/database"
	// LabelOrphaned marks data kept after its Database was removed.
	LabelOrphaned = "tidemark.dev/orphaned"
	// AnnotationRevision is the config repo commit that last changed a Database.
	AnnotationRevision = "tidemark.dev/revision"
)

// Condition types of a Database.
const (
	ConditionReconciled = "Reconciled"
	ConditionReady      = "Ready"
)

// Reconciler reconciles Database objects.
type Reconciler struct {
	Client client.Client
}

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Database{}).
		Named("database").
		Complete(r)
}

// Reconcile brings one Database closer to its spec and reports what it saw.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx).WithValues("database", req.String())

	db := &v1alpha1.Database{}
	if err := r.Client.Get(ctx, req.NamespacedName, db); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	log = log.WithValues("revision", db.Annotations[AnnotationRevision])
	ctx = ctrl.LoggerInto(ctx, log)

	// Deletion first: the finalizer decides what happens to the data.
	if !db.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, db)
	}

	// Make sure the finalizer is there before anything holds data.
	if !controllerutil.ContainsFinalizer(db, FinalizerDataProtection) {
		controllerutil.AddFinalizer(db, FinalizerDataProtection)
		if err := r.Client.Update(ctx, db); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer: %w", err)
		}
	}

	return ctrl.Result{}, r.updateStatus(ctx, log, db)
}

// updateStatus writes what the controller observed for this generation.
//
// The members (StatefulSet, Services, Patroni) are not rendered yet, so the
// status says so honestly: the spec is accepted, nothing serves it.
func (r *Reconciler) updateStatus(ctx context.Context, log logr.Logger, db *v1alpha1.Database) error {
	before := db.Status.DeepCopy()

	db.Status.ObservedGeneration = db.Generation
	db.Status.Revision = db.Annotations[AnnotationRevision]
	db.Status.Phase = v1alpha1.PhasePending
	db.Status.Ready = fmt.Sprintf("%d/%d", db.Status.ReadyMembers, db.Spec.Replicas)
	setCondition(db, ConditionReconciled, metav1.ConditionTrue, "SpecAccepted",
		"the spec of this generation was accepted")
	setCondition(db, ConditionReady, metav1.ConditionFalse, "MembersNotRendered",
		"no database members are rendered for this Database yet")

	if equalStatus(before, &db.Status) {
		return nil
	}
	if err := r.Client.Status().Update(ctx, db); err != nil {
		if apierrors.IsConflict(err) {
			return err // a newer generation is on its way; retry with it
		}
		return fmt.Errorf("writing status: %w", err)
	}
	log.Info("status updated", "phase", db.Status.Phase, "observedGeneration", db.Status.ObservedGeneration)
	return nil
}

func setCondition(db *v1alpha1.Database, kind string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&db.Status.Conditions, metav1.Condition{
		Type:               kind,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: db.Generation,
	})
}
