// Package bench compares tidemark's apply with `kubectl apply --server-side`
// on a real kube-apiserver: 10, 100 and 1,000 Database specs, first apply
// and no-op re-apply, with wall time, API writes (counted by the API server
// itself) and peak RSS side by side. Both tools run as child processes:
// kubectl is the one built beside the API server, tidemark is built from
// this module's working tree when the benchmark starts. Run it with
// `make bench`.
package bench
