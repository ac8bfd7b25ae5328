// Package e2e is the resilience suite: Ginkgo specs, one fault per file,
// run against a 3-zone kind cluster with PostgreSQL applied by tidemark
// from a Git repository the suite writes. The specs are behind the build
// tag e2e; `make e2e-smoke` and `make e2e` run them (see scenarios/README.md).
package e2e
