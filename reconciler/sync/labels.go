package sync

import "k8s.io/apimachinery/pkg/api/meta"

// Labels and annotations tidemark puts on every object a revision declares.
const (
	// LabelManagedBy marks objects tidemark applies.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of LabelManagedBy.
	ManagedByValue = "tidemark"
	// LabelSync names the sync (one config repo source) that owns an object.
	LabelSync = "tidemark.dev/sync"

	// AnnotationRevision is the commit that last changed an object.
	AnnotationRevision = "tidemark.dev/revision"
	// AnnotationSourceFile is the spec file that declares an object.
	AnnotationSourceFile = "tidemark.dev/source-file"
)

func isNoKindMatch(err error) bool {
	return err != nil && meta.IsNoMatchError(err)
}
