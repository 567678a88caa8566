#!/bin/bash
# Brings up a single-node Kubernetes fully offline: etcd (Debian), kube-apiserver, kubelet,
# kube-controller-manager, kube-scheduler (built by build.sh), containerd + runc (Debian, through
# runc-wrapper), bridge CNI. State lives in $K8S_RUN; down.sh removes it and everything this
# started. Safe to run twice: if the cluster is already up and healthy it is reused (exit 0, after
# re-importing the images); a half-up cluster is refused (run down.sh first).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
R=$K8S_RUN
BIN=$K8S_BIN
NODE=$(hostname | tr '[:upper:]' '[:lower:]')
T0=$(date +%s.%N)
ts() { awk -v t0="$T0" -v now="$(date +%s.%N)" -v m="$*" 'BEGIN{printf "[%6.1fs] %s\n", now-t0, m}'; }
CTR="ctr --address $R/containerd/containerd.sock -n k8s.io"
export KUBECONFIG=$R/admin.kubeconfig
KUBECTL=${KUBECTL:-$(command -v kubectl || echo "$BIN/kubectl")}

die() { echo "up: $*" >&2; exit 1; }
# waitfor COMPONENT DESCRIPTION SECONDS CMD...: poll CMD; fail at once if the component died, or
# after SECONDS, showing the end of its log.
waitfor() {
  local comp=$1 what=$2 secs=$3; shift 3
  local end=$(( $(date +%s) + secs )) why=""
  until "$@" >/dev/null 2>&1; do
    if ! alive "$comp"; then why="$comp exited"
    elif [ "$(date +%s)" -ge "$end" ]; then why="timed out after ${secs}s"
    fi
    if [ -n "$why" ]; then
      echo "up: $why waiting for $what; last lines of $R/logs/$comp.log:" >&2
      tail -n 30 "$R/logs/$comp.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.5
  done
}
import_images() {
  local n=0
  for t in "$K8S_IMAGES"/*.tar; do
    [ -e "$t" ] || continue
    $CTR images import --all-platforms "$t" >/dev/null; n=$((n+1))
  done
  ts "imported $n image archives from $K8S_IMAGES"
}
alive() { local p; p=$(cat "$R/pids/$1.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

[ "$(id -u)" = 0 ] || die "must run as root"
[ "$(uname -s)" = Linux ] || die "needs Linux"

# ---- already up? ----
if ls "$R"/pids/*.pid >/dev/null 2>&1; then
  all=1; for c in etcd kube-apiserver containerd kubelet; do alive $c || all=""; done
  if [ -n "$all" ] && "$KUBECTL" get --raw /readyz >/dev/null 2>&1; then
    ts "cluster already up in $R; reusing it"
    import_images
    exit 0
  fi
  die "a cluster in $R is partly up (some components dead); run $HERE/down.sh first"
fi

for c in kube-apiserver kubelet; do [ -x "$BIN/$c" ] || die "$BIN/$c missing; run $HERE/build.sh"; done
for p in etcd containerd runc jq iptables openssl curl ip; do command -v $p >/dev/null || die "$p missing; run $HERE/deps.sh"; done
[ -x /usr/lib/cni/bridge ] || die "/usr/lib/cni/bridge missing; run $HERE/deps.sh"
for port in $ETCD_CLIENT_PORT $ETCD_PEER_PORT 6443 10250 10257 10259; do
  if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then die "port $port is in use"; fi
done

mkdir -p "$R"/{pids,logs,etcd,certs,containerd/root,containerd/state,cni/net.d,cni/ipam,kubelet,kubelet-certs,bin}
# Host state the kubelet, containerd and CNI create outside $R. Record what already existed, so
# that down.sh removes only what this cluster created.
: > "$R/preexisting"
for p in /var/lib/kubelet /var/lib/cni /run/containerd /usr/libexec/kubernetes /var/log/pods /var/log/containers /run/netns; do
  [ -e "$p" ] || continue
  echo "$p" >> "$R/preexisting"
  # and what was in it, so down.sh removes only the entries this cluster adds
  for e in "$p"/* "$p"/.[!.]*; do [ -e "$e" ] && echo "$e" >> "$R/preexisting"; done
done
ip link show cni0 >/dev/null 2>&1 && echo "link:cni0" >> "$R/preexisting"
for h in /sys/fs/cgroup/*$K8S_CGROUP_ROOT/kubepods /sys/fs/cgroup$K8S_CGROUP_ROOT/kubepods; do [ -e "$h" ] && echo "$h" >> "$R/preexisting"; done
if [ -n "$K8S_CGROUP_ROOT" ]; then
  # The kubelet refuses a cgroupRoot that does not exist; down.sh removes what was made here.
  for c in /sys/fs/cgroup/*/; do
    [ -e "$c$K8S_CGROUP_ROOT" ] && echo "${c%/}$K8S_CGROUP_ROOT" >> "$R/preexisting"
    [ -e "$c/cgroup.procs" ] && mkdir -p "$c$K8S_CGROUP_ROOT"
  done
fi
for ipt in iptables ip6tables; do
  command -v $ipt >/dev/null || continue
  for t in filter nat mangle; do
    $ipt -t $t -S 2>/dev/null | awk -v ipt=$ipt -v t=$t '$1=="-N" && $2 ~ /^KUBE-/ {print "chain:" ipt ":" t ":" $2}' >> "$R/preexisting"
  done
done
echo "$K8S_CGROUP_ROOT" > "$R/cgroup-root"
cp "$HERE/runc-wrapper" "$R/bin/runc-wrapper"; chmod 0755 "$R/bin/runc-wrapper"

start() { # name cmd...
  local n=$1; shift
  setsid nohup "$@" > "$R/logs/$n.log" 2>&1 < /dev/null &
  echo $! > "$R/pids/$n.pid"
}
# ---- tokens / service-account keys (the apiserver self-signs its serving cert into $R/certs) ----
ADMIN_TOKEN=$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')
NODE_TOKEN=$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')
umask 077
cat > "$R/tokens.csv" <<T
$ADMIN_TOKEN,admin,admin,"system:masters"
$NODE_TOKEN,system:node:$NODE,node-$NODE,"system:nodes"
T
openssl genrsa -out "$R/certs/sa.key" 2048 2>/dev/null
openssl rsa -in "$R/certs/sa.key" -pubout -out "$R/certs/sa.pub" 2>/dev/null
umask 022
# ---- etcd ----
start etcd etcd --name node1 --data-dir "$R/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "node1=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn
waitfor etcd etcd 60 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health"
ts "etcd healthy"
# ---- kube-apiserver ----
# Audit: metadata of every request, so the suite can check from the API server's own record that
# kubectl-caps only reads (test/e2e/leastpriv_test.go).
cat > "$R/audit-policy.yaml" <<A
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
A
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" --secure-port=6443 --cert-dir="$R/certs" \
  --token-auth-file="$R/tokens.csv" --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction --allow-privileged=true \
  --service-cluster-ip-range=10.96.0.0/16 \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$R/certs/sa.pub" --service-account-signing-key-file="$R/certs/sa.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --audit-policy-file="$R/audit-policy.yaml" --audit-log-path="$R/logs/audit.log" \
  --audit-log-maxsize=200 --audit-log-maxbackup=1 --v=1
waitfor kube-apiserver "apiserver certificate" 120 test -s "$R/certs/apiserver.crt"
mkkc() { # file user token
  cat > "$1" <<K
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://localhost:6443", certificate-authority: "$R/certs/apiserver.crt"}
  name: local
users:
- name: $2
  user: {token: "$3"}
contexts:
- context: {cluster: local, user: $2, namespace: default}
  name: local
current-context: local
K
  chmod 0600 "$1"
}
mkkc "$R/admin.kubeconfig" admin "$ADMIN_TOKEN"
mkkc "$R/kubelet.kubeconfig" "system:node:$NODE" "$NODE_TOKEN"
waitfor kube-apiserver "kube-apiserver /readyz" 180 "$KUBECTL" get --raw /readyz
ts "kube-apiserver ready"
# ---- containerd ----
cat > "$R/containerd.toml" <<C
version = 2
root = "$R/containerd/root"
state = "$R/containerd/state"
[grpc]
  address = "$R/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/local/pause:v1"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$R/bin/runc-wrapper"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$R/cni/net.d"
C
cat > "$R/cni/net.d/10-bridge.conflist" <<N
{"cniVersion":"1.0.0","name":"k8s-pod-network","plugins":[
 {"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":false,"hairpinMode":true,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"$R/cni/ipam"}}]}
N
start containerd containerd --config "$R/containerd.toml"
waitfor containerd containerd 60 $CTR version
ts "containerd up"
import_images
# ---- kubelet ----
cat > "$R/kubelet-config.yaml" <<KC
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
${K8S_CGROUP_ROOT:+cgroupRoot: \"$K8S_CGROUP_ROOT\"}
containerRuntimeEndpoint: unix://$R/containerd/containerd.sock
failCgroupV1: false
failSwapOn: false
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
podLogsDir: $R/pod-logs
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
KC
start kubelet "$BIN/kubelet" --config="$R/kubelet-config.yaml" --kubeconfig="$R/kubelet.kubeconfig" \
  --root-dir="$R/kubelet" --cert-dir="$R/kubelet-certs" --hostname-override="$NODE" \
  --pod-infra-container-image=docker.io/local/pause:v1 --v=1
waitfor kubelet "node registration" 180 "$KUBECTL" get node "$NODE"
ts "node registered"
"$KUBECTL" wait --for=condition=Ready "node/$NODE" --timeout=300s >/dev/null || { tail -n 30 "$R/logs/kubelet.log" >&2; die "node not Ready"; }
ts "node Ready"
# ---- kube-controller-manager (service accounts, deployments, jobs...) + kube-scheduler ----
if [ -x "$BIN/kube-controller-manager" ]; then
  start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$R/admin.kubeconfig" \
    --leader-elect=false --service-account-private-key-file="$R/certs/sa.key" \
    --root-ca-file="$R/certs/apiserver.crt" --cert-dir="$R/kcm-certs" --v=1
  waitfor kube-controller-manager "default ServiceAccount" 180 \
    sh -c "'$KUBECTL' get sa default -n default && '$KUBECTL' get cm kube-root-ca.crt -n default"
  ts "kube-controller-manager up"
else
  # Without it, pods are rejected until their namespace's 'default' ServiceAccount exists.
  "$KUBECTL" create serviceaccount default -n default >/dev/null 2>&1 || true
  "$KUBECTL" create configmap kube-root-ca.crt -n default --from-file=ca.crt="$R/certs/apiserver.crt" >/dev/null 2>&1 || true
  ts "no kube-controller-manager built: Deployments, Jobs and new namespaces will not work"
fi
if [ -x "$BIN/kube-scheduler" ]; then
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$R/admin.kubeconfig" --leader-elect=false --v=1
  waitfor kube-scheduler kube-scheduler 120 curl -sfk https://127.0.0.1:10259/healthz
  ts "kube-scheduler up"
fi
ts "cluster up: export KUBECONFIG=$R/admin.kubeconfig"
