#!/usr/bin/env bash
# Regenerates the real-machine samples in this folder. Not run by the tests: it needs Linux, root,
# libcap2-bin (capsh), util-linux (setpriv, unshare) and python3 (for sockets and a seccomp filter).
# The samples were captured with capsh 2.66 on kernel 6.18 (amd64). Each file's producing command is
# listed in README.md next to it. Old-libcap capsh outputs cannot be produced here; those files are
# copied verbatim from shared/seed-scenarios.md.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p status capsh net

# Container runtime default set (containerd/Docker: 14 capabilities, 0xa80425fb).
DEF=+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap

# --- capsh 2.66 ---------------------------------------------------------------------------------
capsh --print >capsh/2.66-root.txt
capsh --drop=cap_net_raw,cap_sys_admin --print >capsh/2.66-drop-bounding.txt
capsh --caps="cap_sys_time+eip cap_chown+i" --print >capsh/2.66-caps-mixed.txt
capsh --caps="=ep cap_net_raw,cap_sys_admin,cap_sys_resource-ep cap_chown+i" --print >capsh/2.66-all-minus.txt
capsh --caps="=eip cap_net_raw-e cap_sys_admin,cap_sys_resource-eip" --print >capsh/2.66-eip-minus.txt
capsh --caps="=ip cap_sys_resource-ip cap_kill+e" --print >capsh/2.66-ip-plus-e.txt
capsh --uid=1025 --print >capsh/2.66-uid1025.txt
capsh --secbits=0x2f --print >capsh/2.66-secbits.txt
capsh --mode=PURE1E --print >capsh/2.66-mode-pure1e.txt
capsh --inh=cap_net_admin,cap_sys_time --addamb=cap_net_admin --print >capsh/2.66-ambient-root.txt
capsh --current >capsh/2.66-current-only.txt
setpriv --bounding-set -all,$DEF --inh-caps -all -- capsh --print >capsh/2.66-runtime-default.txt
setpriv --bounding-set -all,+sys_time --inh-caps -all -- capsh --print >capsh/2.66-root-drop-all-add-sys-time.txt
setpriv --reuid 1025 --regid 1025 --clear-groups --bounding-set -all,+sys_time --inh-caps -all -- \
	capsh --print >capsh/2.66-uid1025-drop-all-add-sys-time.txt
setpriv --inh-caps +net_bind_service --ambient-caps +net_bind_service --reuid 1025 --regid 1025 \
	--clear-groups -- capsh --print >capsh/2.66-ambient-uid1025.txt
setpriv --no-new-privs -- capsh --print >capsh/2.66-no-new-privs.txt

# --- /proc/PID/status -----------------------------------------------------------------------------
cat /proc/self/status >status/root-full.txt
unshare --pid --fork --mount-proc cat /proc/1/status >status/pid1-in-pidns.txt
cat /proc/2/status >status/kthreadd.txt
capsh --drop=cap_net_raw -- -c 'exec cat /proc/self/status' >status/capsh-drop-net-raw.txt
setpriv --no-new-privs -- cat /proc/self/status >status/no-new-privs.txt
setpriv --bounding-set -all,$DEF --inh-caps -all -- cat /proc/self/status >status/runtime-default.txt
setpriv --reuid 1025 --regid 1025 --clear-groups --bounding-set -all,+sys_time --inh-caps -all -- \
	cat /proc/self/status >status/uid1025-drop-all-add-sys-time.txt
setpriv --inh-caps +net_bind_service --ambient-caps +net_bind_service --reuid 1025 --regid 1025 \
	--clear-groups -- cat /proc/self/status >status/ambient-uid1025.txt
# A command name with a space, a newline and an escape sequence: the kernel escapes only "\n" and
# "\\" in Name, the rest arrives raw.
tmp=$(mktemp -d)
hostile="$tmp/"$'a b\n\e[31mc\\d'
cp /bin/cat "$hostile"
"$hostile" /proc/self/status >status/hostile-name.txt
rm -rf "$tmp"
# Two stacked seccomp filters (allow-all), as a runtime's RuntimeDefault profile plus one more.
python3 - <<'PY' >status/seccomp-filter.txt
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
prog = struct.pack("HBBI", 0x06, 0, 0, 0x7fff0000)  # BPF_RET|BPF_K, SECCOMP_RET_ALLOW
buf = ctypes.create_string_buffer(prog)
class FProg(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = FProg(1, ctypes.cast(buf, ctypes.c_void_p))
assert libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
for _ in range(2):
    assert libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fp), 0, 0) == 0, ctypes.get_errno()
os.execv("/bin/cat", ["cat", "/proc/self/status"])
PY

# --- /proc/net/* in a fresh network namespace (no host sockets leak into the samples) -------------
unshare --net bash -c '
set -e
ip link set lo up
python3 - <<"PY"
import socket, time, os
s = []
t4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t4.bind(("0.0.0.0", 80)); t4.listen(); s.append(t4)
t6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); t6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); t6.bind(("::", 8443)); t6.listen(); s.append(t6)
c = socket.create_connection(("127.0.0.1", 80)); a, _ = t4.accept(); s += [c, a]
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u4.bind(("0.0.0.0", 53)); s.append(u4)
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u6.bind(("::1", 5353)); s.append(u6)
uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uc.connect(("127.0.0.1", 53)); s.append(uc)
r4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.append(r4)
r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); s.append(r6)
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003)); s.append(p)
pd = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800)); s.append(pd)
os.seteuid(1025)  # sockets owned by a non-root user: the uid column is the creating fsuid
n4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM); n4.bind(("127.0.0.1", 8080)); n4.listen(); s.append(n4)
n6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); n6.bind(("::", 8125)); s.append(n6)
os.seteuid(0)
for f in ["tcp", "tcp6", "udp", "udp6", "raw", "raw6", "packet"]:
    with open("/proc/net/" + f) as src, open("net/" + f + ".txt", "w") as dst:
        dst.write(src.read())
PY
'
echo "captured into $(pwd)"
