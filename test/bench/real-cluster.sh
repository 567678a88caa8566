#!/usr/bin/env bash
# Real-cluster comparison for issue 6: on the same pods, in one run,
#   1. kubectl caps show (through the real kubectl, plugin on PATH)
#   2. a sequential loop of `kubectl exec POD -c C -- capsh --print` (what users do today)
#   3. the same with xargs -P$CONCURRENCY
#   4. the floor: one no-op exec per container at the same concurrency from one Go client
#      (test/bench/execfloor, same exec path as show)
# and prints ratios. It creates a namespace bench-<random>, runs $PODS pods of $CONTAINERS
# containers of the local capsh image (../shared/cluster), and deletes the namespace on exit.
#
#   KUBECONFIG=/tmp/k8s-run/admin.kubeconfig test/bench/real-cluster.sh
# Env: PODS (20), CONTAINERS per pod (2), CONCURRENCY (16), IMAGE (docker.io/local/capsh:v1),
#      RUNS of each measurement, best kept (3).
set -euo pipefail
cd "$(dirname "$0")/../.."

export KUBECONFIG=${KUBECONFIG:-/tmp/k8s-run/admin.kubeconfig}
PODS=${PODS:-20}
CONTAINERS=${CONTAINERS:-2}
CONCURRENCY=${CONCURRENCY:-16}
IMAGE=${IMAGE:-docker.io/local/capsh:v1}
RUNS=${RUNS:-3}
NS=bench-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')

kubectl version >/dev/null 2>&1 || { echo "no cluster reachable with KUBECONFIG=$KUBECONFIG" >&2; exit 2; }
make -s build
export PATH="$PWD/bin:$PATH"
go build -o bin/execfloor ./test/bench/execfloor

cleanup() { kubectl delete namespace "$NS" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT
kubectl create namespace "$NS" >/dev/null

containers_yaml() {
  for c in $(seq 0 $((CONTAINERS - 1))); do
    printf '  - name: c%s\n    image: %s\n    imagePullPolicy: Never\n    command: ["sleep", "1000000"]\n' "$c" "$IMAGE"
  done
}
for i in $(seq 1 "$PODS"); do
  printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%03d\n  namespace: %s\n  labels: {app: capsbench}\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n%s\n---\n' \
    "$i" "$NS" "$(containers_yaml)"
done | kubectl apply -f - >/dev/null
kubectl wait -n "$NS" --for=condition=Ready pod --all --timeout=300s >/dev/null

total=$((PODS * CONTAINERS))
targets=$(for p in $(kubectl get pods -n "$NS" -o name); do
  for c in $(seq 0 $((CONTAINERS - 1))); do echo "${p#pod/} c$c"; done
done)

# best of RUNS wall times, in seconds, of the command given
best() {
  local best=""
  for _ in $(seq 1 "$RUNS"); do
    local s e t
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%.3f' "$best"
}
show() { kubectl caps show -n "$NS" --concurrency "$CONCURRENCY"; }
sequential() { echo "$targets" | while read -r p c; do kubectl exec -n "$NS" "$p" -c "$c" -- capsh --print; done; }
parallel() { echo "$targets" | xargs -P "$CONCURRENCY" -L1 sh -c 'kubectl exec -n "$0" "$1" -c "$2" -- capsh --print' "$NS"; }
floor() { bin/execfloor -n "$NS" -concurrency "$CONCURRENCY"; }

t_show=$(best show)
t_seq=$(best sequential)
t_par=$(best parallel)
t_floor=$(best floor)

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
echo "real cluster: $total containers ($PODS pods x $CONTAINERS), concurrency $CONCURRENCY, best of $RUNS, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-44s %8s  %s\n' "method" "wall s" "vs show"
printf '%-44s %8s  %s\n' "kubectl caps show" "$t_show" "1.00"
printf '%-44s %8s  %s\n' "sequential kubectl exec -- capsh --print" "$t_seq" "$(ratio "$t_seq" "$t_show")"
printf '%-44s %8s  %s\n' "xargs -P$CONCURRENCY kubectl exec -- capsh --print" "$t_par" "$(ratio "$t_par" "$t_show")"
printf '%-44s %8s  %s\n' "no-op exec floor (Go client, same concurrency)" "$t_floor" "$(ratio "$t_floor" "$t_show")"
echo
echo "targets: show >= 3x faster than the sequential loop: $(ratio "$t_seq" "$t_show")x; show within 1.3x of the floor: $(ratio "$t_show" "$t_floor")x"
