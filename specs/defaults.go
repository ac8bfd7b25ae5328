package specs

import "github.com/tidemark/tidemark/specs/v1alpha1"

// Defaults applied to fields a spec leaves out. The CRD schema carries the
// same defaults for engine and deletionPolicy so that objects created
// without tidemark agree.
const (
	DefaultEngine        = "postgres"
	DefaultRetentionFull = 7
)

// Default fills the fields a spec may leave out. It is idempotent.
func Default(db *v1alpha1.Database) {
	spec := &db.Spec

	if spec.Engine == "" {
		spec.Engine = DefaultEngine
	}
	if spec.Replicas == 0 {
		spec.Replicas = int32(max(len(spec.Zones), 1))
	}
	if spec.DeletionPolicy == "" {
		spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	}
	if spec.Backups != nil && spec.Backups.Retention.Full == 0 {
		spec.Backups.Retention.Full = DefaultRetentionFull
	}
}
