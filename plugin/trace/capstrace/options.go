// Package capstrace records the capability checks that the processes of chosen cgroups make,
// with the eBPF program of plugin/trace/capbpf. It picks the best kernel path at run time
// (capcheck.PathTracepoint, else capcheck.PathKprobe), filters to the target cgroups in the
// kernel, and returns the kernel's aggregated counts with each stack named from /proc/kallsyms:
//
//	tr, err := capstrace.Start(capstrace.Options{Cgroups: ids})
//	...
//	snap, err := tr.Records() // cumulative since Start; call as often as wanted
//	tr.Close()                // detaches and unloads everything
//
// Only Linux can do this; elsewhere Start returns ErrNeedsLinux. Loading needs CAP_BPF and
// CAP_PERFMON (or CAP_SYS_ADMIN), naming stack frames needs CAP_SYSLOG, and the kernel's BTF
// (/sys/kernel/btf/vmlinux) must be readable. Nothing is pinned: if the process dies, even by
// SIGKILL, the kernel drops the program with its last file descriptor.
package capstrace

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
)

// Options say what to trace.
type Options struct {
	// Cgroups are the target cgroups' ids (CgroupID of their directories). Checks of tasks in
	// other cgroups are dropped in the kernel. SetCgroups changes them later.
	Cgroups []uint64
	// ExcludeTGIDs are processes never counted; the calling process is always excluded.
	ExcludeTGIDs []uint32
	// Path forces one kernel path; empty picks the best one this kernel has.
	Path capcheck.Path
	// MaxChecks bounds the kernel map (distinct keys); 0 means DefaultMaxChecks. Checks of new
	// keys past the bound are counted in Snapshot.Dropped.
	MaxChecks int
	// CgroupV1 overrides the detection of the cgroup version (/sys/fs/cgroup's file system).
	CgroupV1 *bool
	// Kallsyms is the symbol table to name stack frames with; empty means /proc/kallsyms.
	Kallsyms string
}

// DefaultMaxChecks holds a busy container's distinct checks many times over (about 2.6 MB of
// kernel memory, allocated at load).
const DefaultMaxChecks = 8192

// MaxCgroups is how many target cgroups the kernel filter holds.
const MaxCgroups = 1024

// ErrNeedsLinux is returned by Start on every other system (and architecture).
var ErrNeedsLinux = errors.New("capability tracing needs Linux (amd64 or arm64)")

// ErrNoKernelPath matches (errors.Is) a *NoPathError: the kernel has no usable attach point.
var ErrNoKernelPath = errors.New("no kernel path to trace capability checks")

// NoPathError says why each path failed, for a row of its own in the caller's output.
type NoPathError struct {
	Attempts []Attempt
}

// Attempt is one path tried and why it failed.
type Attempt struct {
	Path capcheck.Path
	Err  error
}

func (e *NoPathError) Error() string {
	parts := make([]string, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		parts = append(parts, fmt.Sprintf("%s: %v", a.Path, a.Err))
	}
	return ErrNoKernelPath.Error() + " (" + strings.Join(parts, "; ") + ")"
}

func (e *NoPathError) Is(target error) bool { return target == ErrNoKernelPath }

func (e *NoPathError) Unwrap() []error {
	errs := make([]error, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		errs = append(errs, a.Err)
	}
	return errs
}
