#!/bin/bash
# Builds kube-apiserver, kubelet, kube-controller-manager and kube-scheduler (and kubectl when none
# is on PATH) from the k8s.io/kubernetes Go module, served by the Go module proxy, into a cache
# keyed by version: $K8S_E2E_HOME/k8s/v$K8S_VERSION/bin. Binaries already there are kept.
# Cold: about 7 minutes of CPU on 2 cores (longer when the machine is shared), ~150 MB of module
# downloads, ~3 GB of Go build cache under $K8S_E2E_HOME, ~2 GiB peak RSS.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
mkdir -p "$K8S_SRC" "$K8S_BIN"
export GOMODCACHE=${GOMODCACHE_E2E:-$K8S_E2E_HOME/gomod} GOCACHE=${GOCACHE_E2E:-$K8S_E2E_HOME/gocache}
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
COMPONENTS="kube-apiserver kubelet kube-controller-manager kube-scheduler"
command -v kubectl >/dev/null || COMPONENTS="$COMPONENTS kubectl"

# Reuse binaries of the same version built elsewhere in the cache (e.g. by an older unkeyed
# layout, $K8S_E2E_HOME/bin): hard links, no copy.
for c in $COMPONENTS; do
  [ -x "$K8S_BIN/$c" ] && continue
  for old in "$K8S_E2E_HOME/bin/$c"; do
    if [ -x "$old" ] && "$old" --version 2>/dev/null | grep -qx "Kubernetes v$K8S_VERSION"; then
      ln "$old" "$K8S_BIN/$c" 2>/dev/null || cp "$old" "$K8S_BIN/$c"
      echo "build: reused $old (v$K8S_VERSION)"
    fi
  done
done

need=""; for c in $COMPONENTS; do [ -x "$K8S_BIN/$c" ] || need="$need $c"; done
[ -n "$need" ] || { echo "build: Kubernetes v$K8S_VERSION binaries present in $K8S_BIN"; exit 0; }
command -v go >/dev/null || { echo "build: needs Go (https://go.dev/dl) to build$need" >&2; exit 1; }

MINOR=${K8S_VERSION#*.}; MINOR=${MINOR%%.*}; PATCH=${K8S_VERSION##*.}
cd "$K8S_SRC"
if [ ! -f go.sum ]; then
  rm -f go.mod deps.go
  go mod init k8sbuild >/dev/null 2>&1
  {
    echo 'package k8sbuild'; echo; echo 'import ('
    for c in kube-apiserver kube-controller-manager kube-scheduler kubelet; do echo "	_ \"k8s.io/kubernetes/cmd/$c/app\""; done
    echo '	_ "k8s.io/kubectl/pkg/cmd"'
    echo ')'
  } > deps.go
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them in its own go.mod,
  # which a dependent module does not inherit: pin each one to the matching v0.MINOR.PATCH.
  for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
           cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
           cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms \
           kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics \
           mount-utils pod-security-admission sample-apiserver; do
    go mod edit -replace "k8s.io/$m=k8s.io/$m@v0.$MINOR.$PATCH"
  done
  go mod edit -require "k8s.io/kubernetes@v$K8S_VERSION"
  go mod tidy
fi
LD="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$MINOR -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$MINOR"
for c in $need; do
  echo "build: $c v$K8S_VERSION ($(date +%T))"
  # Build to a temporary name first: an interrupted build must not leave a binary that looks cached.
  go build -ldflags "$LD" -o "$K8S_BIN/.$c.tmp" "k8s.io/kubernetes/cmd/$c"
  mv "$K8S_BIN/.$c.tmp" "$K8S_BIN/$c"
done
echo "build: built$need into $K8S_BIN"
