# SF Food Trucks — one Pulumi program (Go) for a local Docker stack (dev) and AWS ECS Fargate (prod).
# `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
STACK    ?= dev
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.revision=$(REVISION)
IMAGE    ?= foodtrucks-web:dev
FUZZTIME ?= 10s
SAMPLE_DATA ?= $(abspath $(CURDIR)/../shared/data)

# State and secrets (infra/README.md, "State and secrets"): Pulumi.yaml names the
# backend (backend.url: file://. — the .pulumi/ folder at the repository root),
# so these targets and `pulumi ... -s dev` typed by hand use the same stacks,
# no login needed; PULUMI_BACKEND_URL, when set, wins for both. The dev
# stack's passphrase is empty (its salt is committed in Pulumi.dev.yaml); the
# prod stack's is yours. infra/tools/pulumi/run.sh sets both and explains
# state and passphrase errors.
PULUMI_RUN := bash infra/tools/pulumi/run.sh
export PULUMI_SKIP_UPDATE_CHECK := true
# The Go language host names every provider SDK in go.mod as required, so a
# dev run would first download the AWS provider plugin (about 140 MB, over
# 600 MB unpacked) that it never loads. This flag lets the engine fetch only
# the plugins the program actually uses (Docker).
DEV_PLUGINS := --skip-plugin-pre-install
# The dev stack never deploys to AWS: built with the localonly tag, the
# program leaves the AWS SDK out, which takes more than half the CPU time
# and about three quarters of the memory off its first compile
# (infra/README.md, "First run", says how to measure it).
DEV_BUILD := GOFLAGS=-tags=localonly
# With localDevMode the dev web containers run the server built on the host:
# up and preview build it first (make dev-build), as the program needs it.
DEV_MODE_BUILD = @if [ "$$($(PULUMI_RUN) dev config get localDevMode --stack dev 2>/dev/null)" = true ]; \
  then $(MAKE) --no-print-directory dev-build; fi
# Answer destroy's question in advance (scripts, no terminal): make destroy YES=1
YES ?=

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

## ---- deploy ----

.PHONY: pulumi
pulumi: ## Use the pulumi on PATH, or build the Pulumi CLI from source into .cache/pulumi (cold: minutes)
	@bash infra/tools/pulumi/build.sh

.PHONY: up
up: pulumi ## Deploy the dev stack on the local Docker engine and print the app URL
	$(PULUMI_RUN) dev ready
	$(DEV_MODE_BUILD)
	$(DEV_BUILD) $(PULUMI_RUN) dev up --stack dev --yes $(DEV_PLUGINS)
	@echo; echo "SF Food Trucks is at: $$($(PULUMI_RUN) dev stack output url --stack dev)"

.PHONY: preview
preview: pulumi ## Show what `up` would change (STACK=dev|prod)
	$(PULUMI_RUN) $(STACK) ready
	$(if $(filter dev,$(STACK)),$(DEV_MODE_BUILD))
	$(if $(filter dev,$(STACK)),$(DEV_BUILD)) $(PULUMI_RUN) $(STACK) preview --stack $(STACK) $(if $(filter dev,$(STACK)),$(DEV_PLUGINS))

# --run-program: the program runs with today's config, so retainData set
# since the last `up` still keeps the data volume (without it, Pulumi uses
# what the last `up` recorded).
.PHONY: destroy
destroy: pulumi ## Remove everything the stack made (STACK=dev|prod); asks first (YES=1: does not)
	$(if $(filter dev,$(STACK)),$(DEV_BUILD)) $(PULUMI_RUN) $(STACK) destroy --stack $(STACK) --run-program $(if $(filter dev,$(STACK)),$(DEV_PLUGINS)) $(if $(YES),--yes)

.PHONY: up-prod
up-prod: pulumi ## Deploy the prod stack on AWS (ECS Fargate); generates the ES password on first use; asks first (YES=1: does not)
	$(PULUMI_RUN) prod ready
	@test -n "$$($(PULUMI_RUN) prod config get esPassword --stack prod 2>/dev/null)" || { \
	  head -c 24 /dev/urandom | base64 | tr -d '/+=' | $(PULUMI_RUN) prod config set --secret esPassword --stack prod; \
	  echo "generated the Elasticsearch password (stack secret esPassword)"; }
	$(PULUMI_RUN) prod up --stack prod $(if $(YES),--yes)
	@echo; echo "SF Food Trucks is at: $$($(PULUMI_RUN) prod stack output url --stack prod)"

## ---- build and run ----

bin/foodtrucks: $(shell find webapp -name '*.go' -o -path 'webapp/ui/static/*' -type f 2>/dev/null) go.mod go.sum
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $@ ./webapp

.PHONY: build
build: bin/foodtrucks ## Build the web app binary into bin/

.PHONY: run
run: ## Run the web app on the host (ES_URL defaults to http://localhost:9200)
	ES_URL=$${ES_URL:-http://localhost:9200} PORT=$${PORT:-5000} $(GO) run ./webapp serve

# BuildKit is required (stage skipping, cache mounts): Docker 23+ clients have it
# through the buildx plugin, 20.10 clients built in (with DOCKER_BUILDKIT=1). Use
# whichever docker client on this machine can do it.
DOCKER_BUILD ?= $(shell docker buildx version >/dev/null 2>&1 && echo docker || { \
  for d in $$(which -a docker) /usr/bin/docker; do \
    v=$$($$d version --format '{{.Client.Version}}' 2>/dev/null); \
    [ -n "$$v" ] && [ "$${v%%.*}" -lt 23 ] && { echo $$d; exit 0; }; \
  done; echo docker; })

.PHONY: image
image: ## Build the web image (foodtrucks-web:dev) from a host-built static binary; pulls nothing
	@mkdir -p bin
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/foodtrucks ./webapp
	cp /etc/ssl/certs/ca-certificates.crt bin/ca-certificates.crt
	# The root .dockerignore keeps bin/ out of the context (the dev stack's
	# image must not change with it), so this build sends its own: the
	# Dockerfile and the two files the offline path copies.
	tar -c webapp/Dockerfile bin/foodtrucks bin/ca-certificates.crt | DOCKER_BUILDKIT=1 $(DOCKER_BUILD) build \
	  --build-arg BINARY_SOURCE=prebuilt --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	  -f webapp/Dockerfile -t $(IMAGE) -
	@docker images $(IMAGE)

## ---- develop (localDevMode) ----

# With localDevMode=true the dev stack's web containers run the server built
# here, on the host, from DEV_SRC into DEV_BIN_DIR (bind-mounted at /dev-bin;
# their image holds no server of its own). A reload is a build and a
# `docker restart` of the same containers: no input of the stack changes, so
# Pulumi has nothing to replace and `make preview` shows no change.
DEV_SRC     ?= $(CURDIR)
DEV_BIN_DIR ?= $(CURDIR)/.cache/dev-bin
# The dev stack's running web containers, by the labels the stack gives them
# (project: Pulumi.yaml's name).
PROJECT        := $(shell awk '$$1 == "name:" { print $$2; exit }' Pulumi.yaml)
DEV_CONTAINERS ?= $$(docker ps -q --filter label=project=$(PROJECT) --filter label=stack=dev --filter label=component=web)

.PHONY: dev-build
dev-build: ## localDevMode: build the server the dev web containers run, on the host (make up does it)
	@mkdir -p $(DEV_BIN_DIR)
	cd $(DEV_SRC) && CGO_ENABLED=0 GOOS=linux GOARCH=$$(docker version --format '{{.Server.Arch}}') \
	  $(GO) build -trimpath -o $(DEV_BIN_DIR)/foodtrucks.new ./webapp
	mv -f $(DEV_BIN_DIR)/foodtrucks.new $(DEV_BIN_DIR)/foodtrucks

.PHONY: dev-reload
dev-reload: dev-build ## localDevMode: build the server on the host, restart the dev web containers with it
	@containers="$(DEV_CONTAINERS)"; \
	if [ -z "$$containers" ]; then echo "no running web container of the dev stack: make up with localDevMode=true first" >&2; exit 1; fi; \
	docker restart --time 10 $$containers >/dev/null

.PHONY: dev-watch
dev-watch: ## localDevMode: dev-reload each time a Go file under webapp/ is saved (Ctrl-C stops)
	@stamp=$$(mktemp); trap 'rm -f "$$stamp"' EXIT; echo "watching $(DEV_SRC)/webapp for Go edits"; \
	while sleep 0.3; do \
	  if [ -n "$$(find $(DEV_SRC)/webapp -name '*.go' ! -name '*_test.go' -newer "$$stamp" -print -quit)" ]; then \
	    touch "$$stamp"; \
	    if $(MAKE) --no-print-directory dev-reload DEV_SRC=$(DEV_SRC) DEV_BIN_DIR=$(DEV_BIN_DIR) DEV_CONTAINERS="$(DEV_CONTAINERS)"; \
	    then echo "reloaded at $$(date +%T)"; else echo "not reloaded; fix and save again"; fi; \
	  fi; \
	done

## ---- test ----

.PHONY: esnode
esnode: ## Build the Elasticsearch test node from its published jars (cached in .cache/)
	bash webapp/testkit/esnode/build.sh

.PHONY: test
test: esnode ## Run every test (unit, mocks, real Docker, real browser, real ES node, real Pulumi CLI) and a short fuzz pass
	@bash infra/tools/pulumi/build.sh --test
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 10s)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg; \
	  done; \
	done

E2E_ES_IMAGE ?= docker.elastic.co/elasticsearch/elasticsearch:8.19.21
E2E_ES_PORT  ?= 19200

.PHONY: e2e
e2e: ## Live suite against a real Elasticsearch from Docker (needs internet to pull it)
	docker rm -f foodtrucks-e2e-es >/dev/null 2>&1 || true
	docker run -d --name foodtrucks-e2e-es -p 127.0.0.1:$(E2E_ES_PORT):9200 \
	  -e discovery.type=single-node -e xpack.security.enabled=false \
	  -e ES_JAVA_OPTS="-Xms512m -Xmx512m" $(E2E_ES_IMAGE)
	@for i in $$(seq 1 90); do curl -fsS "http://127.0.0.1:$(E2E_ES_PORT)/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1 && break; sleep 2; done
	status=0; FOODTRUCKS_E2E_ES_URL=http://127.0.0.1:$(E2E_ES_PORT) ESNODE_URL=http://127.0.0.1:$(E2E_ES_PORT) \
	  $(GO) test -count=1 -v -run 'RealNode|RootDocument' ./webapp/ ./webapp/internal/search/ ./webapp/testkit/esnode/ || status=$$?; \
	  docker rm -f foodtrucks-e2e-es >/dev/null; exit $$status

.PHONY: bench
bench: ## Run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The search benchmark (webapp/README.md, "Benchmarks"): the real node, the sample
# data, the app as its own process and a load generator; BENCH_DURATION,
# BENCH_CONCURRENCY, BENCH_SCENARIOS (e.g. q=tacos,mix) bound it.
.PHONY: bench-search
bench-search: esnode ## Benchmark /search against the real node: req/s, p50/p99, CPU per request, app/ceiling
	FOODTRUCKS_SAMPLE_DATA=$(SAMPLE_DATA) $(GO) run ./webapp/testkit/benchsearch

.PHONY: lint
lint: ## gofmt, go vet, staticcheck and actionlint (the GitHub workflows)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

.PHONY: fmt
fmt: ## Format the Go code
	gofmt -w $$(git ls-files '*.go')

.PHONY: clean
clean: ## Remove build outputs (keeps Pulumi state and caches)
	rm -rf bin artifacts
