package expect

import (
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// resolved is one capabilities.add or .drop list as a runtime reads it.
type resolved struct {
	set      capset.Set
	all      bool     // the list holds the ALL keyword as this runtime spells it
	ignored  []string // names the runtime skips without a word
	rejected []string // names the runtime refuses: the container is never created
}

// resolve applies the runtime's own rule for capability names. The three differ, and each was
// read in the runtime's code:
//
//   - containerd (internal/cri/opts/spec_opts.go WithCapabilities, the same in 1.6 and 2.x at
//     301026e58): ALL when strings.ToUpper(name) == "ALL"; any other name becomes
//     "CAP_"+strings.ToUpper(name), so "CAP_SYS_TIME" is CAP_CAP_SYS_TIME, which runc skips
//     like any unknown name (capset.RuntimeName).
//   - CRI-O (internal/factory/container/container.go SpecSetupCapabilities at f954a17e50; the
//     CAP_ prefix is kept since v1.0.0, unknown names fail since v1.12.0): ALL by EqualFold; a
//     name already starting with cap_ in any case is kept, others get CAP_; the upper-cased
//     result must be a known capability or container creation fails.
//   - Docker through cri-dockerd (core/security_context.go passes the lists to the daemon as
//     written; moby daemon/pkg/oci/caps/utils.go NormalizeLegacyCapabilities at b985e2313a,
//     since v19.03.0): upper-cased, CAP_ added when missing, unknown names fail. Before 19.03
//     every name got CAP_ prepended, so "CAP_SYS_TIME" failed.
func (r Runtime) resolve(list []string) resolved {
	var out resolved
	for _, n := range list {
		switch r.Family {
		case "cri-o":
			if strings.EqualFold(n, "ALL") {
				out.all = true
				continue
			}
			name := n
			if !strings.HasPrefix(strings.ToLower(n), "cap_") {
				name = "CAP_" + n
			}
			out.known(name, n)
		case "docker":
			u := strings.ToUpper(n)
			if u == "ALL" {
				out.all = true
				continue
			}
			if r.dockerBefore1903() || !strings.HasPrefix(u, "CAP_") {
				u = "CAP_" + u
			}
			out.known(u, n)
		default: // containerd, and an unknown runtime assumed to be containerd
			if capset.IsAll(n) {
				out.all = true
				continue
			}
			if c, ok := capset.RuntimeName(n); ok {
				out.set = out.set.With(c)
			} else {
				out.ignored = append(out.ignored, n)
			}
		}
	}
	return out
}

// known adds kernelName (CAP_X, any case) when it names a capability, else rejects the entry as
// written.
func (out *resolved) known(kernelName, written string) {
	u := strings.ToUpper(kernelName)
	if rest, ok := strings.CutPrefix(u, "CAP_"); ok {
		if c, ok := capset.RuntimeName(rest); ok {
			out.set = out.set.With(c)
			return
		}
	}
	out.rejected = append(out.rejected, written)
}

// dockerBefore1903 reports the Docker versions whose TweakCapabilities predates moby commit
// 80d7bfd54d (v19.03.0): CAP_ always prepended, add: [ALL] with drop: [ALL] granting only the
// named adds.
func (r Runtime) dockerBefore1903() bool {
	return r.Family == "docker" && (r.major != 0 || r.minor != 0) && !r.atLeast(19, 3, 0)
}

// RuleSets are runtime versions standing for every distinct set of rules Predict knows, for
// checks that must hold wherever a manifest may run (harden's rule that a hardened spec never
// grants more than the original).
func RuleSets() []Runtime {
	return []Runtime{
		ParseRuntime("containerd://1.6.20"), // 1.6.2+, 1.7 and 2.x alike
		ParseRuntime("containerd://1.6.1"),  // before CVE-2022-24769: inheritable filled
		ParseRuntime("cri-o://1.30.0"),
		ParseRuntime("cri-o://1.23.0"),    // before CVE-2022-27652: inheritable filled
		ParseRuntime("docker://24.0.7"),   // 20.10.14 and later
		ParseRuntime("docker://20.10.13"), // inheritable filled
		ParseRuntime("docker://18.09.9"),  // the add/drop rules before 19.03
	}
}

// Name is the runtime as containerRuntimeVersion writes it.
func (r Runtime) Name() string {
	if r.Version == "" {
		return r.Family
	}
	return r.Family + "://" + r.Version
}
