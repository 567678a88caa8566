// Package findings compares what a container declares, what its runtime should give it, and what
// its processes really hold, and names the gaps people get wrong. Every finding has a stable ID
// that scripts can match on and a one-line explanation for people.
package findings

import (
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/expect"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// maxListed bounds how many processes one finding names.
const maxListed = 5

// Input is one container's three views.
type Input struct {
	Declared report.Declared
	Expected expect.Prediction
	// Main is the container's main process; nil when there is no live reading.
	Main *reading.Process
	// Procs are all of the container's own processes (Main among them). When the reading came
	// from capsh, it is the exec'd capsh process, and LiveIsExec is true.
	Procs      []reading.Process
	LiveIsExec bool
}

// Evaluate returns the findings in a fixed order.
func Evaluate(in Input) []report.Finding {
	var out []report.Finding
	add := func(id, format string, args ...any) {
		out = append(out, report.Finding{ID: id, Message: fmt.Sprintf(format, args...)})
	}
	d, p := in.Declared, in.Expected

	if d.Privileged {
		add(Privileged, "privileged: true grants every capability of the node (%d), all host devices and no default seccomp profile", p.Full.Len())
	}
	if !d.Privileged {
		if kept := p.Granted.Intersect(p.Default); !kept.Empty() && !containsAll(d.Drop) {
			add(RuntimeDefaultsKept, "the runtime's %d default capabilities were never dropped (%d still granted: %s); privileged: false does not remove them, drop: [ALL] does",
				p.Default.Len(), kept.Len(), kept)
		}
	}
	if len(p.Ignored) > 0 {
		add(NameIgnored, "capability names %s are not applied: Kubernetes names have no CAP_ prefix and must be known capabilities (the runtime upper-cases, prefixes CAP_ and runc skips unknown names)", strings.Join(p.Ignored, ", "))
	}

	// Added capabilities that a non-root user cannot use.
	added := p.Added
	uid, uidKnown := p.UID, p.UIDKnown
	eff, bnd := p.Eff, p.Bnd
	if in.Main != nil && in.Main.HasIDs && !in.LiveIsExec {
		uid, uidKnown = in.Main.EffectiveUID()
		eff, bnd = in.Main.Eff, in.Main.Bnd
	}
	if uidKnown && uid != 0 && !d.Privileged {
		if lost := added.Intersect(p.Granted).Minus(eff); !lost.Empty() {
			where := "only in the bounding set"
			if !bnd.Intersect(lost).Empty() && bnd.Intersect(lost) != lost {
				where = "not in the effective set"
			}
			add(AddedNotEffective, "%s added but uid %d is not root: %s, not effective (Kubernetes sets no ambient capabilities; only a binary with file capabilities could use it)", lost, uid, where)
		}
	}

	// no_new_privs off with something left to gain.
	nnp, nnpKnown := p.NoNewPrivs, true
	if in.Main != nil && !in.LiveIsExec {
		nnp, nnpKnown = in.Main.NoNewPrivs, in.Main.HasNoNewPrivs
	}
	if nnpKnown && !nnp && !bnd.Empty() {
		add(EscalationPossible, "no_new_privs is off and the bounding set holds %d capabilities: setuid or file-capability binaries can gain them; set allowPrivilegeEscalation: false", bnd.Len())
	}

	if !in.LiveIsExec {
		// One finding per container, however many processes differ, so a busy container (or a
		// hostile one listing thousands) yields one line, not thousands.
		var diffs []string
		for _, pr := range in.Procs {
			if msg := differs(pr, p); msg != "" {
				diffs = append(diffs, msg)
			}
		}
		if len(diffs) > maxListed {
			diffs = append(diffs[:maxListed], fmt.Sprintf("and %d more processes", len(diffs)-maxListed))
		}
		if len(diffs) > 0 {
			add(LiveDiffersFromSpec, "%s", strings.Join(diffs, "; "))
		}
	}

	seccomp := p.Seccomp
	if in.Main != nil && in.Main.Seccomp != reading.SeccompUnknown {
		seccomp = in.Main.Seccomp
	}
	if seccomp == reading.SeccompDisabled {
		add(SeccompUnconfined, "seccomp is disabled for this container: every syscall is allowed; set seccompProfile: {type: RuntimeDefault}")
	}
	return out
}

// differs explains how one process departs from the prediction, or returns "".
func differs(pr reading.Process, p expect.Prediction) string {
	var parts []string
	if pr.Bnd != p.Bnd {
		parts = append(parts, "bounding "+delta(p.Bnd, pr.Bnd))
	}
	euid, hasUID := pr.EffectiveUID()
	root := hasUID && euid == 0
	switch {
	case root && pr.Eff != p.Bnd && pr.Eff != pr.Bnd.Intersect(p.Bnd):
		// A root process normally holds its whole bounding set as effective.
		parts = append(parts, "effective "+delta(p.Bnd, pr.Eff))
	case hasUID && !root && !pr.Eff.Empty():
		how := "file capabilities"
		if !pr.Amb.Empty() {
			how = "ambient capabilities"
		}
		parts = append(parts, fmt.Sprintf("uid %d holds effective %s (%s)", euid, pr.Eff, how))
	}
	if len(parts) == 0 {
		return ""
	}
	name := termsafe.Clip(termsafe.Clean(pr.Name), 32)
	if name == "" {
		name = "?"
	}
	return fmt.Sprintf("pid %d (%s): %s", pr.PID, name, strings.Join(parts, ", "))
}

// delta says what live has that want lacks, and the reverse, in names.
func delta(want, live capset.Set) string {
	var s []string
	if extra := live.Minus(want); !extra.Empty() {
		s = append(s, "raised +"+extra.String())
	}
	if missing := want.Minus(live); !missing.Empty() {
		s = append(s, "dropped -"+missing.String())
	}
	return strings.Join(s, " ")
}

// containsAll applies the runtime's rule for the ALL keyword (capset.IsAll).
func containsAll(list []string) bool {
	for _, n := range list {
		if capset.IsAll(n) {
			return true
		}
	}
	return false
}
