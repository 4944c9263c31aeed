# Strata — kubebuilder-style Makefile. `make` (or `make help`) lists the targets.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMG ?= ghcr.io/stratagql/strata:$(VERSION)
LDFLAGS := -s -w -X github.com/stratagql/strata/internal/version.Version=$(VERSION)

LOCALBIN := $(CURDIR)/bin
ENVTEST_K8S_VERSION ?= 1.37.2
ENVTEST_ETCD_VERSION ?= 3.7.0
ENVTEST_ASSETS := $(LOCALBIN)/k8s/$(ENVTEST_K8S_VERSION)
CONTROLLER_GEN_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.8.2
CONTROLLER_GEN := $(LOCALBIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
KUSTOMIZE := $(LOCALBIN)/kustomize-$(KUSTOMIZE_VERSION)
HELM_VERSION ?= v3.22.0
HELM := $(LOCALBIN)/helm-$(HELM_VERSION)
# helm's Makefile stamps its version and the Kubernetes version of its
# client-go modules (v0.37 = Kubernetes 1.37) at link time; go install does not.
HELM_LDFLAGS := -s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37 \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37
# Go test flags; TEST_FLAGS=-run=Foo narrows a run.
TEST_FLAGS ?=

.DEFAULT_GOAL := help
SHELL := /usr/bin/env bash -o pipefail

##@ General

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: build
build: ## Build the strata binary into bin/strata.
	CGO_ENABLED=0 go build -ldflags "$(LDFLAGS)" -o $(LOCALBIN)/strata .

.PHONY: run
run: build ## Quick start: ensure Postgres, create strata_demo, serve it on 127.0.0.1:8080.
	@hack/run-demo.sh

.PHONY: test
test: envtest ## Run every unit and integration test (real PostgreSQL, envtest) with the race detector.
	@export DATABASE_URL="$$(hack/ensure-postgres.sh)" && \
	export KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" && \
	go test -race -count=1 $(TEST_FLAGS) ./...

.PHONY: test-permissions-fuzz
test-permissions-fuzz: ## Run the permission fuzz at full size (STRATA_PERM_FUZZ_QUERIES, default 10000).
	@export DATABASE_URL="$$(hack/ensure-postgres.sh)" STRATA_PERM_FUZZ_QUERIES=$${STRATA_PERM_FUZZ_QUERIES:-10000} && \
	go test -count=1 -run TestPermissionFuzz -v ./engine/graphql/ | grep -E 'generated queries|LEAK|^(ok|FAIL|---)'

.PHONY: test-e2e
test-e2e: build cluster-binaries ## Run the end-to-end suite (test/e2e): a local cluster from source, the operator and engine binaries, kubectl.
	@export DATABASE_URL="$$(hack/ensure-postgres.sh)" STRATA_E2E=1 STRATA_BIN=$(LOCALBIN)/strata KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" && \
	go test -count=1 -timeout 15m -v $(TEST_FLAGS) ./test/e2e/... -args -ginkgo.no-color

.PHONY: test-clients
test-clients: build ## Check subscriptions through bin/strata with the real npm clients (graphql-ws, subscriptions-transport-ws; npm ci in test/clients) and the subscription benchmark's 20-subscriber smoke run.
	cd test/clients && npm ci --no-audit --no-fund
	@export DATABASE_URL="$$(hack/ensure-postgres.sh)" STRATA_BIN=$(LOCALBIN)/strata STRATA_CLIENTS_REQUIRED=1 && \
	go test -count=1 -v $(TEST_FLAGS) ./test/clients/ ./test/bench/subscriptions/

.PHONY: test-packaging
test-packaging: envtest helm kustomize ## Test the Helm chart, config/default and the Argo CD health checks against a real API server.
	@export STRATA_E2E=1 HELM="$(HELM)" KUSTOMIZE="$(KUSTOMIZE)" KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" KUBECTL="$(ENVTEST_ASSETS)/kubectl" && \
	go test -count=1 $(TEST_FLAGS) ./test/packaging/...

.PHONY: dev-cluster
dev-cluster: build cluster-binaries ## Start a local cluster with the operator, the CRDs, the demo database and config/samples (state in bin/dev-cluster).
	go build -o $(LOCALBIN)/localcluster ./test/localcluster/cmd/localcluster
	@K8S_BIN_DIR="$(ENVTEST_ASSETS)" hack/dev-cluster.sh up

.PHONY: dev-cluster-down
dev-cluster-down: ## Stop the local cluster of make dev-cluster and remove its state.
	@K8S_BIN_DIR="$(ENVTEST_ASSETS)" hack/dev-cluster.sh down

.PHONY: bench
bench: build ## Benchmark Strata vs the floor and peers on Chinook (BENCH_DURATION, BENCH_CLIENTS, BENCH_TARGETS, BENCH_QUERIES), then the Go micro-benchmarks.
	@export DATABASE_URL="$$(hack/ensure-postgres.sh)" && mkdir -p $(LOCALBIN)/bench && \
	go build -o $(LOCALBIN)/bench/bench ./test/bench && \
	go build -o $(LOCALBIN)/bench/loadgen ./test/bench/loadgen && \
	BENCH_LOADGEN=$(LOCALBIN)/bench/loadgen STRATA_BIN=$(LOCALBIN)/strata $(LOCALBIN)/bench/bench && \
	if [ "$${BENCH_MICRO:-1}" != 0 ]; then \
	  echo; echo "Go micro-benchmarks: go test -run '^$$' -bench . -benchmem ./engine/... (full output: bin/bench/micro.txt)"; \
	  go test -run '^$$' -bench . -benchmem ./engine/... > $(LOCALBIN)/bench/micro.txt 2>&1; rc=$$?; \
	  grep -E '^(pkg:|Benchmark|--- FAIL|FAIL|panic:)' $(LOCALBIN)/bench/micro.txt; exit $$rc; \
	fi

.PHONY: bench-subscriptions
bench-subscriptions: build ## Measure live queries over WebSocket on bin/strata, polling vs change-driven (BENCH_SUBSCRIBERS=10000, BENCH_GROUPS, BENCH_WRITES, BENCH_IDLE, BENCH_MODES).
	@export DATABASE_URL="$$(hack/ensure-postgres.sh)" && mkdir -p $(LOCALBIN)/bench && \
	go build -o $(LOCALBIN)/bench/subscriptions ./test/bench/subscriptions && \
	STRATA_BIN=$(LOCALBIN)/strata BENCH_LOG_DIR=$(LOCALBIN)/bench $(LOCALBIN)/bench/subscriptions

.PHONY: bench-operator
bench-operator: envtest ## Measure the operator's metadata path on envtest (test/bench/operator): change latency to an engine, 5,000 Tables (BENCH_OPERATOR_FLAGS).
	@export DATABASE_URL="$$(hack/ensure-postgres.sh)" KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" && \
	go run ./test/bench/operator $(BENCH_OPERATOR_FLAGS)

.PHONY: lint
lint: ## Check formatting (gofmt) and run go vet.
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and RBAC from the API types and markers.
	$(CONTROLLER_GEN) rbac:roleName=operator crd paths="./api/..." paths="./controllers/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	@rm -f charts/strata/crds/*.yaml && cp config/crd/bases/*.yaml charts/strata/crds/ && cp config/rbac/role.yaml charts/strata/files/operator-role.yaml
	@$(MAKE) --no-print-directory docs

.PHONY: docs
docs: ## Generate docs/crd-reference.md from the CRDs and API types.
	go run ./hack/crdref -crds config/crd/bases -out docs/crd-reference.md

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods for the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

##@ Build

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build --build-arg VERSION=$(VERSION) -t $(IMG) .

##@ Deployment

.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUSTOMIZE) build config/crd | kubectl apply --server-side -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Remove the CRDs from the cluster.
	$(KUSTOMIZE) build config/crd | kubectl delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy the operator (config/default) to the cluster.
	$(KUSTOMIZE) build config/default | kubectl apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize ## Remove the operator from the cluster.
	$(KUSTOMIZE) build config/default | kubectl delete --ignore-not-found -f -

##@ Tools (cached in bin/)

.PHONY: envtest
envtest: ## Build kube-apiserver, etcd and kubectl for envtest from the Go module proxy.
	@hack/build-envtest.sh $(ENVTEST_K8S_VERSION) $(ENVTEST_ETCD_VERSION) $(ENVTEST_ASSETS) >&2

.PHONY: cluster-binaries
cluster-binaries: ## Build envtest's binaries plus kube-controller-manager and kube-scheduler for the local cluster.
	@EXTRA_KUBE_CMDS="kube-controller-manager kube-scheduler" hack/build-envtest.sh $(ENVTEST_K8S_VERSION) $(ENVTEST_ETCD_VERSION) $(ENVTEST_ASSETS) >&2

.PHONY: controller-gen
controller-gen: ## Install controller-gen into bin/.
	@hack/go-install.sh sigs.k8s.io/controller-tools/cmd/controller-gen $(CONTROLLER_GEN_VERSION) $(CONTROLLER_GEN)

.PHONY: kustomize
kustomize: ## Install kustomize into bin/.
	@hack/go-install.sh sigs.k8s.io/kustomize/kustomize/v5 $(KUSTOMIZE_VERSION) $(KUSTOMIZE)

.PHONY: helm
helm: ## Install helm into bin/.
	@hack/go-install.sh helm.sh/helm/v3/cmd/helm $(HELM_VERSION) $(HELM) "$(HELM_LDFLAGS)"
