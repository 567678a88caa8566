#!/usr/bin/env bash
# Issue 13: what `kubectl caps trace` costs the node, on the real local cluster, in one run:
#   - the trace agent's CPU time and peak memory during a trace of WORKERS pods of the e2e
#     capworker image, each making capability checks every INTERVAL: read on the node from the
#     agent container's own cgroup (cpuacct.usage, memory.max_usage_in_bytes) and the agent
#     process's VmHWM, sampled every 0.2 s until it exits;
#   - how many capability checks per second the traced containers made (the trace's own counts).
# The eBPF program itself runs in the context of the task making the check, so its cost is charged
# to the workload, not to the agent: BenchmarkCapabilityCheck (make bench, as root) measures it
# per check, attached against detached.
#
#   KUBECONFIG=/tmp/k8s-run/admin.kubeconfig test/bench/trace-agent.sh
# Env: WORKERS (10), INTERVAL (10ms), FOR (60s), CTR_ADDRESS (the cluster's containerd socket),
#      IMAGES (a directory with capworker.tar from test/e2e/cluster/mkimages.sh; built when absent).
# Needs root on the node (it reads the agent's cgroup and /proc) and cgroup v1 (as this cluster).
set -euo pipefail
cd "$(dirname "$0")/../.."

export KUBECONFIG=${KUBECONFIG:-/tmp/k8s-run/admin.kubeconfig}
WORKERS=${WORKERS:-10}
INTERVAL=${INTERVAL:-10ms}
FOR=${FOR:-60s}
CTR_ADDRESS=${CTR_ADDRESS:-/tmp/k8s-run/containerd/containerd.sock}
NS=bench-trace-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
TMP=$(mktemp -d)

kubectl version >/dev/null 2>&1 || { echo "no cluster reachable with KUBECONFIG=$KUBECONFIG" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "trace-agent.sh reads the agent's cgroup on the node: run it as root" >&2; exit 2; }
cleanup() { kubectl delete namespace "$NS" --wait=false >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT

make -s build agent-image >/dev/null
ctr --address "$CTR_ADDRESS" -n k8s.io images import --all-platforms bin/kubectl-caps-agent.oci.tar >/dev/null
IMAGES=${IMAGES:-}
if [ -z "$IMAGES" ] || [ ! -f "$IMAGES/capworker.tar" ]; then
  IMAGES=$TMP/images
  test/e2e/cluster/mkimages.sh "$IMAGES" >/dev/null
fi
ctr --address "$CTR_ADDRESS" -n k8s.io images import "$IMAGES/capworker.tar" >/dev/null

kubectl create namespace "$NS" >/dev/null
kubectl apply -n "$NS" -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: capbench}
spec:
  replicas: $WORKERS
  selector: {matchLabels: {app: capbench}}
  template:
    metadata: {labels: {app: capbench}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: app
        image: docker.io/local/capworker:v1
        imagePullPolicy: Never
        env:
        - {name: CAPWORKER_INTERVAL, value: "$INTERVAL"}
        - {name: CAPWORKER_QUIET, value: "1"}
EOF
kubectl rollout status -n "$NS" deploy/capbench --timeout=300s >/dev/null

start=$(date +%s.%N)
bin/kubectl-caps trace -n "$NS" -l app=capbench --for "$FOR" -o json >"$TMP/trace.json" 2>"$TMP/trace.err" &
trace_pid=$!

# The agent: the host process running `kubectl-caps agent trace` for one of these containers.
ids=$(kubectl get pods -n "$NS" -l app=capbench -o jsonpath='{.items[*].status.containerStatuses[*].containerID}' | tr ' ' '\n' | sed 's|.*://||')
first_id=$(echo "$ids" | head -1)
agent=""
for _ in $(seq 1 600); do
  for d in /proc/[0-9]*; do
    if { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -q "kubectl-caps agent trace .*$first_id"; then agent=${d#/proc/}; break; fi
  done
  [ -n "$agent" ] && break
  kill -0 "$trace_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$agent" ] || { echo "the trace agent never ran:"; cat "$TMP/trace.err"; exit 1; }
mem_dir=/sys/fs/cgroup/memory$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$agent/cgroup")
cpu_dir=/sys/fs/cgroup/cpuacct$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' "/proc/$agent/cgroup")
[ -d "$cpu_dir" ] || cpu_dir=/sys/fs/cgroup/cpu,cpuacct$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' "/proc/$agent/cgroup")

# Sampled while the agent runs, and after it exited for as long as its cgroup is still there (the
# runtime removes it shortly after): the counters are cumulative, so the last reading holds the
# agent's final work (reading the map, naming frames, printing) too.
cpu_ns=0 mem_max=0 hwm=0 samples=0 after=0
while kill -0 "$agent" 2>/dev/null || { [ -r "$cpu_dir/cpuacct.usage" ] && [ "$after" -lt 150 ]; }; do
  kill -0 "$agent" 2>/dev/null || after=$((after + 1))
  v=$(cat "$cpu_dir/cpuacct.usage" 2>/dev/null || echo 0); [ "$v" -gt "$cpu_ns" ] && cpu_ns=$v
  v=$(cat "$mem_dir/memory.max_usage_in_bytes" 2>/dev/null || echo 0); [ "$v" -gt "$mem_max" ] && mem_max=$v
  v=$(awk '/^VmHWM:/ {print $2}' "/proc/$agent/status" 2>/dev/null || echo 0); [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
  samples=$((samples + 1))
  sleep 0.2
done
wait "$trace_pid" || { echo "trace failed:"; cat "$TMP/trace.err"; exit 1; }
end=$(date +%s.%N)

checks=$(python3 - "$TMP/trace.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
n = 0
for c in t["containers"]:
    for r in c.get("records", []):
        n += r["count"]
print(n)
PY
)
dur=${FOR%s}
left=$(kubectl get pods -n "$NS" -l app.kubernetes.io/component=node-agent -o name | wc -l)
printf 'trace agent on one node: %d capworker pods (checks every %s), --for %s, %d CPUs, load %s\n' "$WORKERS" "$INTERVAL" "$FOR" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)"
printf '  capability checks counted:        %d (%.0f per second)\n' "$checks" "$(echo "$checks / $dur" | bc -l)"
printf '  agent CPU time (its cgroup):      %.3f s over %.1f s of the agent (%.2f%% of one CPU)\n' "$(echo "$cpu_ns / 1000000000" | bc -l)" "$(echo "$end - $start" | bc -l)" "$(echo "$cpu_ns / 10000000 / ($end - $start)" | bc -l)"
printf '  agent memory peak (its cgroup):   %.1f MiB (memory.max_usage_in_bytes, page cache included)\n' "$(echo "$mem_max / 1048576" | bc -l)"
printf '  agent process peak RSS (VmHWM):   %.1f MiB\n' "$(echo "$hwm / 1024" | bc -l)"
printf '  samples: %d; agent pods left: %s\n' "$samples" "$left"
