#!/bin/sh
# Regenerates scale/testdata/probe-default-container.txt: the real output of the probe script
# (plugin/probe MethodProc) run by sh in a container-like sandbox on this machine: its own PID
# and network namespaces, the container runtime's 14 default capabilities as the bounding set,
# and a workload of three processes (sh as PID 1 and two sleeps). Needs root, util-linux.
set -eu
cd "$(dirname "$0")/../.."
script=$(mktemp)
trap 'rm -f "$script"' EXIT
go run ./test/bench/scale -print-probe-script >"$script"
unshare -pfn --mount-proc setpriv --inh-caps=-all \
  --bounding-set=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap \
  sh -c 'sleep 1000 & sleep 1001 & sh "$1"; kill $(jobs -p) 2>/dev/null; true' sh "$script" \
  >test/bench/scale/testdata/probe-default-container.txt
