package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the API group and version of every tidemark kind.
var GroupVersion = schema.GroupVersion{Group: "tidemark.dev", Version: "v1alpha1"}

var (
	// SchemeBuilder registers the tidemark kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the tidemark kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// DatabaseGVK is the group, version and kind of a Database.
var DatabaseGVK = GroupVersion.WithKind("Database")

func init() {
	SchemeBuilder.Register(&Database{}, &DatabaseList{})
}

// Kind returns a Group-qualified GroupKind for the kind name.
func Kind(kind string) schema.GroupKind {
	return GroupVersion.WithKind(kind).GroupKind()
}

var _ runtime.Object = &Database{}
