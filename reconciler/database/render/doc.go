// Package render turns a Database into the Kubernetes objects that run it:
// Patroni's RBAC and configuration, the Services, the StatefulSet, the
// PodDisruptionBudget and the NetworkPolicy. Rendering is pure: the same
// Database and Options always give the same objects, which golden files
// check without a cluster.
//
// Secrets are not rendered here: they are generated once in the cluster
// and never overwritten, so they cannot be part of a repeatable render.
package render
