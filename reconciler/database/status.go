package database

import (
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// equalStatus compares statuses ignoring condition transition times, which
// SetStatusCondition keeps as long as the status does not change.
func equalStatus(a, b *v1alpha1.DatabaseStatus) bool {
	return equality.Semantic.DeepEqual(a, b)
}
