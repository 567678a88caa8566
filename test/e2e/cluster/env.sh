# Shared settings of the e2e cluster scripts (sourced, not run).
# K8S_E2E_HOME: cache kept between runs (Kubernetes binaries keyed by version, Go caches, images).
# K8S_RUN: state of the running cluster; removed by down.sh.
K8S_E2E_HOME=${K8S_E2E_HOME:-/var/tmp/kubectl-caps-e2e}
# 1.33 is the newest line whose kubelet still runs on cgroup v1 (failCgroupV1: false) with containerd 1.6.
K8S_VERSION=${K8S_VERSION:-1.33.13}
K8S_SRC=$K8S_E2E_HOME/k8s/v$K8S_VERSION/src
K8S_BIN=$K8S_E2E_HOME/k8s/v$K8S_VERSION/bin
K8S_IMAGES=$K8S_E2E_HOME/images
K8S_RUN=${K8S_RUN:-/tmp/k8s-run}
# etcd on non-default ports, so that a system etcd (Debian's etcd-server starts one under systemd)
# does not collide with ours.
ETCD_CLIENT_PORT=${ETCD_CLIENT_PORT:-12379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-12380}
# K8S_CGROUP_ROOT: parent cgroup of the kubelet's "kubepods" (default: the root). Set it to run a
# second cluster beside another kubelet on the same machine, which owns /kubepods.
K8S_CGROUP_ROOT=${K8S_CGROUP_ROOT:-}
export K8S_E2E_HOME K8S_VERSION K8S_RUN K8S_CGROUP_ROOT
