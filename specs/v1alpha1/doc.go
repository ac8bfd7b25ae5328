// Package v1alpha1 holds the tidemark.dev/v1alpha1 API: the Database kind
// that a config repo declares and the database controller serves.
//
// +kubebuilder:object:generate=true
// +groupName=tidemark.dev
package v1alpha1
