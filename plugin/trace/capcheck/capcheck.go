// Package capcheck is one capability check as the kernel counted it: who asked (cgroup, process,
// uid), for which capability, with which verdict, from which syscall, with whose credentials, how
// often, and the kernel stack of the first such check. The tracer (plugin/trace/capstrace) fills
// it from its eBPF map; classification and reports read it. It is plain data, with no build tags.
package capcheck

import "github.com/kubectl-caps/kubectl-caps/plugin/capset"

// Path names the kernel attach point that produced the checks; reports print it as is.
type Path string

const (
	// PathTracepoint is the capability:cap_capable tracepoint (BTF-typed, Linux 6.14+). It has no
	// opts: whether a check audits is inferred from its stack.
	PathTracepoint Path = "tp_btf/cap_capable"
	// PathKprobe is a kprobe + kretprobe pair on cap_capable (older kernels). It sees opts.
	PathKprobe Path = "kprobe/cap_capable"
)

// Check is one key of the kernel's map: every check with equal fields adds to Count.
type Check struct {
	CgroupID uint64 // kernfs id of the task's cgroup (v1: memory hierarchy), = directory inode
	TGID     uint32 // process id in the host's pid namespace
	UID      uint32 // the process's own effective uid (not a borrowed one)
	// Comm is the task's name as the kernel had it at the check (untrusted: the workload chose it;
	// runc's set-up shows as "runc:[2:INIT]" before the entrypoint's execve renames it).
	Comm    string
	Cap     capset.Cap
	Denied  bool
	Syscall int // syscall number on Arch; -1 when unknown or not in a syscall
	Flags   Flags
	Count   uint64
	// Stack is the kernel stack of the first check of this key, innermost frame first. Empty when
	// the kernel could not take it; StackError then says why.
	Stack      []Frame
	StackError string
}

// Flags qualify a check; the bits are the eBPF program's (capable.bpf.c, FLAG_*).
type Flags uint8

const (
	// BorrowedCred: the checked credentials were not the task's own (real_cred), e.g. overlayfs
	// acting with the mounter's credentials through override_creds.
	BorrowedCred Flags = 1 << 0
	// OtherCred: the checked credentials were not even the task's current ones: another task's
	// (has_capability on a target) or an open file's (file_ns_capable).
	OtherCred Flags = 1 << 1
	// ChildUserNS: the check was against a user namespace other than the initial one.
	ChildUserNS Flags = 1 << 2
	// OptsKnown: the path saw cap_capable's opts, so NoAudit and InSetID are meaningful.
	OptsKnown Flags = 1 << 3
	// NoAudit: opts had CAP_OPT_NOAUDIT: the caller only probed, a denial changes nothing.
	NoAudit Flags = 1 << 4
	// InSetID: opts had CAP_OPT_INSETID: the set*id path.
	InSetID Flags = 1 << 5
	// NoSyscall: the task was not in a syscall (or the kernel could not say which).
	NoSyscall Flags = 1 << 6
)

// Has reports whether every bit of g is set.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Frame is one kernel stack frame.
type Frame struct {
	Addr uint64
	// Func is the kernel symbol holding Addr, "" when it could not be named (addresses hidden by
	// kptr_restrict without CAP_SYSLOG, or an address outside every known symbol).
	Func   string
	Offset uint64 // Addr - start of Func
	Module string // "" for the kernel image, else the module's name
}

// Snapshot is what the tracer returns: every key counted since it started.
type Snapshot struct {
	Path Path
	// Arch is the GOARCH whose syscall numbers Check.Syscall uses ("amd64", "arm64").
	Arch   string
	Checks []Check
	// Dropped counts checks that were not recorded because the kernel map was full.
	Dropped uint64
	// SymbolNote is set when stack frames could not be named, and says why.
	SymbolNote string
}
