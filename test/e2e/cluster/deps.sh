#!/bin/bash
# Installs the Debian packages the e2e cluster needs, only those missing. Services that the packages
# would start (containerd, etcd) are held back with a temporary policy-rc.d: the harness runs its
# own instances with private state, and a system etcd would take the ports we use.
set -euo pipefail
PKGS="containerd runc etcd-server busybox-static iptables containernetworking-plugins jq libcap2-bin openssl curl iproute2 ca-certificates procps bpftool"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then echo "deps: all packages present"; exit 0; fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
POLICY=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e $POLICY ]; then
  printf '#!/bin/sh\nexit 101\n' > $POLICY; chmod 0755 $POLICY; added_policy=1
fi
cleanup() { [ -z "$added_policy" ] || rm -f $POLICY; }
trap cleanup EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: installed$missing"
