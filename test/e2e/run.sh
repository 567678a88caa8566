#!/bin/bash
# `make e2e`: everything from a fresh clone on a Linux machine as root. Installs the missing Debian
# packages, builds (or reuses from the cache) the Kubernetes binaries, builds the test images,
# brings a single-node cluster up, runs the e2e suite against bin/kubectl-caps through the real
# kubectl, and takes the cluster down again on exit, whatever happened.
# If a cluster made by test/e2e/cluster/up.sh is already running, it is reused and left running.
# Environment: K8S_E2E_HOME (cache, default /var/tmp/kubectl-caps-e2e), K8S_RUN (cluster state,
# default /tmp/k8s-run), K8S_VERSION (default 1.33.13), E2E_RUN (go test -run filter),
# E2E_KEEP=1 (leave a cluster this run started up, for debugging).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
C=$HERE/cluster
. "$C/env.sh"

[ "$(uname -s)" = Linux ] || { echo "e2e: needs Linux (a real kubelet, containerd and runc run here)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "e2e: needs root (it runs containerd and the kubelet)" >&2; exit 1; }
[ -x "${E2E_PLUGIN:-$ROOT/bin/kubectl-caps}" ] || { echo "e2e: ${E2E_PLUGIN:-$ROOT/bin/kubectl-caps} missing; run make build" >&2; exit 1; }

"$C/deps.sh"
"$C/build.sh"
"$C/mkimages.sh" >/dev/null
# The node agent image (`make agent-image`), named as the plugin under test runs it by default:
# up.sh imports every archive in $K8S_IMAGES, also into a cluster it reuses.
AGENT_ARCHIVE=${E2E_AGENT_ARCHIVE:-$ROOT/bin/kubectl-caps-agent.oci.tar}
[ -f "$AGENT_ARCHIVE" ] || { echo "e2e: $AGENT_ARCHIVE missing; run make agent-image" >&2; exit 1; }
cp "$AGENT_ARCHIVE" "$K8S_IMAGES/kubectl-caps-agent.tar"
export E2E_KUBECTL=${E2E_KUBECTL:-$(command -v kubectl || echo "$K8S_BIN/kubectl")}

started=""
teardown() {
  local rc=$?
  if [ -n "$started" ] && [ -z "${E2E_KEEP:-}" ]; then
    "$C/down.sh" || rc=1
  elif [ -n "$started" ]; then
    echo "e2e: E2E_KEEP set; cluster left up. Take it down with $C/down.sh"
  fi
  exit $rc
}
healthy() {
  local c p
  for c in etcd kube-apiserver containerd kubelet; do
    p=$(cat "$K8S_RUN/pids/$c.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  done
  KUBECONFIG=$K8S_RUN/admin.kubeconfig timeout 20 "${E2E_KUBECTL:-kubectl}" get --raw /readyz >/dev/null 2>&1
}
if ls "$K8S_RUN"/pids/*.pid >/dev/null 2>&1 && healthy; then
  echo "e2e: reusing the cluster already running in $K8S_RUN (it stays up)"
else
  if [ -d "$K8S_RUN" ]; then
    # Left over from a run that was killed (processes gone, mounts and state still there).
    echo "e2e: $K8S_RUN holds a cluster that is not healthy; cleaning it up first"
    "$C/down.sh"
  fi
  started=1
fi
trap teardown EXIT
trap 'exit 130' INT TERM
"$C/up.sh"

export KUBECONFIG=$K8S_RUN/admin.kubeconfig
export E2E_PLUGIN=${E2E_PLUGIN:-$ROOT/bin/kubectl-caps}
cd "$ROOT"
go test -tags e2e -count=1 -timeout 40m -v ${E2E_RUN:+-run "$E2E_RUN"} ./test/e2e/
