# kubectl-caps developer entry points. `make test` is what CI runs (see .ci/run).
GO       ?= go
BIN      := bin/kubectl-caps
PKG      := ./cmd/kubectl-caps
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X github.com/kubectl-caps/kubectl-caps/plugin/version.Version=$(VERSION) \
            -X github.com/kubectl-caps/kubectl-caps/plugin/version.Commit=$(COMMIT) \
            -X github.com/kubectl-caps/kubectl-caps/plugin/version.Date=$(DATE)
PREFIX   ?= /usr/local
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

# Tools come from the Go module proxy at pinned versions into a cache keyed by version, so a
# fresh machine installs exactly these and later runs reuse them.
TOOLS_DIR           ?= $(HOME)/.cache/kubectl-caps-tools
STATICCHECK_VERSION := v0.8.2
XTOOLS_VERSION      := v0.52.0
STATICCHECK         := $(TOOLS_DIR)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
DEADCODE            := $(TOOLS_DIR)/deadcode-$(XTOOLS_VERSION)/deadcode

.PHONY: all build install test unit cross lint e2e bench tidy-check

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) $(PKG)

# Puts kubectl-caps on PATH so that `kubectl caps` works through the real kubectl.
install: build
	install -m 0755 $(BIN) $(PREFIX)/bin/kubectl-caps

# The whole quick suite: vet, unit + golden + command tests, the real-kubectl dispatch tests,
# and a compile check for every release platform.
test: lint unit cross

unit: build
	KUBECTL_CAPS_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 ./...

cross:
	@for p in $(PLATFORMS); do \
	  echo "build $$p"; \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null $(PKG) || exit 1; \
	done

# gofmt, go vet (also with the e2e and krew tags), staticcheck, and deadcode over the tests too.
# The analysers are pinned and installed from the Go module proxy into TOOLS_DIR like the release
# tools. deadcode cannot see fakeapi's Example (a doc example that needs kubectl, so it is not run);
# it is the one function allowed to stay unreached.
DEADCODE_ALLOWED := test/fakeapi/example_test.go:.*: unreachable func: Example$$
lint: $(STATICCHECK) $(DEADCODE)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/e2e/
	$(GO) vet -tags krew ./test/krew/
	$(GO) vet -tags browser ./test/browser/
	$(STATICCHECK) ./...
	@out=$$($(DEADCODE) -test ./... | grep -Ev '$(DEADCODE_ALLOWED)'); \
	  if [ -n "$$out" ]; then echo "deadcode: unreachable code:"; echo "$$out"; exit 1; fi

tidy-check:
	$(GO) mod tidy && git diff --exit-code go.mod go.sum

# Short fuzzing of every parser: each target for FUZZTIME. New crashers land in the
# package's testdata/fuzz/ and then run as regular tests in `make unit`.
FUZZTIME ?= 10s
FUZZ_TARGETS := plugin/reading:FuzzParseStatus plugin/reading:FuzzParseCapsh \
                plugin/reading:FuzzParseNetSockets plugin/capset:FuzzParseHex \
                plugin/capset:FuzzParseName plugin/termsafe:FuzzClean plugin/probe:FuzzParse \
                plugin/harden:FuzzHarden plugin/containerid:FuzzFromCgroup plugin/containerid:FuzzParse \
                plugin/filecap:FuzzParse plugin/nodereading:FuzzDecode
.PHONY: fuzz
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=./$${t%%:*}; fn=$${t#*:}; \
	  echo "fuzz $$fn ($$pkg, $(FUZZTIME))"; \
	  $(GO) test $$pkg -run "^$$fn\$$" -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

# The HTML page of `show -o html` in a real headless Chromium (Debian's chromium package; CHROMIUM=
# names another binary): loads from a file with no console error and no request, rows, heatmap
# cells, filtering, a hostile process name, and a screenshot in bin/browser/ to look at.
.PHONY: browser-test
browser-test:
	$(GO) test -tags browser -count=1 -v ./test/browser/

# End-to-end suite on a real single-node cluster (Linux, root, ~7 min cold build of the Kubernetes
# binaries, cached in /var/tmp/kubectl-caps-e2e). See CONTRIBUTING.md and test/e2e/README.md.
e2e: build agent-image
	$(GO) vet -tags e2e ./test/e2e/
	test/e2e/run.sh

# Speed at scale: every package's Go benchmarks (as root they include the cost per capability
# check with the trace program attached vs not, capstrace's BenchmarkCapabilityCheck, and the
# trace agent's CPU and peak memory as a process, traceagent's BenchmarkAgentTrace), then
# `show -A -o json` as a subprocess
# against test/fakeapi holding 1,000 / 5,000 / 10,000 containers whose execs answer after 50 ms.
# Results and how to read them: docs/performance.md. E.g. BENCH_SCALE_FLAGS='-containers 1000 -v'.
BENCH_SCALE_FLAGS ?=
.PHONY: bench-real
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./test/bench/scale -bin $(BIN) $(BENCH_SCALE_FLAGS)

# The same comparison on the real local cluster (test/e2e/cluster/up.sh, KUBECONFIG set), then
# the trace agent's CPU and memory on the node during a trace (issue 13; root).
bench-real: build
	test/bench/real-cluster.sh
	test/bench/trace-agent.sh

# --- eBPF (issue 13) -----------------------------------------------------------------------------
# The capability-check program is compiled by bpf2go (the version in go.mod, a `tool` there) with
# clang; the objects and their Go files are committed so `go build` needs no clang. bpf2go runs
# in the source's own directory so that the path recorded in the object's BTF line info is the
# same wherever the tree lives (byte-reproducible). bpf-check compiles a copy in a temporary
# directory and fails if the committed objects differ from their source.
BPF_DIR      := plugin/trace/capbpf
BPF_SRC      := capable.bpf.c capcore.h
BPF_OUT      := capable_x86_bpfel.o capable_x86_bpfel.go capable_arm64_bpfel.o capable_arm64_bpfel.go
BPF2GO_FLAGS := -go-package capbpf -tags linux -target amd64,arm64 -output-stem capable \
                -cc clang -strip llvm-strip -no-global-types -type check_key -type check_val \
                -cflags '-O2 -g -Wall -Werror'
.PHONY: bpf bpf-check
bpf:
	cd $(BPF_DIR) && $(GO) tool bpf2go $(BPF2GO_FLAGS) Capable capable.bpf.c

bpf-check:
	@bpf2go=$$($(GO) tool -n bpf2go) && tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for f in $(BPF_SRC); do cp $(BPF_DIR)/$$f "$$tmp/"; done && \
	(cd "$$tmp" && "$$bpf2go" $(BPF2GO_FLAGS) Capable capable.bpf.c) && \
	for f in $(BPF_OUT); do \
	  cmp -s "$$tmp/$$f" $(BPF_DIR)/$$f || { echo "$(BPF_DIR)/$$f does not match its source: run make bpf"; exit 1; }; \
	done && echo "bpf-check: committed eBPF objects match $(BPF_DIR)/capable.bpf.c"

# --- Node agent image (issue 12) -----------------------------------------------------------------
# `show --via node` runs the plugin's own static binary as `kubectl-caps agent read` in a pod. This
# builds that image as an OCI archive (no Docker daemon needed) named with exactly the reference
# bin/kubectl-caps runs by default (`kubectl caps version`: <repository>:<version tag>), so
# importing it into a node's containerd is all a test cluster needs. AGENT_ARCHES='amd64 arm64'
# builds a multi-arch index; the release publishes that image with goreleaser.
AGENT_ARCHES  ?= $(shell $(GO) env GOARCH)
AGENT_ARCHIVE := bin/kubectl-caps-agent.oci.tar
CTR           ?= ctr --address /tmp/k8s-run/containerd/containerd.sock -n k8s.io
.PHONY: agent-image agent-image-import
agent-image: build
	@set -e; bins=; for a in $(AGENT_ARCHES); do \
	  echo "build linux/$$a agent"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$a $(GO) build -ldflags '$(LDFLAGS)' -o bin/agent/linux_$$a/kubectl-caps $(PKG); \
	  bins="$$bins -binary linux/$$a=bin/agent/linux_$$a/kubectl-caps"; \
	done; \
	$(GO) run ./test/tools/ociimage -ref-from $(BIN) -out $(AGENT_ARCHIVE) $$bins; \
	echo "$(AGENT_ARCHIVE): $$($(BIN) version -o json | sed -n 's/.*"agentImage": "\(.*\)".*/\1/p')"

# Imports the archive into the local e2e cluster's containerd (test/e2e/cluster).
agent-image-import: agent-image
	$(CTR) images import --all-platforms $(AGENT_ARCHIVE)

# --- Release and krew -------------------------------------------------------------------------
# Release tools come from the Go module proxy at pinned versions into a cache keyed by version,
# so a fresh machine installs exactly these and later runs reuse them. (goreleaser newer than
# v2.15.1 needs a newer Go than the one here.)
GORELEASER_VERSION     := v2.15.1
KREW_VERSION           := v0.4.3
GORELEASER             := $(TOOLS_DIR)/goreleaser-$(GORELEASER_VERSION)/goreleaser
KREW                   := $(TOOLS_DIR)/krew-$(KREW_VERSION)/krew
VALIDATE_KREW_MANIFEST := $(TOOLS_DIR)/krew-$(KREW_VERSION)/validate-krew-manifest
KUBECTL                ?= $(shell command -v kubectl)

.PHONY: release-snapshot krew-test release-tools

release-tools: $(GORELEASER) $(KREW) $(VALIDATE_KREW_MANIFEST)

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(DEADCODE):
	GOBIN=$(dir $@) $(GO) install golang.org/x/tools/cmd/deadcode@$(XTOOLS_VERSION)

$(GORELEASER):
	GOBIN=$(dir $@) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

$(KREW) $(VALIDATE_KREW_MANIFEST) &:
	GOBIN=$(dir $(KREW)) $(GO) install sigs.k8s.io/krew/cmd/krew@$(KREW_VERSION) \
	  sigs.k8s.io/krew/cmd/validate-krew-manifest@$(KREW_VERSION)

# Builds every release archive and the checksums file into dist/, publishing nothing.
# goreleaser reads the commit only if `git ls-remote --get-url` answers; in a clone without a
# remote (a git worktree, a CI copy) it would stamp "none", so name the real one for git alone.
RELEASE_GIT_ENV := $(if $(shell git remote 2>/dev/null),,GIT_CONFIG_COUNT=1 \
  GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/kubectl-caps/kubectl-caps.git)
release-snapshot: $(GORELEASER)
	$(GORELEASER) check
	$(RELEASE_GIT_ENV) $(GORELEASER) release --snapshot --clean --skip=docker

# Renders krew/caps.yaml for the snapshot archives, validates it, installs it with a real krew
# into a temporary KREW_ROOT and runs the plugin through the real kubectl (test/krew). Slow, so
# not part of `make test`; .ci/run runs it.
krew-test: release-snapshot $(KREW) $(VALIDATE_KREW_MANIFEST)
	$(GO) vet -tags krew ./test/krew/
	KREW_BIN=$(KREW) VALIDATE_KREW_MANIFEST=$(VALIDATE_KREW_MANIFEST) KUBECTL=$(KUBECTL) \
	  DIST=$(CURDIR)/dist $(GO) test -tags krew -count=1 -v ./test/krew/
