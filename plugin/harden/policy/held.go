package policy

import (
	"sort"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/expect"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// Declared is the part of a container's spec the runtime model (package expect) reads: pod and
// container securityContext combined, the container's winning.
func Declared(pod Pod, c Container) report.Declared {
	d := report.Declared{
		Privileged:               c.SC.Privileged != nil && *c.SC.Privileged,
		Add:                      c.SC.Add,
		Drop:                     c.SC.Drop,
		RunAsUser:                pod.RunAsUser,
		RunAsNonRoot:             pod.RunAsNonRoot,
		AllowPrivilegeEscalation: c.SC.AllowPrivilegeEscalation,
		Seccomp:                  pod.SeccompType,
	}
	if c.SC.RunAsUser != nil {
		d.RunAsUser = c.SC.RunAsUser
	}
	if c.SC.RunAsNonRoot != nil {
		d.RunAsNonRoot = c.SC.RunAsNonRoot
	}
	if c.SC.SeccompType != "" {
		d.Seccomp = c.SC.SeccompType
	}
	return d
}

// held is what the original spec grants on the runtimes harden must not raise privilege on.
type held struct {
	every, some capset.Set // granted on every runtime rule set; on at least one
	// missing names, per capability of some that is not in every, the runtime families that do
	// not grant it.
	missing  map[capset.Cap][]string
	families []string // every family counted, in RuleSets order
	refused  []string // families that refuse to create the original container
}

// holdings predicts the original spec on each runtime (expect.Predict, the node's full set taken
// as every known capability). A runtime that refuses the spec (an unknown name on CRI-O) runs
// nothing, so it constrains nothing and is left out.
func holdings(pod Pod, c Container, runtimes []expect.Runtime) held {
	h := held{every: capset.Known, missing: map[capset.Cap][]string{}}
	d := Declared(pod, c)
	counted := 0
	var granted []capset.Set
	var names []string
	for _, r := range runtimes {
		p := expect.Predict(expect.Input{Declared: d, Node: expect.Node{Runtime: r, Full: capset.Known}})
		if len(p.Rejected) > 0 {
			if !contains(h.refused, r.Family) {
				h.refused = append(h.refused, r.Family)
			}
			continue
		}
		counted++
		h.every = h.every.Intersect(p.Granted)
		h.some = h.some.Union(p.Granted)
		granted = append(granted, p.Granted)
		names = append(names, r.Family)
		if !contains(h.families, r.Family) {
			h.families = append(h.families, r.Family)
		}
	}
	if counted == 0 {
		h.every = 0
	}
	for _, cp := range h.some.Minus(h.every).Caps() {
		seen := map[string]bool{}
		for i, g := range granted {
			if !g.Has(cp) && !seen[names[i]] {
				seen[names[i]] = true
				h.missing[cp] = append(h.missing[cp], names[i])
			}
		}
		sort.Strings(h.missing[cp])
	}
	return h
}

// where names the runtimes on which a capability is missing, for people: "CRI-O".
func (h held) where(cp capset.Cap) string {
	out := make([]string, len(h.missing[cp]))
	for i, f := range h.missing[cp] {
		out[i] = familyName(f)
	}
	return strings.Join(out, " and ")
}

// families are the runtime families that hold a capability of some but not every.
func (h held) holding(cp capset.Cap) []string {
	var out []string
	for _, f := range h.families {
		if !contains(h.missing[cp], f) {
			out = append(out, f)
		}
	}
	return out
}

func (h held) others(cp capset.Cap) string {
	fs := h.holding(cp)
	for i, f := range fs {
		fs[i] = familyName(f)
	}
	return strings.Join(fs, " and ")
}

func (h held) othersFlag(cp capset.Cap) string { return strings.Join(h.holding(cp), ",") }

func familyName(f string) string {
	switch f {
	case "cri-o":
		return "CRI-O"
	case "docker":
		return "Docker"
	}
	return f
}

// RuleSets are the runtime versions the decision must not raise privilege on: every rule set
// package expect models, or those of the families the user named (Options.Runtimes).
func (o Options) RuleSets() []expect.Runtime {
	var out []expect.Runtime
	for _, r := range expect.RuleSets() {
		if len(o.Runtimes) == 0 || contains(o.Runtimes, r.Family) {
			out = append(out, r)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}
