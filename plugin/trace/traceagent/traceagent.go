// Package traceagent is what `kubectl-caps agent trace` does on a node: it finds the cgroup of
// each requested container from the host's /proc, turns it into the id the eBPF program filters
// on, records the capability checks of those cgroups for a while (package capstrace), and
// summarizes them per container as one CapabilityTrace (package tracereport).
//
// It runs in the privileged agent pod that `kubectl caps trace` starts, with hostPID: /proc lists
// the node's processes, and the host's cgroup tree is reached through /proc/1/root (the pod's own
// /sys/fs/cgroup shows only its own cgroups). A container that is not found, or a kernel with no
// usable attach point, gives a row of its own (tracereport.Failed) that names what was tried.
// The program is unloaded on every path: Run closes the tracer before it returns, and the kernel
// drops it with the agent's last file descriptor if the agent is killed.
package traceagent

import (
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
)

// Options say what to trace on this node.
type Options struct {
	// IDs are the containers to trace, validated by containerid.Parse.
	IDs []containerid.ID
	// Node is copied into every row.
	Node string
	// For is how long to record; the context given to Run ends it earlier (SIGTERM).
	For time.Duration
	// Path forces one kernel path ("" picks the best this kernel has). Forcing a path the kernel
	// lacks is how a node without a usable path is simulated on a node that has one.
	Path capcheck.Path
	// HostRoot is where the host's root file system is seen first: "/proc/1/root" in the agent
	// pod. The root of each container's parent process (its runtime shim) and the agent's own
	// root are tried after it.
	HostRoot string
	// Started, when set, is told once the program is attached (or could not be), with the
	// number of cgroups it filters on.
	Started func(path capcheck.Path, cgroups int, err error)
}

// MaxCgroupsPerContainer bounds the distinct cgroups one container's processes may be in (a
// container that made sub-cgroups of its own); the rest are not traced and a note says so.
const MaxCgroupsPerContainer = 64

// MaxBytes bounds the agent's whole JSON document: 8,192 distinct checks (the kernel map's
// default bound) with their stacks stay far below it. The plugin reads the agent's log up to
// this bound.
const MaxBytes = 32 << 20
