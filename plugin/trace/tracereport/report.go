// Package tracereport is the versioned data model of a capability trace (kind CapabilityTrace):
// per container, the capabilities the workload used, the ones it asked for and was refused, the
// noise counted by reason, the securityContext it suggests, and every counted check with its
// meaning. `kubectl caps trace -o json|yaml` emits it as is, tables are drawn from it, and
// `harden --evidence TRACE.json` reads it back (Decode). Field names are part of the product's
// interface: add fields, never rename or remove them within one apiVersion.
package tracereport

import (
	"encoding/json"
	"fmt"
	"io"
)

const (
	APIVersion = "caps.kubectl.io/v1alpha1"
	Kind       = "CapabilityTrace"

	// TrustNote travels in every trace.
	TrustNote = "Checks are counted by the node's kernel (eBPF on cap_capable), not read through the image: the workload cannot forge or hide them. It does choose its process names (comm), which are shown sanitized. Only what ran during the trace is seen: a code path that did not run (an error handler, a monthly job) is not in it."
)

// Trace is the whole answer of one trace run.
type Trace struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Trust      string `json:"trust"`
	// Duration is how long the trace recorded, as Go prints durations ("1m0s").
	Duration   string      `json:"duration,omitempty"`
	Containers []Container `json:"containers"`
}

// New returns an empty trace with its version fields set.
func New() *Trace {
	return &Trace{APIVersion: APIVersion, Kind: Kind, Trust: TrustNote, Containers: []Container{}}
}

// Container is one container of one pod as traced on its node.
type Container struct {
	Namespace   string `json:"namespace"`
	Pod         string `json:"pod"`
	Container   string `json:"container"`
	ContainerID string `json:"containerID,omitempty"` // as status.containerStatuses[].containerID
	Node        string `json:"node,omitempty"`
	// Workload is the object that runs the pod (see Workload); harden --evidence matches traces
	// to manifests by it.
	Workload *Workload `json:"workload,omitempty"`

	// Kernel says how the node traced; absent when it could not (Error says why).
	Kernel *Kernel `json:"kernel,omitempty"`
	// Error is set when this container was not traced (no kernel path on the node, agent refused,
	// container not running...): the lists below are then empty and mean nothing.
	Error string `json:"error,omitempty"`

	// Used are the capabilities the workload used: granted, audited, checked against its own
	// credentials. The suggested securityContext adds exactly these.
	Used []Capability `json:"used"`
	// Denied are the capabilities it asked for and lacked: what "drop ALL broke my app" usually is.
	// They are not added to the suggestion; the workload ran without them.
	Denied []Capability `json:"denied"`
	// Noise counts the checks that are never needs, by reason (classify.NoiseReason values).
	Noise []Noise `json:"noise"`
	// Suggested is the securityContext.capabilities the trace supports; absent when the container
	// was not traced.
	Suggested *Suggestion `json:"suggested,omitempty"`
	// Records are every distinct check counted, with its meaning (tables show them with -o wide).
	Records []Record `json:"records,omitempty"`
	// Dropped counts checks the node could not record (its kernel map was full): the lists may
	// miss something when it is not zero.
	Dropped uint64 `json:"dropped,omitempty"`
	// Notes state what limits this trace (stacks not named, dropped checks...).
	Notes []string `json:"notes,omitempty"`
}

// Kernel is how a node traced.
type Kernel struct {
	// Path is the attach point: "tp_btf/cap_capable" (the capability:cap_capable tracepoint,
	// Linux 6.14+) or "kprobe/cap_capable" (kprobe + kretprobe, older kernels).
	Path string `json:"path"`
	// Release is the node's kernel release (uname -r), when known.
	Release string `json:"release,omitempty"`
	Arch    string `json:"arch,omitempty"` // GOARCH of the node: names the syscall numbers
	// Cgroup is "v1" or "v2": how checks were tied to the container's cgroup.
	Cgroup string `json:"cgroup,omitempty"`
}

// Capability is one capability used or denied, with everything that asked for it.
type Capability struct {
	Capability string    `json:"capability"` // Kubernetes spelling: "NET_BIND_SERVICE"
	Count      uint64    `json:"count"`      // checks counted
	Processes  []Process `json:"processes"`
	Syscalls   []string  `json:"syscalls,omitempty"` // names, "syscall_N" for numbers not known
	// Callers are the kernel functions that asked (first stack frame outside the capability
	// wrappers), e.g. "__inet_bind", "setattr_prepare".
	Callers []string `json:"callers,omitempty"`
	// OnlyAsRoot (used capabilities only) is set when every check came from a process running as
	// uid 0: a spec that makes the container non-root would not make the capability effective by
	// adding it.
	OnlyAsRoot bool `json:"onlyAsRoot,omitempty"`
	// Reason is one line for people: who, in which syscall, from where.
	Reason string `json:"reason"`
}

// Process is one process that made checks.
type Process struct {
	Comm  string `json:"comm"` // the kernel's task name, sanitized (the workload chooses it)
	TGID  uint32 `json:"pid"`  // in the node's pid namespace
	UID   uint32 `json:"uid"`  // its own effective uid at the check
	Count uint64 `json:"count"`
}

// Noise is the checks of one noise reason.
type Noise struct {
	Reason       string   `json:"reason"` // classify.NoiseReason: non-auditing, borrowed-credentials, ...
	Count        uint64   `json:"count"`
	Capabilities []string `json:"capabilities"`
	// Explanation says in words why these are never needs.
	Explanation string `json:"explanation"`
}

// Suggestion is a securityContext.capabilities with a reason per added capability.
type Suggestion struct {
	Drop []string `json:"drop"` // always ["ALL"]
	Add  []string `json:"add"`  // exactly the used capabilities, sorted by bit
	// Reasons has one entry per added capability, in Add's order.
	Reasons []Reason `json:"reasons,omitempty"`
	// Notes say what the suggestion leaves out on purpose (denied capabilities, root-only use).
	Notes []string `json:"notes,omitempty"`
}

// Reason ties one added capability to the evidence.
type Reason struct {
	Capability string `json:"capability"`
	Reason     string `json:"reason"`
}

// Record is one distinct check as the kernel counted it, with its meaning.
type Record struct {
	Comm       string `json:"comm"`
	TGID       uint32 `json:"pid"`
	UID        uint32 `json:"uid"`
	Capability string `json:"capability"`
	Verdict    string `json:"verdict"`           // "granted" or "denied"
	Syscall    string `json:"syscall,omitempty"` // "" when not in a syscall
	Caller     string `json:"caller,omitempty"`
	Count      uint64 `json:"count"`
	// Flags are the kernel's qualifiers: "borrowed-cred" (credentials not the task's own),
	// "other-cred" (another task's or a file's), "child-userns", "noaudit", "insetid" (kprobe path
	// only, which sees opts).
	Flags []string `json:"flags,omitempty"`
	// Class is "need", "denied" or "noise"; NoiseReason says which noise.
	Class       string `json:"class"`
	NoiseReason string `json:"noiseReason,omitempty"`
	Reason      string `json:"reason"`
	// Stack is the kernel stack of the first such check, innermost first, as "function+0xoffset"
	// (never raw addresses: they would reveal the kernel's KASLR base).
	Stack []string `json:"stack,omitempty"`
}

// Decode reads a trace written by `kubectl caps trace -o json` (harden --evidence), refusing
// another kind or version rather than misreading it.
func Decode(r io.Reader) (*Trace, error) {
	var t Trace
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("decode capability trace: %w", err)
	}
	if t.APIVersion != APIVersion || t.Kind != Kind {
		return nil, fmt.Errorf("not a capability trace: apiVersion %q kind %q (want %s %s)", t.APIVersion, t.Kind, APIVersion, Kind)
	}
	return &t, nil
}
