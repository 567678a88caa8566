package expect

import (
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// Node is what is known about the node a container runs on.
type Node struct {
	Runtime Runtime
	// Full is the node's full capability set: what a privileged container gets (containerd and
	// CRI-O grant the capabilities their own process holds, which can be fewer than the kernel
	// knows). Zero when unknown; then every known capability is assumed.
	Full capset.Set
}

// Input is everything a prediction depends on.
type Input struct {
	Declared report.Declared
	Node     Node
	// ObservedUID is the uid the container's main process really runs as, used when the spec
	// does not set runAsUser (the image's USER decides then). Nil when unknown.
	ObservedUID *int64
}

// Prediction is the expected state of the container's main process.
type Prediction struct {
	Inh, Prm, Eff, Bnd, Amb capset.Set
	NoNewPrivs              bool
	Seccomp                 reading.SeccompMode
	UID                     int64
	UIDKnown                bool
	Default                 capset.Set // the runtime's default set, for labels
	Full                    capset.Set // the node's full set used
	// Granted is what the runtime puts in the bounding set from add/drop/privileged, before the
	// kernel applies the uid rules.
	Granted capset.Set
	// Added is what the runtime reads from capabilities.add by name (the ALL keyword aside), by
	// its own naming rule.
	Added capset.Set
	// Ignored lists declared capability names the runtime will not apply (CAP_ prefix, unknown).
	Ignored []string
	// Rejected lists names for which the runtime refuses to create the container (CRI-O and
	// Docker on unknown names); the sets are then what it would have granted otherwise.
	Rejected    []string
	Assumptions []string
}

// Predict applies the runtime's rules and then the kernel's execve rules for the process's uid.
//
// Runtime rules: privileged gets the node's full set. Otherwise names are read as the runtime
// reads them (resolve: containerd ignores "CAP_X" and unknown names, CRI-O and Docker take
// "CAP_X" and refuse unknown names), then:
//   - containerd (WithCapabilities) and CRI-O (SpecSetupCapabilities): start from the runtime
//     default, `add: [ALL]` → full, `drop: [ALL]` → empty, then each named add, then each named
//     drop — so a capability both added and dropped ends up dropped, whatever the YAML order,
//     and add: [ALL] with drop: [ALL] grants only the named adds.
//   - Docker 19.03+ (moby TweakCapabilities): add: [ALL] → full minus the named drops (drop:
//     [ALL] then changes nothing); else drop: [ALL] → only the named adds; else default minus
//     drops plus adds — an add wins over a drop of the same name.
//   - Docker before 19.03: add: [ALL] starts from full; drop: [ALL] empties that; named drops,
//     then named adds (an add wins here too).
//
// Kernel rules: for uid 0 the permitted and effective sets equal the bounding set given by the
// runtime. For any other uid, execve clears permitted and effective (Kubernetes sets no ambient
// capabilities), so added capabilities sit only in the bounding set, unusable unless a binary
// carries file capabilities. All three runtimes put the granted set in the OCI permitted set for
// every user (containerd pkg/oci WithCapabilities, CRI-O AddProcessCapabilityPermitted, moby
// through the same containerd option), which is why allowPrivilegeEscalation: false (no_new_privs)
// does not stop the entrypoint's file capabilities: the kernel caps what an execve gains at the
// permitted set held before it (this project's e2e scenario 7 on containerd).
func Predict(in Input) Prediction {
	d := in.Declared
	p := Prediction{Default: in.Node.Runtime.DefaultSet(), Seccomp: reading.SeccompUnknown}
	full := in.Node.Full
	if full == 0 {
		full = capset.Known
		if d.Privileged || containsAll(d.Add) {
			p.Assumptions = append(p.Assumptions, "node's full capability set unknown: assumed all 41 known capabilities (a privileged container read on this node would tell)")
		}
	}
	p.Full = full
	if in.Node.Runtime.Family == "unknown" {
		p.Assumptions = append(p.Assumptions, "container runtime unknown: assumed containerd/Docker defaults")
	}

	var granted capset.Set
	if d.Privileged {
		granted = full
	} else {
		add, drop := in.Node.Runtime.resolve(d.Add), in.Node.Runtime.resolve(d.Drop)
		p.Added = add.set
		granted = compose(in.Node.Runtime, p.Default, full, add, drop)
		p.Ignored = append(add.ignored, drop.ignored...)
		p.Rejected = append(add.rejected, drop.rejected...)
	}
	p.Granted = granted
	p.Bnd = granted

	switch {
	case d.RunAsUser != nil:
		p.UID, p.UIDKnown = *d.RunAsUser, true
	case in.ObservedUID != nil:
		p.UID, p.UIDKnown = *in.ObservedUID, true
		p.Assumptions = append(p.Assumptions, fmt.Sprintf("runAsUser not set: the image's user applies (observed uid %d)", *in.ObservedUID))
	default:
		p.Assumptions = append(p.Assumptions, "runAsUser not set and no live reading: assumed the image runs as root")
	}
	if p.UID == 0 {
		p.Prm, p.Eff = granted, granted
	}
	if in.Node.Runtime.SetsInheritable() {
		p.Inh = granted
	}

	// allowPrivilegeEscalation defaults to true; the API server rejects false with privileged.
	p.NoNewPrivs = d.AllowPrivilegeEscalation != nil && !*d.AllowPrivilegeEscalation && !d.Privileged

	switch {
	case d.Privileged:
		// Runtimes do not apply the default seccomp profile to privileged containers unless the
		// profile is explicitly set.
		if strings.HasPrefix(d.Seccomp, "Localhost") || d.Seccomp == "RuntimeDefault" {
			p.Seccomp = reading.SeccompFilter
		} else {
			p.Seccomp = reading.SeccompDisabled
		}
	case d.Seccomp == "RuntimeDefault" || strings.HasPrefix(d.Seccomp, "Localhost"):
		p.Seccomp = reading.SeccompFilter
	case d.Seccomp == "Unconfined":
		p.Seccomp = reading.SeccompDisabled
	default:
		// The kubelet's default is Unconfined unless it runs with --seccomp-default.
		p.Seccomp = reading.SeccompDisabled
		p.Assumptions = append(p.Assumptions, "seccompProfile not set: assumed the kubelet default (Unconfined; RuntimeDefault if the kubelet runs with --seccomp-default)")
	}
	return p
}

func containsAll(list []string) bool {
	for _, n := range list {
		if capset.IsAll(n) {
			return true
		}
	}
	return false
}

// compose grants what add and drop ask of a non-privileged container, in the runtime's order.
func compose(r Runtime, def, full capset.Set, add, drop resolved) capset.Set {
	adds := add.set.Intersect(full)
	if r.Family != "docker" {
		g := def
		if add.all {
			g = full
		}
		if drop.all {
			g = 0
		}
		return g.Union(adds).Minus(drop.set)
	}
	if r.dockerBefore1903() {
		g := def
		if add.all {
			g = full
		}
		if drop.all {
			g = 0
		}
		return g.Minus(drop.set).Union(adds)
	}
	switch {
	case add.all:
		return full.Minus(drop.set)
	case drop.all:
		return adds
	}
	return def.Minus(drop.set).Union(adds)
}

// Report renders the prediction into the report's form.
func (p Prediction) Report(family string) *report.Expected {
	return &report.Expected{
		RuntimeFamily: family,
		Sets:          report.SetsOf(p.Inh, p.Prm, p.Eff, p.Bnd, p.Amb),
		NoNewPrivs:    p.NoNewPrivs,
		Assumptions:   p.Assumptions,
	}
}
