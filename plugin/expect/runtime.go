// Package expect predicts the capability sets a container's spec should give on a node's
// container runtime, from the runtimes' own rules. It is pure: it takes the declared spec, the
// runtime version string and what is known about the node, and returns sets plus the assumptions
// it had to make.
package expect

import (
	"strconv"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// Runtime is the container runtime family and version of a node, parsed from
// node.status.nodeInfo.containerRuntimeVersion ("containerd://1.6.20", "cri-o://1.29.1",
// "docker://24.0.7").
type Runtime struct {
	Family  string // containerd, cri-o, docker, unknown
	Version string
	major   int
	minor   int
	patch   int
}

// ParseRuntime reads a containerRuntimeVersion string.
func ParseRuntime(s string) Runtime {
	family, version, ok := strings.Cut(s, "://")
	if !ok {
		return Runtime{Family: "unknown", Version: s}
	}
	r := Runtime{Family: strings.ToLower(family), Version: version}
	switch r.Family {
	case "containerd", "cri-o", "docker":
	default:
		r.Family = "unknown"
	}
	v := strings.TrimPrefix(version, "v")
	v, _, _ = strings.Cut(v, "-")
	v, _, _ = strings.Cut(v, "+")
	parts := strings.SplitN(v, ".", 3)
	nums := []*int{&r.major, &r.minor, &r.patch}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			break
		}
		*nums[i] = n
	}
	return r
}

func (r Runtime) atLeast(major, minor, patch int) bool {
	if r.major != major {
		return r.major > major
	}
	if r.minor != minor {
		return r.minor > minor
	}
	return r.patch >= patch
}

// DefaultSet is the set the runtime grants a container that neither adds nor drops anything.
func (r Runtime) DefaultSet() capset.Set {
	if r.Family == "cri-o" {
		return capset.RuntimeDefaultCRIO
	}
	// containerd and Docker share the 14 of moby's defaults; an unknown runtime is assumed to be
	// one of them (the overwhelmingly common case), and the prediction says so.
	return capset.RuntimeDefaultContainerd
}

// SetsInheritable reports whether the runtime still copies the granted capabilities into the
// inheritable set. All three removed that after CVE-2022-24769 (containerd 1.5.11/1.6.2, moby
// 20.10.14) and CVE-2022-27652 (CRI-O 1.24.0); older versions show them as "+i", which is what
// the classic walkthroughs print for non-root users.
func (r Runtime) SetsInheritable() bool {
	if r.major == 0 && r.minor == 0 && r.patch == 0 {
		return false // unknown version: assume a current runtime
	}
	switch r.Family {
	case "containerd":
		if r.major == 1 && r.minor == 6 {
			return !r.atLeast(1, 6, 2)
		}
		return !r.atLeast(1, 5, 11)
	case "docker":
		return !r.atLeast(20, 10, 14)
	case "cri-o":
		return !r.atLeast(1, 24, 0)
	}
	return false
}
