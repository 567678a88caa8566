#!/bin/bash
# Stops everything up.sh started (by recorded PID, never by name), removes the host state the
# kubelet, containerd and CNI created (mounts, netns, cni0, cgroups, KUBE-* iptables chains, host
# paths) unless it existed before up.sh ran, and wipes $K8S_RUN. The last logs are kept in
# $K8S_E2E_HOME/last-logs. Safe to run when nothing is up, and twice.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
R=$K8S_RUN
[ -d "$R" ] || { echo "down: nothing to do ($R does not exist)"; exit 0; }
[ -e "$R/preexisting" ] || [ -d "$R/pids" ] || { echo "down: $R was not made by up.sh; not touching it" >&2; exit 1; }
export KUBECONFIG=$R/admin.kubeconfig
[ -f "$R/cgroup-root" ] && K8S_CGROUP_ROOT=$(cat "$R/cgroup-root")
KUBECTL=${KUBECTL:-$(command -v kubectl || echo "$K8S_BIN/kubectl")}
pid() { cat "$R/pids/$1.pid" 2>/dev/null; }
alive() { [ -n "$(pid "$1")" ] && kill -0 "$(pid "$1")" 2>/dev/null; }
stop() { # name [half-seconds]
  alive "$1" || return 0
  local p; p=$(pid "$1"); kill -TERM "$p"
  for _ in $(seq 1 "${2:-20}"); do kill -0 "$p" 2>/dev/null || { echo "down: stopped $1 ($p)"; return 0; }; sleep 0.5; done
  kill -KILL "$p" 2>/dev/null; echo "down: killed $1 ($p)"
}
pre() { grep -qxF "$1" "$R/preexisting" 2>/dev/null; }

stop kube-scheduler
stop kube-controller-manager   # first, so controllers do not recreate the pods deleted below
# 1. Delete pods while the kubelet still runs: it stops the sandboxes, so CNI DEL removes the netns.
if alive kubelet && alive kube-apiserver; then
  if ! timeout 45 "$KUBECTL" delete pods --all -A --grace-period=1 --wait=true >/dev/null 2>&1; then
    # Containers still running are killed through containerd below, and leftover netns removed.
    echo "down: warn: pod deletion timed out; $("$KUBECTL" get pods -A --no-headers 2>/dev/null | wc -l) pods left"
  fi
fi
stop kubelet
# 2. Kill containers left in containerd, then containerd and the shims it started.
CTR="ctr --address $R/containerd/containerd.sock -n k8s.io"
if alive containerd; then
  for t in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  sleep 1
  for t in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks rm -f "$t" >/dev/null 2>&1; done
  for c in $($CTR containers ls -q 2>/dev/null); do $CTR containers rm "$c" >/dev/null 2>&1; done
fi
stop containerd
# Shims outlive containerd by design; ours are the ones whose -address is our socket.
for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $R/containerd/containerd.sock"); do
  echo "down: killing leftover shim $p"; kill -KILL "$p"; done
stop kube-apiserver
stop etcd
# 3. Host state created by the kubelet, containerd and CNI.
grep -F " $R/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
for ns in $(ls /run/netns 2>/dev/null | grep '^cni-'); do
  # CNI names them cni-<uuid>; those that existed before up.sh belong to someone else.
  pre "/run/netns/$ns" || ip netns delete "$ns"
done
pre link:cni0 || { ip link show cni0 >/dev/null 2>&1 && ip link delete cni0; }
for h in /sys/fs/cgroup/*$K8S_CGROUP_ROOT/kubepods /sys/fs/cgroup$K8S_CGROUP_ROOT/kubepods; do
  [ -d "$h" ] && ! pre "$h" && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null
done
if [ -n "$K8S_CGROUP_ROOT" ]; then
  for c in /sys/fs/cgroup/*/; do
    d="${c%/}$K8S_CGROUP_ROOT"
    [ -d "$d" ] && ! pre "$d" && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
fi
for ipt in iptables ip6tables; do  # chains the kubelet creates
  command -v $ipt >/dev/null || continue
  for t in filter nat mangle; do
    for c in $($ipt -t $t -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^KUBE-/ {print $2}'); do
      pre "chain:$ipt:$t:$c" && continue
      # unlink jumps to the chain from built-in chains, then flush and delete it
      $ipt -t $t -S 2>/dev/null | awk -v c="$c" '$1=="-A" && $2 !~ /^KUBE-/ && / -j / && $NF==c' | while read -r rule; do
        # iptables -S quotes comments with spaces; eval re-reads that quoting
        eval "$ipt -t $t ${rule/-A /-D }" 2>/dev/null
      done
      $ipt -t $t -F "$c" 2>/dev/null
    done
    for c in $($ipt -t $t -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^KUBE-/ {print $2}'); do
      pre "chain:$ipt:$t:$c" || $ipt -t $t -X "$c" 2>/dev/null
    done
  done
done
for p in /var/log/pods /var/log/containers /var/lib/kubelet /var/lib/cni /run/containerd /usr/libexec/kubernetes; do
  if pre "$p"; then
    for e in "$p"/* "$p"/.[!.]*; do [ -e "$e" ] && ! pre "$e" && rm -rf "$e"; done
  else
    rm -rf "$p"
  fi
done
pre /run/netns || rmdir /run/netns 2>/dev/null
rm -rf "$K8S_E2E_HOME/last-logs"; cp -r "$R/logs" "$K8S_E2E_HOME/last-logs" 2>/dev/null
rm -rf "$R"
echo "down: done"
