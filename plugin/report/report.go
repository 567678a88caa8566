// Package report is the versioned data model that `kubectl caps show` prints: tables are drawn
// from it, and `-o json|yaml` emits it as is. Field names are part of the product's interface:
// add fields, never rename or remove them within one apiVersion.
package report

import (
	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

const (
	APIVersion = "caps.kubectl.io/v1alpha1"
	Kind       = "CapabilityReport"

	// TrustNoteNode replaces TrustNote when the readings came from the node agent (--via node).
	TrustNoteNode = "Live readings come from the node: the kubectl-caps agent read /proc on each node (status, cgroup, executable file capabilities, open sockets) from outside the containers, so the image cannot forge them. 'method: node' marks them. Declared and expected values come from the API server."

	// TrustNote travels in every JSON report: readings are only as honest as the image.
	TrustNote = "Live readings come from running the container's own binaries (sh, cat, capsh) over exec; a hostile image can make them lie. 'method' says which binary produced each reading. Declared and expected values come from the API server and do not depend on the image."
)

// Report is the whole answer of one `show` run.
type Report struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Trust      string      `json:"trust"`
	Containers []Container `json:"containers"`
}

// New returns an empty report with its version fields set.
func New() *Report {
	return &Report{APIVersion: APIVersion, Kind: Kind, Trust: TrustNote, Containers: []Container{}}
}

// Container is one container of one pod: what is declared, what the runtime should give, what is
// really held, and where they disagree.
type Container struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	// Type is "container", "init", "sidecar" (restartable init container) or "ephemeral".
	Type    string `json:"type"`
	Node    string `json:"node,omitempty"`
	Runtime string `json:"runtime,omitempty"` // node.status.nodeInfo.containerRuntimeVersion
	// State is "running", "waiting: REASON" or "terminated: REASON".
	State string `json:"state"`
	// Owner is the workload that runs the pod (a bare pod is its own owner); replicas with the
	// same owner are grouped in tables and in the HTML page.
	Owner *Owner `json:"owner,omitempty"`

	Declared Declared  `json:"declared"`
	Expected *Expected `json:"expected,omitempty"`

	// Method says how the live reading was taken: "proc" (sh loop over every /proc/PID/status),
	// "proc-pid1" (cat /proc/1/status, no shell), "capsh" (capsh --print of the exec'd process).
	Method string `json:"method,omitempty"`
	// Scope says which processes are listed: "container" (all of the container's own) or
	// "pod" (shareProcessNamespace / hostPID, filtered by cgroup when possible; see ScopeNote).
	Scope     string    `json:"scope,omitempty"`
	ScopeNote string    `json:"scopeNote,omitempty"`
	Live      *Process  `json:"live,omitempty"` // the container's main process (lowest PID of its own)
	Processes []Process `json:"processes,omitempty"`
	// UnprivilegedPortStart is /proc/sys/net/ipv4/ip_unprivileged_port_start in the pod's network
	// namespace; 0 makes NET_BIND_SERVICE unnecessary.
	UnprivilegedPortStart *int `json:"unprivilegedPortStart,omitempty"`
	Truncated             bool `json:"truncated,omitempty"` // output hit the byte bound

	Findings    []Finding    `json:"findings"`
	PodSecurity *PodSecurity `json:"podSecurity,omitempty"`
	// Error says why there is no live reading (not running, exec refused, no shell...).
	Error string `json:"error,omitempty"`
	// Skipped is set when no exec was attempted on purpose (Pending, Succeeded, Windows...).
	Skipped string `json:"skipped,omitempty"`
	// Hardening is the securityContext `kubectl caps harden` would write for this container,
	// decided by harden's own policy on the pod's spec with the readings of its workload's
	// replicas as evidence.
	Hardening *Hardening `json:"hardening,omitempty"`
}

// Owner is the workload a pod belongs to, found through the pod's controller ownerReference
// and, for ReplicaSets and Jobs, theirs (Deployment, CronJob).
type Owner struct {
	Kind       string `json:"kind"` // Deployment, StatefulSet, DaemonSet, Job, CronJob, ..., or Pod for a bare pod
	Name       string `json:"name"`
	APIVersion string `json:"apiVersion,omitempty"`
	// Via is the controller between the pod and its owner: "ReplicaSet/web-5d8f9c7b6", "Job/nightly-29163".
	Via string `json:"via,omitempty"`
	// Inferred says how the owner was found when the ReplicaSet or Job could not be read (no
	// permission to list them): "pod-template-hash" (the Deployment controller names its
	// ReplicaSets NAME-HASH and labels their pods with HASH). Empty when read from ownerReferences.
	Inferred string `json:"inferred,omitempty"`
}

// Hardening is what harden's policy decides for one container.
type Hardening struct {
	// SecurityContext is the container's securityContext after hardening (unset when Skipped).
	SecurityContext map[string]any `json:"securityContext,omitempty"`
	// Changed is false when the spec is already what harden would write.
	Changed      bool                  `json:"changed"`
	Skipped      string                `json:"skipped,omitempty"`
	Changes      []string              `json:"changes,omitempty"`
	Capabilities []HardeningCapability `json:"capabilities,omitempty"`
	Notes        []string              `json:"notes,omitempty"`
	Warnings     []string              `json:"warnings,omitempty"`
}

// HardeningCapability says why one capability stays in add, is added or removed.
type HardeningCapability struct {
	Name   string `json:"name"`
	Action string `json:"action"` // kept, added, removed
	Source string `json:"source"` // spec, manifest, observed
	Reason string `json:"reason"`
}

// Declared is the securityContext as the pod and container specs combine it.
type Declared struct {
	Privileged               bool     `json:"privileged"`
	Add                      []string `json:"add,omitempty"`
	Drop                     []string `json:"drop,omitempty"`
	RunAsUser                *int64   `json:"runAsUser,omitempty"`
	RunAsGroup               *int64   `json:"runAsGroup,omitempty"`
	RunAsNonRoot             *bool    `json:"runAsNonRoot,omitempty"`
	AllowPrivilegeEscalation *bool    `json:"allowPrivilegeEscalation,omitempty"`
	Seccomp                  string   `json:"seccomp,omitempty"` // RuntimeDefault, Unconfined, Localhost/<path>, or "" (unset)
	HostPID                  bool     `json:"hostPID,omitempty"`
	ShareProcessNamespace    bool     `json:"shareProcessNamespace,omitempty"`
}

// Expected is what the declared spec should give on the node's runtime.
type Expected struct {
	RuntimeFamily string `json:"runtimeFamily"` // containerd, docker, cri-o, unknown
	Sets          Sets   `json:"sets"`
	NoNewPrivs    bool   `json:"noNewPrivs"`
	// Assumptions lists what the prediction could not know (e.g. image USER when runAsUser is unset).
	Assumptions []string `json:"assumptions,omitempty"`
}

// Sets holds the five capability sets of a process.
type Sets struct {
	Inheritable Caps `json:"inheritable"`
	Permitted   Caps `json:"permitted"`
	Effective   Caps `json:"effective"`
	Bounding    Caps `json:"bounding"`
	Ambient     Caps `json:"ambient"`
}

// Caps is one set in both machine and human form.
type Caps struct {
	Mask  string   `json:"mask"`  // 16 hex digits, as in /proc
	Names []string `json:"names"` // Kubernetes spelling, bit order
}

// CapsOf renders a set for the report.
func CapsOf(s capset.Set) Caps {
	return Caps{Mask: s.Hex(), Names: s.Names()}
}

// SetsOf renders the five sets of a process for the report.
func SetsOf(inh, prm, eff, bnd, amb capset.Set) Sets {
	return Sets{Inheritable: CapsOf(inh), Permitted: CapsOf(prm), Effective: CapsOf(eff), Bounding: CapsOf(bnd), Ambient: CapsOf(amb)}
}

// Process is one process as /proc/PID/status (or capsh) describes it.
type Process struct {
	PID            int    `json:"pid"`
	Name           string `json:"name"` // sanitized; from the container, untrusted
	UID            int64  `json:"uid"`  // real uid
	EUID           int64  `json:"euid"`
	GID            int64  `json:"gid"`
	Sets           Sets   `json:"sets"`
	NoNewPrivs     bool   `json:"noNewPrivs"`
	Seccomp        string `json:"seccomp"` // disabled, strict, filter, unknown
	SeccompFilters int    `json:"seccompFilters,omitempty"`
	// Executable is the process's executable as the container names it (sanitized), and
	// FileCaps its file capabilities (the security.capability attribute setcap writes), when the
	// reading could see them (method "node"); fileCaps is absent when the file has none.
	Executable string    `json:"executable,omitempty"`
	FileCaps   *FileCaps `json:"fileCaps,omitempty"`
}

// FileCaps are an executable's file capabilities: at exec, the process's new permitted set is
// (permitted & bounding) | (inheritable & the process's inheritable), also effective with
// effective: true. A revision 3 attribute applies only in a user namespace whose root is rootID.
type FileCaps struct {
	Text        string  `json:"text"` // as getcap prints it: "cap_net_bind_service=ep"
	Permitted   Caps    `json:"permitted"`
	Inheritable Caps    `json:"inheritable"`
	Effective   bool    `json:"effective"`
	Revision    int     `json:"revision"`
	RootID      *uint32 `json:"rootID,omitempty"`
}

// Finding is one disagreement or risk, with a stable ID tools can match on.
type Finding struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// PodSecurity is the Pod Security Standards evaluation of the pod spec.
type PodSecurity struct {
	Level      string   `json:"level"` // highest level the pod meets: privileged, baseline, restricted
	Violations []string `json:"violations,omitempty"`
}
