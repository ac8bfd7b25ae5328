package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tidemark/tidemark/reconciler/database/render"
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
	// Render holds the cluster-wide rendering choices (image, timing).
	Render render.Options
	// NodePorts, when enabled, exposes each rw Service on a node port.
	NodePorts PortRange
	// Patroni, when set, carries parameter and replication mode changes to
	// a running cluster; without it they apply only at creation.
	Patroni *Patroni
}

// SetupWithManager registers the controller. Besides Databases it watches
// the members' pods and Patroni's Endpoints, whose changes are what status
// reports, mapped back to their Database by label.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	byLabel := handler.EnqueueRequestsFromMapFunc(databaseOf)
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Database{}).
		Owns(&appsv1.StatefulSet{}).
		Watches(&corev1.Pod{}, byLabel).
		Watches(&corev1.Endpoints{}, byLabel). //nolint:staticcheck // Patroni writes Endpoints
		Named("database").
		Complete(r)
}

// databaseOf maps a child to the Database named by its label.
func databaseOf(_ context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[LabelDatabase]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}}
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

	secrets, err := r.ensureSecrets(ctx, db)
	if err != nil {
		return ctrl.Result{}, r.failed(ctx, db, "SecretsFailed", err)
	}

	holdReplicas, handover, err := r.scaleDownHold(ctx, db)
	if err != nil {
		return ctrl.Result{}, r.failed(ctx, db, "ScaleDownFailed", err)
	}
	if _, err := r.applyChildren(ctx, db, holdReplicas); err != nil {
		return ctrl.Result{}, r.failed(ctx, db, "ApplyFailed", err)
	}
	if err := r.growVolumes(ctx, db); err != nil {
		return ctrl.Result{}, r.failed(ctx, db, "VolumeGrowthFailed", err)
	}

	obs, err := r.observe(ctx, db)
	if err != nil {
		return ctrl.Result{}, err
	}

	// Parameters after creation go through Patroni, which reloads or
	// marks for restart as PostgreSQL needs; its bootstrap section in the
	// ConfigMap only counts when the cluster is first created. With no
	// primary the configuration still goes to a member: a bad parameter
	// that keeps PostgreSQL from starting must be fixable by reverting the
	// commit. Patroni applies it on its next loop and only then marks
	// restarts, so until the next reconcile the change is still under way.
	configStep := ""
	if target := configTarget(obs); r.Patroni != nil && target != "" {
		changed, err := r.Patroni.syncConfig(ctx, db, target)
		if err != nil {
			return ctrl.Result{}, r.failed(ctx, db, "PatroniConfigFailed", err)
		}
		if changed {
			log.Info("parameters sent to Patroni", "member", target)
			configStep = "parameters sent to Patroni; waiting for the members to apply them"
		}
	}

	members := r.patroniMembers(ctx, log, db, &obs)
	step := handover
	if step == "" {
		if step, err = r.rollout(ctx, db, obs); err != nil {
			return ctrl.Result{}, r.failed(ctx, db, "RolloutFailed", err)
		}
	}
	if step == "" && r.Patroni != nil {
		if step, err = r.Patroni.restartPending(ctx, db, obs, members); err != nil {
			return ctrl.Result{}, r.failed(ctx, db, "RestartFailed", err)
		}
	}
	if step == "" {
		step = configStep
	}
	if step != "" {
		log.Info("rolling update", "step", step)
	}
	result, err := r.updateStatus(ctx, log, db, secrets, obs, step)
	if step != "" && err == nil {
		result.RequeueAfter = 5 * time.Second
	}
	return result, err
}

// updateStatus writes what the controller observed for this generation.
// Until every member is ready it asks to be called again, since readiness
// of members that never change (no event) must still be noticed.
// step, when not empty, is the change still under way, which status says.
func (r *Reconciler) updateStatus(ctx context.Context, log logr.Logger, db *v1alpha1.Database,
	secrets []string, obs observed, step string) (ctrl.Result, error) {
	before := db.Status.DeepCopy()

	status := &db.Status
	status.ObservedGeneration = db.Generation
	status.Revision = db.Annotations[AnnotationRevision]
	status.SecretNames = secrets
	status.Members = obs.members
	status.Primary = obs.primary
	status.PrimaryZone = zoneOfMember(obs)
	status.Timeline = obs.timeline
	status.ReadyMembers = countReady(obs.members)
	status.Ready = fmt.Sprintf("%d/%d", status.ReadyMembers, db.Spec.Replicas)
	status.Phase = phaseOf(db, obs)
	if step != "" {
		setCondition(db, ConditionReconciled, metav1.ConditionFalse, "Progressing", step)
	} else {
		setCondition(db, ConditionReconciled, metav1.ConditionTrue, "Applied", "the members of this generation are applied")
	}
	setReadyCondition(db)

	if err := r.writeStatus(ctx, db, before); err != nil {
		return ctrl.Result{}, err
	}
	if !equalStatus(before, status) {
		log.Info("status updated", "phase", status.Phase, "primary", status.Primary, "ready", status.Ready)
	}
	if status.Phase != v1alpha1.PhaseReady {
		return ctrl.Result{RequeueAfter: 10 * time.Second}, nil
	}
	return ctrl.Result{}, nil
}

// configTarget is the member to send configuration to: the primary, or
// any member when there is none.
func configTarget(obs observed) string {
	if obs.primary != "" || len(obs.members) == 0 {
		return obs.primary
	}
	return obs.members[0].Name
}

// patroniMembers reads Patroni's view of the members (timeline, lag,
// pending restarts) into obs; without it status simply lacks them.
func (r *Reconciler) patroniMembers(ctx context.Context, log logr.Logger, db *v1alpha1.Database, obs *observed) []clusterMember {
	if r.Patroni == nil || obs.primary == "" {
		return nil
	}
	members, err := r.Patroni.members(ctx, db, obs.primary)
	if err != nil {
		log.Info("replication lag unknown", "reason", err.Error())
		return nil
	}
	addReplication(obs, members)
	return members
}

// failed records a reconcile error in status and returns it for a retry.
func (r *Reconciler) failed(ctx context.Context, db *v1alpha1.Database, reason string, cause error) error {
	before := db.Status.DeepCopy()
	db.Status.ObservedGeneration = db.Generation
	setCondition(db, ConditionReconciled, metav1.ConditionFalse, reason, cause.Error())
	if err := r.writeStatus(ctx, db, before); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

func (r *Reconciler) writeStatus(ctx context.Context, db *v1alpha1.Database, before *v1alpha1.DatabaseStatus) error {
	if equalStatus(before, &db.Status) {
		return nil
	}
	if err := r.Client.Status().Update(ctx, db); err != nil {
		if apierrors.IsConflict(err) {
			return err // a newer generation is on its way; retry with it
		}
		return fmt.Errorf("writing status: %w", err)
	}
	return nil
}

func phaseOf(db *v1alpha1.Database, obs observed) v1alpha1.Phase {
	ready := countReady(obs.members)
	switch {
	case obs.primary != "" && ready == db.Spec.Replicas:
		return v1alpha1.PhaseReady
	case obs.primary != "":
		return v1alpha1.PhaseDegraded
	case len(obs.members) == 0:
		return v1alpha1.PhasePending
	}
	return v1alpha1.PhaseProvisioning
}

func setReadyCondition(db *v1alpha1.Database) {
	switch db.Status.Phase {
	case v1alpha1.PhaseReady:
		setCondition(db, ConditionReady, metav1.ConditionTrue, "Serving", "a primary serves writes and every member is ready")
	case v1alpha1.PhaseDegraded:
		setCondition(db, ConditionReady, metav1.ConditionFalse, "Degraded",
			fmt.Sprintf("a primary serves writes; %s members ready", db.Status.Ready))
	default:
		setCondition(db, ConditionReady, metav1.ConditionFalse, "NoPrimary",
			fmt.Sprintf("no primary elected yet; %s members ready", db.Status.Ready))
	}
}

func countReady(members []v1alpha1.MemberStatus) int32 {
	var n int32
	for _, m := range members {
		if m.Ready {
			n++
		}
	}
	return n
}

func zoneOfMember(obs observed) string {
	for _, m := range obs.members {
		if m.Name == obs.primary {
			return m.Zone
		}
	}
	return ""
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
