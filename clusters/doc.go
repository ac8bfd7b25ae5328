// Package clusters creates, reuses and deletes tidemark's multi-zone kind clusters
// through kind's Go library, or connects to an existing cluster by kubeconfig.
// The images come from clusters/images, the host preparation from clusters/host.
package clusters
