// Package classify tells what one counted capability check means for a container's
// securityContext: a need (the workload used the capability, dropping it breaks something), a
// denial (the workload asked and lacked it), or noise (a check whose outcome does not depend on
// the container's capabilities, or that is not the workload's), with the reason. The rules are the
// ones measured on real containers (../../shared/notes/capability-tracing.md); each says in its
// Reason which fact decided.
package classify

import (
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/syscalls"
)

// Kind is what a check means.
type Kind string

const (
	Need   Kind = "need"   // granted, audited, with the task's own credentials
	Denied Kind = "denied" // asked, audited, refused: what the workload tried and lacked
	Noise  Kind = "noise"  // never a need; Noise says why
)

// NoiseReason says why a check is noise. The values are part of the trace report's interface.
type NoiseReason string

const (
	// NonAuditing: the caller only probed (CAP_OPT_NOAUDIT: security_vm_enough_memory_mm on every
	// mmap/brk/execve, ns_capable_noaudit when /proc of another process is read, ...). The kernel
	// falls back silently when it is refused.
	NonAuditing NoiseReason = "non-auditing"
	// BorrowedCredentials: the kernel checked credentials it substituted for the task's own
	// (overlayfs acts with the mounter's through override_creds): dropping the capability from
	// the container changes nothing for it.
	BorrowedCredentials NoiseReason = "borrowed-credentials"
	// OtherCredentials: the capability of another task was checked (has_capability on a target,
	// e.g. when the OOM killer scores processes), not the caller's.
	OtherCredentials NoiseReason = "other-credentials"
	// RuntimeSetup: runc's own processes set the container up inside its cgroup before the
	// entrypoint's execve (mounts, pivot_root, capset...): the runtime's needs, not the workload's.
	RuntimeSetup NoiseReason = "runtime-setup"
	// AskedOnEveryCall: the kernel asks for the capability on every call of a syscall to decide a
	// limit that matters only in a rare case: cap_capset asks CAP_SETPCAP on every capset, and
	// needs it only to raise inheritable capabilities beyond the permitted set (a process dropping
	// its capabilities does not).
	AskedOnEveryCall NoiseReason = "asked-on-every-call"
	// PathProbing: a denied DAC_OVERRIDE/DAC_READ_SEARCH from generic_permission is asked only after
	// the file mode already refused (search paths, probing): low signal. A granted one is a need.
	PathProbing NoiseReason = "path-probing"
)

// Result is the meaning of one check.
type Result struct {
	Kind  Kind
	Noise NoiseReason // set when Kind is Noise
	// Reason is one line for people: the fact that decided.
	Reason string
	// Asker is the kernel function that asked: the first stack frame outside the capability
	// wrappers (e.g. "__inet_bind", "setattr_prepare"); "" when the stack could not be named.
	Asker string
	// Syscall is the syscall by name ("bind"), "syscall_N" for a number the table lacks, "" when
	// the check was not made in a syscall.
	Syscall string
}

// runcComms are the names runc's processes carry while they set a container up (runc renames
// itself so that ps shows the stage); the entrypoint's execve gives the task its own name.
var runcComms = map[string]bool{
	"runc": true, "runc:[0:PARENT]": true, "runc:[1:CHILD]": true, "runc:[2:INIT]": true,
}

// wrappers pass a capability check on; the first frame that is none of them is what asked.
var wrappers = map[string]bool{
	"cap_capable": true, "cap_capable_helper": true, "security_capable": true,
	"ns_capable": true, "ns_capable_noaudit": true, "ns_capable_setid": true, "ns_capable_common": true,
	"capable": true, "capable_wrt_inode_uidgid": true, "privileged_wrt_inode_uidgid": true,
	"has_capability": true, "has_capability_noaudit": true,
	"has_ns_capability": true, "has_ns_capability_noaudit": true,
	"file_ns_capable": true, "sk_ns_capable": true, "sk_capable": true, "sk_net_capable": true,
	"netlink_ns_capable": true, "netlink_capable": true, "netlink_net_capable": true,
	"__netlink_ns_capable": true, "perfmon_capable": true, "bpf_capable": true,
	"checkpoint_restore_ns_capable": true, "checkpoint_restore_ns_capable_noaudit": true,
	"ptrace_has_cap": true, "cap_vm_enough_memory": true,
}

// tracingFrame reports frames of the tracer itself: the BPF program, the tracepoint glue, the
// kretprobe trampoline.
func tracingFrame(fn string) bool {
	return strings.HasPrefix(fn, "bpf_prog_") || strings.HasPrefix(fn, "bpf_trace_run") ||
		strings.HasPrefix(fn, "__bpf_trace_") || strings.HasPrefix(fn, "__traceiter_") ||
		strings.HasPrefix(fn, "trace_event_raw_event_") || strings.HasPrefix(fn, "perf_trace_") ||
		strings.Contains(fn, "kretprobe_trampoline") || fn == "rethook_trampoline" ||
		strings.HasPrefix(fn, "kprobe_") || strings.HasPrefix(fn, "bpf_dispatcher")
}

// nonAuditingAskers make only non-auditing checks (when no _noaudit frame shows it, e.g. because
// cap_capable is called directly by the LSM hook).
var nonAuditingAskers = map[string]bool{
	"security_vm_enough_memory_mm": true, "__vm_enough_memory": true,
	"pid_table_root_permissions": true,
}

// auditedWrappers make an audited check: seen in a stack, they say the check was not a probe.
var auditedWrappers = map[string]bool{
	"ns_capable": true, "capable": true, "ns_capable_setid": true, "has_capability": true,
	"has_ns_capability": true, "file_ns_capable": true, "capable_wrt_inode_uidgid": true,
}

// ptraceSyscalls really attach to or read another process through __ptrace_may_access, with an
// audited check; /proc reads make the same call non-auditing.
var ptraceSyscalls = map[string]bool{
	"ptrace": true, "process_vm_readv": true, "process_vm_writev": true, "pidfd_getfd": true,
	"kcmp": true, "perf_event_open": true, "process_madvise": true,
}

// memorySyscalls make the non-auditing CAP_SYS_ADMIN check of security_vm_enough_memory_mm; used
// only when the stack cannot be named.
var memorySyscalls = map[string]bool{
	"mmap": true, "brk": true, "execve": true, "execveat": true, "mremap": true, "mprotect": true,
	"shmat": true, "munmap": true, "clone": true, "clone3": true, "fork": true, "vfork": true,
}

// Classify gives the meaning of one check; arch names its syscall numbers.
func Classify(c capcheck.Check, arch string) Result {
	r := Result{Asker: Asker(c.Stack), Syscall: syscalls.Name(arch, c.Syscall)}
	fns := baseNames(c.Stack)
	named := len(fns) > 0
	noise := func(why NoiseReason, reason string) Result {
		r.Kind, r.Noise, r.Reason = Noise, why, reason
		return r
	}

	if runcComms[c.Comm] {
		return noise(RuntimeSetup, "made by "+c.Comm+", the runtime setting the container up before the entrypoint runs")
	}
	if why, ok := nonAuditing(c, r, fns); ok {
		return noise(NonAuditing, why)
	}
	if c.Flags.Has(capcheck.BorrowedCred) && !c.Flags.Has(capcheck.OtherCred) {
		return noise(BorrowedCredentials, "checked credentials substituted for the process's own (override_creds"+overlayHint(r.Asker, fns)+")")
	}
	if c.Flags.Has(capcheck.OtherCred) && !hasAny(fns, fileCredWrappers) {
		return noise(OtherCredentials, "the capability of another task's credentials was checked, not this process's")
	}
	if why, ok := overlayfsAsker(r.Asker, fns); ok {
		return noise(BorrowedCredentials, why)
	}
	if everyCall[BaseName(r.Asker)] == c.Cap && c.Cap != 0 {
		return noise(AskedOnEveryCall, c.Cap.Name()+" asked by "+r.Asker+" on every call"+from(r)+"; needed only to raise inheritable capabilities beyond the permitted set")
	}
	if c.Denied && (c.Cap == dacOverride || c.Cap == dacReadSearch) && r.Asker == "generic_permission" {
		return noise(PathProbing, "denied "+c.Cap.Name()+" from generic_permission: asked only after the file mode refused (path probing)")
	}
	if !named && c.Cap == sysAdmin && memorySyscalls[r.Syscall] {
		return noise(NonAuditing, "assumed non-auditing: CAP_SYS_ADMIN during "+r.Syscall+" is security_vm_enough_memory_mm's probe (stack not named)")
	}
	if c.Denied {
		r.Kind, r.Reason = Denied, "refused"+from(r)
		return r
	}
	r.Kind, r.Reason = Need, "granted"+from(r)
	return r
}

// everyCall maps a function that asks unconditionally to the capability it asks.
var everyCall = map[string]capset.Cap{"cap_capset": setpcap, "cap_inh_is_capped": setpcap}

const (
	setpcap       = capset.Cap(8)
	dacOverride   = capset.Cap(1)
	dacReadSearch = capset.Cap(2)
	sysAdmin      = capset.Cap(21)
)

// fileCredWrappers check an open file's credentials (the opener's, at open time): a process that
// changed its credentials after opening a socket is still checked with its own earlier ones.
var fileCredWrappers = map[string]bool{
	"file_ns_capable": true, "sk_ns_capable": true, "sk_capable": true, "sk_net_capable": true,
	"netlink_ns_capable": true, "netlink_capable": true, "netlink_net_capable": true,
	"__netlink_ns_capable": true,
}

// nonAuditing decides from opts when the path saw them, else from the stack.
func nonAuditing(c capcheck.Check, r Result, fns []string) (string, bool) {
	if c.Flags.Has(capcheck.OptsKnown) {
		if c.Flags.Has(capcheck.NoAudit) {
			return "opts had CAP_OPT_NOAUDIT" + from(r), true
		}
		return "", false
	}
	for _, fn := range fns {
		if strings.HasSuffix(fn, "_noaudit") {
			return "non-auditing check (" + fn + ")" + from(r), true
		}
	}
	if nonAuditingAskers[r.Asker] {
		return "non-auditing check" + from(r), true
	}
	// ptrace_may_access from /proc: ns_capable_noaudit is normally in the stack (above); if the
	// kernel inlined the wrapper away, only the syscall tells a /proc read from a real attach.
	if r.Asker == "__ptrace_may_access" && !hasAny(fns, auditedWrappers) && !ptraceSyscalls[r.Syscall] {
		return "assumed non-auditing: __ptrace_may_access outside ptrace-like syscalls (reading /proc)", true
	}
	return "", false
}

// overlayfsAsker catches overlayfs's own checks when the credential flags did not (a record from
// a path that could not compare credentials): they run with the mounter's credentials.
func overlayfsAsker(asker string, fns []string) (string, bool) {
	if strings.HasPrefix(asker, "ovl_") {
		return "made by overlayfs (" + asker + ") with the mounter's credentials", true
	}
	if asker == "xattr_permission" && hasPrefix(fns, "ovl_") {
		return "overlayfs reading its own xattrs (xattr_permission under ovl_*) with the mounter's credentials", true
	}
	return "", false
}

func overlayHint(asker string, fns []string) string {
	if strings.HasPrefix(asker, "ovl_") || hasPrefix(fns, "ovl_") {
		return ": overlayfs with the mounter's credentials"
	}
	if asker != "" {
		return ", from " + asker
	}
	return ""
}

func from(r Result) string {
	s := ""
	if r.Asker != "" {
		s += " from " + r.Asker
	}
	if r.Syscall != "" {
		s += " in " + r.Syscall
	}
	return s
}

// Asker names what asked for the capability: the first stack frame, innermost first, that is
// neither the tracer's nor a capability wrapper, without clone suffixes. "" when no frame is
// named.
func Asker(stack []capcheck.Frame) string {
	for _, f := range stack {
		fn := BaseName(f.Func)
		if fn == "" || tracingFrame(fn) || wrappers[fn] {
			continue
		}
		return fn
	}
	return ""
}

// BaseName strips the compiler's clone suffixes ("do_execveat_common.isra.0" →
// "do_execveat_common"), which vary between kernel builds.
func BaseName(fn string) string {
	if i := strings.IndexByte(fn, '.'); i > 0 {
		return fn[:i]
	}
	return fn
}

func baseNames(stack []capcheck.Frame) []string {
	var out []string
	for _, f := range stack {
		if f.Func != "" {
			out = append(out, BaseName(f.Func))
		}
	}
	return out
}

func hasAny(fns []string, set map[string]bool) bool {
	for _, fn := range fns {
		if set[fn] {
			return true
		}
	}
	return false
}

func hasPrefix(fns []string, p string) bool {
	for _, fn := range fns {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}
