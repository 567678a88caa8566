// Package probe holds the constant commands kubectl-caps runs inside a container and the parser
// for what they print. Nothing from the cluster is ever put into these commands: they are fixed
// strings, so a hostile pod name or label cannot inject anything.
package probe

import "github.com/kubectl-caps/kubectl-caps/plugin/reading"

// Methods is the fallback order of the exec readings.
var Methods = []reading.Method{reading.MethodProc, reading.MethodPID1, reading.MethodCapsh}

// Command returns the argv for a method.
func Command(m reading.Method) []string {
	switch m {
	case reading.MethodProc:
		return []string{"/bin/sh", "-c", shellScript}
	case reading.MethodPID1:
		return []string{"cat", "/proc/1/status", "/proc/sys/net/ipv4/ip_unprivileged_port_start"}
	case reading.MethodCapsh:
		return []string{"capsh", "--print"}
	}
	return nil
}

// shellScript reads every process of the container in one round trip, using only shell builtins
// (read, printf, case, test) so it works in busybox, dash and bash and needs no cat:
//   - It skips its own shell ($$): that is the exec, not the workload.
//   - It keeps only processes in the shell's own cgroup, so a hostPID or shared-PID-namespace pod
//     lists this container's processes, not the node's or the pod's; the number of others is
//     reported, never their details.
//   - It prints only the status lines the parser needs, to keep the output small (about 300 bytes
//     a process), plus ip_unprivileged_port_start and the socket tables of the pod's network
//     namespace (for harden's evidence).
//   - ip_unprivileged_port_start is read with cat when there is one: sysctl files answer a
//     byte-at-a-time builtin read (dash, busybox) with EOF after the first byte.
//   - printf '%s\n' rather than echo: dash's echo interprets backslashes in process names.
//   - The tcp and tcp6 tables are skipped when /proc/net/sockstat(6) counts no TCP socket in
//     use in this network namespace: reading them walks the host's whole established-socket hash
//     (measured: ~5 ms of kernel time each on a 23 GB node, more than the rest of the script
//     together), and an empty table says nothing. Listening sockets are counted in use.
//
// Output framing: lines starting with "@@" are markers; everything else belongs to the section the
// last marker opened.
const shellScript = `printf '@@kubectl-caps 1\n'
s=$$
if command -v cat >/dev/null 2>&1 && v=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null); then printf '@@portstart %s\n' "$v"; fi
self=
if [ -r /proc/self/cgroup ]; then while IFS= read -r l; do self="$self|$l"; done </proc/self/cgroup; fi
if [ -n "$self" ]; then printf '@@scope cgroup\n'; else printf '@@scope all\n'; fi
o=0
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = "$s" ] && continue
  if [ -n "$self" ]; then
    c=
    if [ -r "$d/cgroup" ]; then while IFS= read -r l; do c="$c|$l"; done <"$d/cgroup"; fi
    if [ "$c" != "$self" ]; then o=$((o+1)); continue; fi
  fi
  [ -r "$d/status" ] || continue
  printf '@@pid %s\n' "$p"
  while IFS= read -r l; do
    case $l in Name:*|Pid:*|PPid:*|Uid:*|Gid:*|Cap*|NoNewPrivs:*|Seccomp*) printf '%s\n' "$l";; esac
  done <"$d/status"
done
printf '@@others %s\n' "$o"
skip=
if [ -r /proc/net/sockstat ]; then while IFS= read -r l; do case $l in "TCP: inuse 0 "*) skip="$skip tcp";; esac; done </proc/net/sockstat; fi
if [ -r /proc/net/sockstat6 ]; then while IFS= read -r l; do case $l in "TCP6: inuse 0") skip="$skip tcp6";; esac; done </proc/net/sockstat6; fi
for t in tcp tcp6 udp udp6 raw raw6 packet; do
  case "$skip " in *" $t "*) continue;; esac
  if [ -r "/proc/net/$t" ]; then
    printf '@@net %s\n' "$t"
    while IFS= read -r l; do printf '%s\n' "$l"; done <"/proc/net/$t"
  fi
done
printf '@@end\n'
`
