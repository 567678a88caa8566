package policy

import (
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// noNewPrivsModel is why allowPrivilegeEscalation: false does not stop file capabilities of the
// container's own programs. The kernel lets an execve under no_new_privs gain file capabilities
// only up to the permitted set the process already holds (security/commoncap.c), and containerd
// puts the granted capabilities in the OCI permitted set for every user (pkg/oci
// WithCapabilities/WithAddedCapabilities): this project's e2e scenario 7 runs a setcap'd binary
// as uid 1025 under no_new_privs and it binds port 80. CRI-O (AddProcessCapabilityPermitted) and
// Docker (moby uses containerd's option) do the same in their code; that is not verified on a node.
const noNewPrivsModel = "no_new_privs only stops an execve from gaining more than the permitted set, which the runtime fills for every user (containerd: this project's e2e, scenario 7; CRI-O and Docker: read in their code, not verified on a node); a binary started by a process that no longer holds them (a shell script's child) gets none"

// escalation decides allowPrivilegeEscalation. false sets no_new_privs: free for root, and for a
// non-root user it still lets the entrypoint's file capabilities work (noNewPrivsModel), so it is
// set unless the manifest says true on purpose for a capability that needs file capabilities.
func escalation(c Container, f facts, opt Options, d *Decision, nonRoot bool, who string, fileCaps capset.Set) {
	var viaFile []string
	switch {
	case f.observed:
		for _, name := range d.Add {
			if cp, ok := capOf(name); ok && fileCaps.Has(cp) {
				viaFile = append(viaFile, name)
			}
		}
	case nonRoot:
		for _, name := range d.Add {
			if _, ok := capOf(name); ok {
				viaFile = append(viaFile, name)
			}
		}
	}
	cur := c.SC.AllowPrivilegeEscalation
	forced := opt.FixLevel && opt.Level == "restricted"
	list := strings.Join(viaFile, ", ")
	if cur != nil && *cur && len(viaFile) > 0 && !forced {
		d.Notes = append(d.Notes, fmt.Sprintf("allowPrivilegeEscalation: true left as written: %s can reach %s only through file capabilities on its binaries, and false would still let the entrypoint use them (%s)", list, who, noNewPrivsModel))
		return
	}
	if cur == nil || *cur {
		no := false
		d.AllowPrivilegeEscalation = &no
	}
	if len(viaFile) == 0 {
		return
	}
	how := "setcap on its binaries"
	if f.imgKnown && len(f.img.entry.fileCaps) > 0 {
		how = fmt.Sprintf("%s's binaries carry %s", f.img.entry.name, strings.Join(f.img.entry.fileCaps, ", "))
	}
	d.Notes = append(d.Notes, fmt.Sprintf("%s can reach %s only through file capabilities (%s); allowPrivilegeEscalation: false still lets them work for the entrypoint and for binaries it starts that carry them too: %s", list, who, how, noNewPrivsModel))
}
