package render

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// Options are the cluster-wide choices rendering needs besides the spec.
type Options struct {
	// Image is the PostgreSQL + Patroni + pgBackRest image.
	Image string
	// ImagePullPolicy is IfNotPresent for images loaded into kind nodes.
	ImagePullPolicy string
	// NodePort, when not 0, exposes the rw Service on every node at that
	// port (kind maps it to 127.0.0.1 on the host).
	NodePort int32
	// Patroni's timing; see docs/architecture.md for the trade-off.
	TTL, LoopWait, RetryTimeout int
}

// DefaultImage is the database image as the project's image pipeline tags it.
const DefaultImage = "tidemark.local/postgres:15"

// DefaultOptions are tuned to elect a new leader within about 15 s when the
// leader's node freezes, at the cost of a DCS write every 3 s per member.
func DefaultOptions() Options {
	return Options{Image: DefaultImage, ImagePullPolicy: "IfNotPresent", TTL: 12, LoopWait: 3, RetryTimeout: 4}
}

// All renders every object of db, in the order they should be applied.
func All(db *v1alpha1.Database, opts Options) ([]client.Object, error) {
	config, err := patroniConfigMap(db, opts)
	if err != nil {
		return nil, err
	}
	return []client.Object{
		serviceAccount(db),
		role(db),
		roleBinding(db),
		config,
		readWriteService(db, opts),
		patroniConfigService(db),
		readOnlyService(db),
		membersService(db),
		statefulSet(db, opts),
		podDisruptionBudget(db),
		networkPolicy(db),
	}, nil
}

// labels are on every object of db; selectorLabels select its pods.
func labels(db *v1alpha1.Database) map[string]string {
	l := selectorLabels(db)
	l[LabelName] = "postgresql"
	l[LabelManagedBy] = "tidemark"
	return l
}

func selectorLabels(db *v1alpha1.Database) map[string]string {
	return map[string]string{LabelInstance: db.Name, LabelDatabase: db.Name}
}

func objectMeta(db *v1alpha1.Database, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       db.Namespace,
		Labels:          labels(db),
		OwnerReferences: []metav1.OwnerReference{ownerReference(db)},
	}
}

func ownerReference(db *v1alpha1.Database) metav1.OwnerReference {
	controller := true
	return metav1.OwnerReference{
		APIVersion: v1alpha1.GroupVersion.String(),
		Kind:       "Database",
		Name:       db.Name,
		UID:        db.UID,
		Controller: &controller,
	}
}
