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
	// Ignored lists declared capability names the runtime will not apply (CAP_ prefix, unknown).
	Ignored     []string
	Assumptions []string
}

// Predict applies the runtime's rules and then the kernel's execve rules for the process's uid.
//
// Runtime rules (containerd pkg/cri/opts WithCapabilities, CRI-O setOCICapabilities): privileged
// gets the node's full set; otherwise start from the runtime default, then `add: [ALL]` → full,
// `drop: [ALL]` → empty, then each named add, then each named drop — so a capability both added
// and dropped ends up dropped, whatever the YAML order. Names are upper-cased and prefixed with
// CAP_ by the runtime, so "CAP_SYS_TIME" becomes the unknown "CAP_CAP_SYS_TIME", which runc
// ignores.
//
// Kernel rules: for uid 0 the permitted and effective sets equal the bounding set given by the
// runtime. For any other uid, execve clears permitted and effective (Kubernetes sets no ambient
// capabilities), so added capabilities sit only in the bounding set, unusable unless a binary
// carries file capabilities and no_new_privs is off.
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
		granted = p.Default
		if containsAll(d.Add) {
			granted = full
		}
		if containsAll(d.Drop) {
			granted = 0
		}
		add, ignoredAdd := runtimeNames(d.Add)
		drop, ignoredDrop := runtimeNames(d.Drop)
		granted = granted.Union(add.Intersect(full)).Minus(drop)
		p.Ignored = append(ignoredAdd, ignoredDrop...)
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

// runtimeNames resolves names the way CRI runtimes do (capset.RuntimeName); what they ignore
// ("CAP_SYS_TIME", typos, numbers) is returned for the report. The ALL keyword is handled by the
// caller.
func runtimeNames(list []string) (capset.Set, []string) {
	var s capset.Set
	var ignored []string
	for _, n := range list {
		if capset.IsAll(n) {
			continue
		}
		c, ok := capset.RuntimeName(n)
		if !ok {
			ignored = append(ignored, n)
			continue
		}
		s = s.With(c)
	}
	return s, ignored
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
