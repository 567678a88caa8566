package policy

import (
	"fmt"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// traceReason bounds a trace's reason for the report: longer than manifest text (clip), since it
// names the process, syscall and kernel function that asked.
func traceReason(s string) string { return termsafe.Clip(termsafe.Clean(s), 240) }

// tracedNeeds adds what a trace of the workload's capability checks saw (Evidence.Needs): every
// capability it used, and those it was refused only with --add-denied, which grants them on
// purpose (d.Licensed): the workload ran without them, so each is a first-time grant that the
// rule "never grant more than the original spec" otherwise refuses. Without the flag each
// refusal is a note that says so.
func tracedNeeds(ev *Evidence, opt Options, d *Decision, addNeed func(need)) {
	for _, n := range ev.Needs {
		name, ok := capset.Normalize(n.Name)
		if !ok || name == "ALL" {
			continue
		}
		reason := traceReason(n.Reason)
		switch {
		case !n.Denied:
			addNeed(need{name, SourceTraced, reason})
		case opt.AddDenied:
			if cp, ok := capOf(name); ok {
				d.Licensed = d.Licensed.With(cp)
			}
			addNeed(need{name, SourceTraced, "refused in the trace, added on purpose (--add-denied): " + reason})
		default:
			d.Notes = append(d.Notes, fmt.Sprintf("%s was refused in the trace and is not added: the workload ran without it (%s); --add-denied adds it, a first-time grant", name, reason))
		}
	}
}

// tracedBeyondSpec decides a traced capability that the original spec never grants: one refused
// in the trace and added with --add-denied is added (d.Licensed allows it), with a warning; one
// used in the trace means the traced pods ran with another spec than this manifest, and it is
// not added (harden never grants more than the spec it is given), with what to do instead. It
// reports whether the capability is added.
func tracedBeyondSpec(c Container, name, reason string, h held, cp capset.Cap, d *Decision) bool {
	if d.Licensed.Has(cp) {
		d.Capabilities = append(d.Capabilities, CapReason{name, ActionAdded, SourceTraced, reason})
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s added (--add-denied): the original spec never grants it (%s), so the hardened one grants it for the first time", name, notHeld(c, "", name, h, cp)))
		return true
	}
	d.Warnings = append(d.Warnings, fmt.Sprintf("%s was used in the trace (%s), but this manifest never grants it (%s): the traced pods ran with another spec. Not added, since harden never grants more than the spec it hardens; if the workload needs it, add %s to the manifest's capabilities.add and run harden again", name, reason, notHeld(c, "", name, h, cp), name))
	return false
}

// rootOnlyTraced takes out of the add list the capabilities a trace saw used only by processes
// running as root, in a container the hardened spec runs as non-root: Kubernetes sets no ambient
// capabilities, so listed in add they would not be effective for its processes. Each one taken
// out is explained; one that another reason also asks for (a low containerPort, the manifest's
// own add) stays as it is.
func rootOnlyTraced(ev *Evidence, d *Decision, who string) {
	for _, n := range ev.Needs {
		if !n.OnlyAsRoot || n.Denied {
			continue
		}
		name, ok := capset.Normalize(n.Name)
		if !ok {
			continue
		}
		k := -1
		for i, r := range d.Capabilities {
			if r.Name == name && r.Action == ActionAdded && r.Source == SourceTraced {
				k = i
			}
		}
		if k < 0 {
			continue
		}
		d.Capabilities = append(d.Capabilities[:k], d.Capabilities[k+1:]...)
		for i, a := range d.Add {
			if a == name {
				d.Add = append(d.Add[:i], d.Add[i+1:]...)
				break
			}
		}
		d.Notes = append(d.Notes, fmt.Sprintf("%s not added: the trace saw it used only by processes running as root (%s), and the hardened container runs as %s, for whose processes a capability in add is not effective (Kubernetes sets no ambient capabilities). If that step must keep working, run it as root with %s added, or give its executable the file capability and leave allowPrivilegeEscalation unset", name, traceReason(n.Reason), who, name))
	}
}
