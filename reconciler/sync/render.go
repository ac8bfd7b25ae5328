package sync

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tidemark/tidemark/reconciler/apply"
	"github.com/tidemark/tidemark/specs"
	"github.com/tidemark/tidemark/specs/v1alpha1"
)

// render returns the objects a revision declares: its namespaces, then its
// Databases, each labelled as owned by this sync.
func render(rev *specs.Revision, syncName, revision string) ([]*unstructured.Unstructured, error) {
	var objects []*unstructured.Unstructured
	for _, ns := range namespacesOf(rev) {
		obj, err := toUnstructured(&corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: ownerLabels(syncName)},
		})
		if err != nil {
			return nil, err
		}
		objects = append(objects, obj)
	}

	for _, spec := range rev.Specs {
		obj, err := toUnstructured(databaseObject(spec, syncName, revision))
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", spec.File, err)
		}
		objects = append(objects, obj)
	}
	return objects, nil
}

func namespacesOf(rev *specs.Revision) []string {
	seen := map[string]bool{}
	var names []string
	for _, spec := range rev.Specs {
		if ns := spec.Database.Namespace; !seen[ns] {
			seen[ns] = true
			names = append(names, ns)
		}
	}
	sort.Strings(names)
	return names
}

// databaseObject is the Database as applied: the spec as written plus the
// labels and annotations that tie it to its sync, file and revision.
func databaseObject(spec specs.Spec, syncName, revision string) *v1alpha1.Database {
	db := spec.Database.DeepCopy()
	db.TypeMeta = metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Database"}

	labels := ownerLabels(syncName)
	for k, v := range spec.Database.Labels {
		labels[k] = v
	}
	db.Labels = labels

	annotations := map[string]string{AnnotationSourceFile: spec.File, AnnotationRevision: revision}
	for k, v := range spec.Database.Annotations {
		annotations[k] = v
	}
	db.Annotations = annotations
	return db
}

func ownerLabels(syncName string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedByValue, LabelSync: syncName}
}

func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	return apply.ToUnstructured(obj)
}
