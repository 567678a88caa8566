package policy

import (
	"fmt"
	"sort"
	"strings"
)

// KeyOrder is where new securityContext keys go, so that a fresh block reads
// capabilities {drop, add}, then allowPrivilegeEscalation, like the hardened examples people copy.
var KeyOrder = []string{"capabilities", "drop", "add", "allowPrivilegeEscalation", "privileged", "runAsNonRoot", "seccompProfile", "type"}

// SecurityContext returns the securityContext the decision asks for, starting from the one the
// manifest has (nil when absent); fields the decision does not touch are kept as they are.
func (d Decision) SecurityContext(orig map[string]any) map[string]any {
	sc := make(map[string]any, len(orig)+3)
	for k, v := range orig {
		sc[k] = v
	}
	caps := map[string]any{}
	if old, ok := orig["capabilities"].(map[string]any); ok {
		for k, v := range old {
			caps[k] = v
		}
	}
	caps["drop"] = toAny(d.Drop)
	if len(d.Add) > 0 {
		caps["add"] = toAny(d.Add)
	} else {
		delete(caps, "add")
	}
	sc["capabilities"] = caps
	if d.AllowPrivilegeEscalation != nil {
		sc["allowPrivilegeEscalation"] = *d.AllowPrivilegeEscalation
	}
	if d.Privileged != nil {
		sc["privileged"] = *d.Privileged
	}
	if d.RunAsNonRoot != nil {
		sc["runAsNonRoot"] = *d.RunAsNonRoot
	}
	if d.SeccompRuntimeDefault {
		sc["seccompProfile"] = map[string]any{"type": "RuntimeDefault"}
	}
	return sc
}

func toAny(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// Changes lists, for people, how a securityContext changes: "capabilities.drop: [NET_RAW] → [ALL]".
func Changes(before, after map[string]any) []string {
	var out []string
	var walk func(prefix string, a, b map[string]any)
	walk = func(prefix string, a, b map[string]any) {
		keys := map[string]bool{}
		for k := range a {
			keys[k] = true
		}
		for k := range b {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Slice(sorted, func(i, j int) bool {
			return rank(sorted[i]) < rank(sorted[j]) || rank(sorted[i]) == rank(sorted[j]) && sorted[i] < sorted[j]
		})
		for _, k := range sorted {
			av, aok := a[k]
			bv, bok := b[k]
			am, amok := av.(map[string]any)
			bm, bmok := bv.(map[string]any)
			if amok && bmok {
				walk(prefix+k+".", am, bm)
				continue
			}
			if aok && bok && show(av) == show(bv) {
				continue
			}
			if !aok && bmok {
				walk(prefix+k+".", nil, bm)
				continue
			}
			from, to := "(unset)", "(unset)"
			if aok {
				from = show(av)
			}
			if bok {
				to = show(bv)
			}
			out = append(out, fmt.Sprintf("%s%s: %s → %s", prefix, k, from, to))
		}
	}
	walk("", before, after)
	return out
}

func rank(k string) int {
	for i, o := range KeyOrder {
		if o == k {
			return i
		}
	}
	return len(KeyOrder)
}

func show(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + show(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}
