# tidemark: every target builds what it needs; caches live outside the repo
# (TIDEMARK_CACHE, default ~/.cache/tidemark; Go's own caches as usual).

GO          ?= go
BIN         ?= bin
TIDEMARK    := $(BIN)/tidemark
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X github.com/tidemark/tidemark/cmd/tidemark/app.version=$(VERSION)
CONTROLLER_GEN := $(GO) run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0

.PHONY: all build test unit lint bench generate testbin demo demo-down \
        images cluster cluster-down test-cluster e2e e2e-smoke

all: build

## build: the tidemark binary in ./bin
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(TIDEMARK) ./cmd/tidemark

## demo: the main job: a 3-zone kind cluster running the example config repo's databases
demo:
	./scripts/demo

## demo-down: stop the demo's tidemark and delete its cluster
demo-down:
	./scripts/demo-down

## test: unit and integration tests (builds kube-apiserver and etcd on first use)
test: testbin
	$(GO) test -count=1 -timeout 30m ./...

## unit: the tests that need no API server
unit:
	$(GO) test -count=1 ./specs/... ./reconciler/source/... ./reconciler/apply/... ./clusters/toolchain/...

## lint: formatting and vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./scenarios/...
	$(GO) vet -tags cluster ./clusters/clustertest/

## bench: apply 10, 100 and 1,000 specs with tidemark and with kubectl
bench: testbin
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./bench/

## generate: deepcopy and the CRD from the API types
generate:
	$(CONTROLLER_GEN) object paths=./specs/v1alpha1/...
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=./specs/v1alpha1/... output:crd:dir=./specs/crd

## testbin: kube-apiserver, etcd and kubectl built from Go modules into the cache
testbin:
	$(GO) run ./clusters/cmd/tmbuild testbin >/dev/null

# Cluster targets: everything is built from Debian packages and Go modules into
# TIDEMARK_CACHE and the local Docker engine; nothing is pulled. CLUSTER_FLAGS
# passes tmcluster flags, e.g. CLUSTER_FLAGS='-workers-per-zone 2' or
# CLUSTER_FLAGS='-kubeconfig /path/to/real/cluster' (then nothing is created).
TMCLUSTER     := $(GO) run ./clusters/cmd/tmcluster
CLUSTER_FLAGS ?=

## images: rootfs, component, infrastructure and node images (cached by input hash)
images:
	$(TMCLUSTER) images $(CLUSTER_FLAGS)

## cluster: the 3-zone kind cluster, reused when healthy; prints its kubeconfig path
cluster:
	$(TMCLUSTER) up $(CLUSTER_FLAGS)

## cluster-down: delete the kind cluster
cluster-down:
	$(TMCLUSTER) down $(CLUSTER_FLAGS)

## test-cluster: the end-to-end cluster test (Ginkgo label "cluster", build tag cluster)
test-cluster:
	TIDEMARK_KUBECONFIG=$$($(TMCLUSTER) up $(CLUSTER_FLAGS)) && export TIDEMARK_KUBECONFIG && \
	  $(GO) test -count=1 -v -tags cluster -timeout 30m ./clusters/clustertest/ \
	    -ginkgo.label-filter=cluster -ginkgo.v

## e2e-smoke: the resilience suite's smoke specs, one trial each, on the cluster tidemark-e2e
e2e-smoke:
	./scripts/e2e smoke

## e2e: every resilience scenario (nightly), TIDEMARK_E2E_REPEATS trials each (default 5)
e2e:
	./scripts/e2e nightly
