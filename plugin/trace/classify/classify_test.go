package classify

import (
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
)

// stack builds a stack as the tracepoint path records it: the program and the tracepoint glue,
// then cap_capable, then the given frames (innermost first).
func stack(fns ...string) []capcheck.Frame {
	all := append([]string{"bpf_prog_89034057f967047a_on_cap_capable", "bpf_trace_run5", "cap_capable"}, fns...)
	out := make([]capcheck.Frame, len(all))
	for i, fn := range all {
		out[i] = capcheck.Frame{Addr: 0xffffffff81000000 + uint64(i)*0x100, Func: fn, Offset: 0x10}
	}
	return out
}

func cap(t *testing.T, name string) capset.Cap {
	t.Helper()
	c, err := capset.ParseName(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The rows are the checks seen in a real container on the project's cluster and on the test
// machine (../../shared/notes/capability-tracing.md), plus the cases the rules must keep apart.
func TestClassify(t *testing.T) {
	const (
		read         = 0
		mmap         = 9
		brk          = 12
		socket       = 41
		bind         = 49
		execve       = 59
		ptrace       = 101
		setuid       = 105
		settimeofday = 164
		mount        = 165
		openat       = 257
		fchownat     = 260
		sendto       = 44
	)
	for _, tc := range []struct {
		name    string
		comm    string
		cap     string
		denied  bool
		syscall int
		flags   capcheck.Flags
		stack   []capcheck.Frame
		kind    Kind
		noise   NoiseReason
		asker   string
		sysName string
	}{
		{name: "chown is a need", cap: "CHOWN", syscall: fchownat,
			stack: stack("security_capable", "capable_wrt_inode_uidgid", "setattr_prepare", "ext4_setattr", "notify_change", "chown_common", "do_fchownat", "__x64_sys_fchownat"),
			kind:  Need, asker: "setattr_prepare", sysName: "fchownat"},
		{name: "bind :80 is a need", cap: "NET_BIND_SERVICE", syscall: bind,
			stack: stack("security_capable", "ns_capable", "__inet_bind", "inet_bind_sk", "__sys_bind"),
			kind:  Need, asker: "__inet_bind", sysName: "bind"},
		{name: "bind :80 refused is a denial", cap: "NET_BIND_SERVICE", denied: true, syscall: bind,
			stack: stack("security_capable", "ns_capable", "__inet_bind", "__sys_bind"),
			kind:  Denied, asker: "__inet_bind", sysName: "bind"},
		{name: "raw socket is a need", cap: "NET_RAW", syscall: socket,
			stack: stack("security_capable", "ns_capable", "inet_create", "__sock_create", "__sys_socket"),
			kind:  Need, asker: "inet_create", sysName: "socket"},
		{name: "settimeofday refused is a denial", cap: "SYS_TIME", denied: true, syscall: settimeofday,
			stack: stack("security_capable", "capable", "cap_settime", "security_settime64", "do_sys_settimeofday64", "__x64_sys_settimeofday"),
			kind:  Denied, asker: "cap_settime", sysName: "settimeofday"},
		{name: "setuid through ns_capable_setid is a need", cap: "SETUID", syscall: setuid, flags: 0,
			stack: stack("security_capable", "ns_capable_setid", "__sys_setuid"),
			kind:  Need, asker: "__sys_setuid", sysName: "setuid"},
		{name: "root writing another uid's 0600 file is a need", cap: "DAC_OVERRIDE", syscall: openat,
			stack: stack("security_capable", "capable_wrt_inode_uidgid", "generic_permission", "inode_permission", "may_open", "path_openat"),
			kind:  Need, asker: "generic_permission", sysName: "openat"},

		// non-auditing
		{name: "vm_enough_memory on mmap, granted", cap: "SYS_ADMIN", syscall: mmap,
			stack: stack("security_vm_enough_memory_mm", "__mmap_region", "do_mmap", "vm_mmap_pgoff"),
			kind:  Noise, noise: NonAuditing, asker: "security_vm_enough_memory_mm", sysName: "mmap"},
		{name: "vm_enough_memory on brk, denied for non-root", cap: "SYS_ADMIN", denied: true, syscall: brk,
			stack: stack("security_vm_enough_memory_mm", "do_brk_flags", "__do_sys_brk"),
			kind:  Noise, noise: NonAuditing, asker: "security_vm_enough_memory_mm", sysName: "brk"},
		{name: "vm_enough_memory on execve with a clone-suffixed frame", cap: "SYS_ADMIN", syscall: execve,
			stack: stack("security_vm_enough_memory_mm", "expand_downwards", "setup_arg_pages", "load_elf_binary", "bprm_execve", "do_execveat_common.isra.0"),
			kind:  Noise, noise: NonAuditing, asker: "security_vm_enough_memory_mm", sysName: "execve"},
		{name: "ps reading /proc/PID/stat", cap: "SYS_PTRACE", syscall: read,
			stack: stack("security_capable", "ns_capable_noaudit", "__ptrace_may_access", "ptrace_may_access", "do_task_stat", "proc_single_show"),
			kind:  Noise, noise: NonAuditing, asker: "__ptrace_may_access", sysName: "read"},
		{name: "ptrace_may_access with the wrapper inlined away, from a read", cap: "SYS_PTRACE", syscall: read,
			stack: stack("security_capable", "__ptrace_may_access", "ptrace_may_access", "do_task_stat"),
			kind:  Noise, noise: NonAuditing, asker: "__ptrace_may_access", sysName: "read"},
		{name: "a real PTRACE_ATTACH is a need", cap: "SYS_PTRACE", syscall: ptrace,
			stack: stack("security_capable", "ns_capable", "__ptrace_may_access", "ptrace_attach", "__x64_sys_ptrace"),
			kind:  Need, asker: "__ptrace_may_access", sysName: "ptrace"},
		{name: "PTRACE_ATTACH with the wrapper inlined away is still a need", cap: "SYS_PTRACE", syscall: ptrace,
			stack: stack("security_capable", "__ptrace_may_access", "ptrace_attach"),
			kind:  Need, asker: "__ptrace_may_access", sysName: "ptrace"},
		{name: "pid_table_root_permissions on /proc/sys", cap: "SYS_ADMIN", syscall: openat,
			stack: stack("security_capable", "ns_capable_noaudit", "pid_table_root_permissions", "sysctl_perm"),
			kind:  Noise, noise: NonAuditing, asker: "pid_table_root_permissions", sysName: "openat"},
		{name: "kprobe path: opts say noaudit whatever the stack", cap: "SYS_ADMIN", syscall: openat,
			flags: capcheck.OptsKnown | capcheck.NoAudit,
			stack: stack("security_capable", "capable", "some_caller"),
			kind:  Noise, noise: NonAuditing, asker: "some_caller", sysName: "openat"},
		{name: "kprobe path: opts say audited, trusted over the caller list", cap: "SYS_ADMIN", syscall: mount,
			flags: capcheck.OptsKnown,
			stack: stack("security_capable", "ns_capable", "path_mount", "__x64_sys_mount"),
			kind:  Need, asker: "path_mount", sysName: "mount"},

		// borrowed and other credentials
		{name: "overlayfs xattrs with the mounter's creds (flag)", cap: "SYS_ADMIN", syscall: openat,
			flags: capcheck.BorrowedCred,
			stack: stack("security_capable", "capable", "xattr_permission", "vfs_getxattr", "ovl_xattr_get", "ovl_open"),
			kind:  Noise, noise: BorrowedCredentials, asker: "xattr_permission", sysName: "openat"},
		{name: "overlayfs xattrs, no flag (record without credential compare)", cap: "SYS_ADMIN", syscall: openat,
			stack: stack("security_capable", "capable", "xattr_permission", "vfs_getxattr", "ovl_xattr_get", "ovl_open"),
			kind:  Noise, noise: BorrowedCredentials, asker: "xattr_permission", sysName: "openat"},
		{name: "setxattr trusted.* by the workload itself is a need", cap: "SYS_ADMIN", syscall: 188,
			stack: stack("security_capable", "capable", "xattr_permission", "vfs_setxattr", "path_setxattrat"),
			kind:  Need, asker: "xattr_permission", sysName: "setxattr"},
		{name: "ovl_open_realfile FOWNER", cap: "FOWNER", syscall: openat, flags: capcheck.BorrowedCred,
			stack: stack("security_capable", "capable_wrt_inode_uidgid", "inode_owner_or_capable", "ovl_open_realfile", "ovl_open"),
			kind:  Noise, noise: BorrowedCredentials, asker: "inode_owner_or_capable", sysName: "openat"},
		{name: "ovl_can_decode_fh DAC_READ_SEARCH, no flag", cap: "DAC_READ_SEARCH", syscall: openat,
			stack: stack("security_capable", "capable", "ovl_can_decode_fh", "ovl_fill_super"),
			kind:  Noise, noise: BorrowedCredentials, asker: "ovl_can_decode_fh", sysName: "openat"},
		{name: "another task's capability", cap: "SYS_ADMIN", syscall: 62,
			flags: capcheck.BorrowedCred | capcheck.OtherCred,
			stack: stack("security_capable", "has_ns_capability", "some_check_on_target"),
			kind:  Noise, noise: OtherCredentials, asker: "some_check_on_target", sysName: "kill"},
		{name: "OOM scoring another task is non-auditing first", cap: "SYS_ADMIN", syscall: mmap,
			flags: capcheck.BorrowedCred | capcheck.OtherCred,
			stack: stack("security_capable", "has_capability_noaudit", "oom_badness"),
			kind:  Noise, noise: NonAuditing, asker: "oom_badness", sysName: "mmap"},
		{name: "netlink socket checked with the opener's creds is a need", cap: "NET_ADMIN", syscall: sendto,
			flags: capcheck.BorrowedCred | capcheck.OtherCred,
			stack: stack("security_capable", "file_ns_capable", "sk_ns_capable", "__netlink_ns_capable", "netlink_ns_capable", "rtnetlink_rcv_msg"),
			kind:  Need, asker: "rtnetlink_rcv_msg", sysName: "sendto"},

		// runc
		{name: "runc:[2:INIT] mounting", comm: "runc:[2:INIT]", cap: "SYS_ADMIN", syscall: mount,
			stack: stack("security_capable", "ns_capable", "path_mount"),
			kind:  Noise, noise: RuntimeSetup, asker: "path_mount", sysName: "mount"},
		{name: "runc:[2:INIT] capset", comm: "runc:[2:INIT]", cap: "SETPCAP", syscall: 126,
			stack: stack("security_capable", "capable", "cap_capset"),
			kind:  Noise, noise: RuntimeSetup, asker: "cap_capset", sysName: "capset"},
		{name: "runc:[1:CHILD] unshare", comm: "runc:[1:CHILD]", cap: "SYS_ADMIN", syscall: 272,
			stack: stack("security_capable", "ns_capable", "create_user_ns"),
			kind:  Noise, noise: RuntimeSetup, asker: "create_user_ns", sysName: "unshare"},
		{name: "runc:[0:PARENT]", comm: "runc:[0:PARENT]", cap: "SYS_ADMIN", syscall: 308,
			stack: stack("security_capable", "ns_capable", "validate_nsset"),
			kind:  Noise, noise: RuntimeSetup, asker: "validate_nsset", sysName: "setns"},
		{name: "runc oom_score_adj refused", comm: "runc", cap: "SYS_RESOURCE", denied: true, syscall: 1,
			stack: stack("security_capable", "capable", "__set_oom_adj"),
			kind:  Noise, noise: RuntimeSetup, asker: "__set_oom_adj", sysName: "write"},
		{name: "a workload named like runc's prefix is not runc", comm: "runc-helper", cap: "CHOWN", syscall: fchownat,
			stack: stack("security_capable", "capable_wrt_inode_uidgid", "setattr_prepare"),
			kind:  Need, asker: "setattr_prepare", sysName: "fchownat"},

		// asked on every call
		{name: "capset by the workload asks SETPCAP every time", cap: "SETPCAP", syscall: 126,
			stack: stack("cap_capset", "security_capset", "__do_sys_capset"),
			kind:  Noise, noise: AskedOnEveryCall, asker: "cap_capset", sysName: "capset"},
		{name: "SETPCAP elsewhere (PR_CAPBSET_DROP) is a need", cap: "SETPCAP", syscall: 157,
			stack: stack("security_capable", "ns_capable", "cap_task_prctl", "__do_sys_prctl"),
			kind:  Need, asker: "cap_task_prctl", sysName: "prctl"},

		// path probing
		{name: "denied DAC_OVERRIDE from generic_permission", cap: "DAC_OVERRIDE", denied: true, syscall: openat,
			stack: stack("security_capable", "capable_wrt_inode_uidgid", "generic_permission", "inode_permission"),
			kind:  Noise, noise: PathProbing, asker: "generic_permission", sysName: "openat"},
		{name: "denied DAC_READ_SEARCH from generic_permission", cap: "DAC_READ_SEARCH", denied: true, syscall: 4,
			stack: stack("security_capable", "capable_wrt_inode_uidgid", "generic_permission", "inode_permission", "link_path_walk"),
			kind:  Noise, noise: PathProbing, asker: "generic_permission", sysName: "stat"},
		{name: "denied DAC_OVERRIDE elsewhere is a denial", cap: "DAC_OVERRIDE", denied: true, syscall: openat,
			stack: stack("security_capable", "capable", "some_driver_open"),
			kind:  Denied, asker: "some_driver_open", sysName: "openat"},

		// stacks not named (no CAP_SYSLOG)
		{name: "unnamed SYS_ADMIN in mmap is assumed vm_enough_memory", cap: "SYS_ADMIN", syscall: mmap,
			stack: []capcheck.Frame{{Addr: 0xffffffff81234567}},
			kind:  Noise, noise: NonAuditing, sysName: "mmap"},
		{name: "unnamed CHOWN is a need", cap: "CHOWN", syscall: fchownat,
			stack: []capcheck.Frame{{Addr: 0xffffffff81234567}},
			kind:  Need, sysName: "fchownat"},
		{name: "no stack, not in a syscall", cap: "SYS_RESOURCE", syscall: -1, flags: capcheck.NoSyscall,
			kind: Need, sysName: ""},
		{name: "unknown syscall number", cap: "SYS_NICE", syscall: 4242,
			stack: stack("security_capable", "capable", "can_nice"),
			kind:  Need, asker: "can_nice", sysName: "syscall_4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			comm := tc.comm
			if comm == "" {
				comm = "app"
			}
			c := capcheck.Check{Comm: comm, Cap: cap(t, tc.cap), Denied: tc.denied, Syscall: tc.syscall, Flags: tc.flags, Stack: tc.stack, Count: 1}
			got := Classify(c, "amd64")
			if got.Kind != tc.kind || got.Noise != tc.noise || got.Asker != tc.asker || got.Syscall != tc.sysName {
				t.Errorf("got kind=%s noise=%q asker=%q syscall=%q (%s)\nwant kind=%s noise=%q asker=%q syscall=%q",
					got.Kind, got.Noise, got.Asker, got.Syscall, got.Reason, tc.kind, tc.noise, tc.asker, tc.sysName)
			}
			if got.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

func TestAskerSkipsKretprobeTrampoline(t *testing.T) {
	st := []capcheck.Frame{{Func: "__kretprobe_trampoline"}, {Func: "ns_capable"}, {Func: "__inet_bind"}}
	if got := Asker(st); got != "__inet_bind" {
		t.Errorf("Asker = %q", got)
	}
	if got := Asker(nil); got != "" {
		t.Errorf("Asker(nil) = %q", got)
	}
}
