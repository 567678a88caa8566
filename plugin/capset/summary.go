package capset

import "fmt"

// Well-known masks. The runtimes' own sources define them:
//   - containerd (pkg/oci/spec.go defaultUnixCaps) and Docker/moby (oci/caps/defaults.go)
//     grant 14 capabilities: 0x00000000a80425fb.
//   - CRI-O (internal/config/capabilities DefaultCapabilities) grants 9 since v1.18: 0x5fb.
var (
	RuntimeDefaultContainerd = Set(0x00000000a80425fb)
	RuntimeDefaultCRIO       = Set(0x00000000000005fb)
)

// Summary is a short human label for a set, readable at a glance in a table: "none",
// "ALL (41)", "runtime default (14)", "runtime default +SYS_TIME", or the names themselves.
// full is the node's full set (what privileged gets); def the runtime's default set.
func (s Set) Summary(full, def Set) string {
	switch {
	case s == 0:
		return "none"
	case full != 0 && s == full:
		return fmt.Sprintf("ALL (%d)", s.Len())
	case s == Known:
		return fmt.Sprintf("ALL (%d)", s.Len())
	case def != 0 && s == def:
		return fmt.Sprintf("runtime default (%d)", s.Len())
	case def != 0 && s&def == def && s.Minus(def).Len() <= 3:
		return "runtime default +" + s.Minus(def).String()
	case def != 0 && s|def == def && def.Minus(s).Len() <= 3:
		return "runtime default -" + def.Minus(s).String()
	case s.Len() > 20 && Known.Minus(s).Len() <= 3 && s.Minus(Known).Empty():
		// A privileged container on a node that lacks a capability or two.
		return fmt.Sprintf("ALL -%s (%d)", Known.Minus(s), s.Len())
	}
	return s.String()
}
