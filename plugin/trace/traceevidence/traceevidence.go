// Package traceevidence turns capability traces (the CapabilityTrace kind of package
// tracereport) into harden's evidence (policy.Evidence): for one workload, per container name,
// the capabilities its traced pods used, each with its reason, and those they were refused. The
// pods of one workload are merged; a container no trace covers gets no evidence, so harden
// decides it as it would without a trace. It is pure: traces in, evidence out.
package traceevidence

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// Key names a workload: the manifest's namespace, kind and name.
type Key struct{ Namespace, Kind, Name string }

// KeyOf is the workload a trace row belongs to. A row without one (a trace of a bare pod, or an
// older trace) is its pod's own.
func KeyOf(c *tracereport.Container) Key {
	if w := c.Workload; w != nil && w.Kind != "" && w.Name != "" {
		return Key{c.Namespace, w.Kind, w.Name}
	}
	return Key{c.Namespace, "Pod", c.Pod}
}

// Index holds the traced containers of every workload the traces cover.
type Index struct {
	byKey map[Key]map[string]*container
}

type container struct {
	pods     map[string]bool
	used     map[capset.Cap]*capability
	denied   map[capset.Cap]*capability
	paths    map[string]bool
	duration string
}

type capability struct {
	reason string
	pods   map[string]bool
	// allRoot stays true while every pod's row says the capability was used only as root.
	allRoot bool
}

// New indexes the rows of the traces that were traced (rows with an Error carry no evidence).
func New(traces ...*tracereport.Trace) *Index {
	ix := &Index{byKey: map[Key]map[string]*container{}}
	for _, t := range traces {
		for i := range t.Containers {
			c := &t.Containers[i]
			if c.Error != "" || c.Kernel == nil {
				continue
			}
			k := KeyOf(c)
			if ix.byKey[k] == nil {
				ix.byKey[k] = map[string]*container{}
			}
			ct := ix.byKey[k][c.Container]
			if ct == nil {
				ct = &container{pods: map[string]bool{}, used: map[capset.Cap]*capability{}, denied: map[capset.Cap]*capability{}, paths: map[string]bool{}}
				ix.byKey[k][c.Container] = ct
			}
			ct.pods[c.Pod] = true
			ct.paths[c.Kernel.Path] = true
			if ct.duration == "" {
				ct.duration = t.Duration
			}
			add(ct.used, c.Pod, c.Used)
			add(ct.denied, c.Pod, c.Denied)
		}
	}
	return ix
}

func add(m map[capset.Cap]*capability, pod string, caps []tracereport.Capability) {
	for _, u := range caps {
		cp, err := capset.ParseName(u.Capability)
		if err != nil {
			continue // a name this build does not know: never a need it could write
		}
		a := m[cp]
		if a == nil {
			// "CHOWN used by app (pid 1, uid 0) in fchownat ...": harden names the capability.
			a = &capability{reason: strings.TrimPrefix(u.Reason, u.Capability+" "), pods: map[string]bool{}, allRoot: true}
			m[cp] = a
		}
		a.pods[pod] = true
		a.allRoot = a.allRoot && u.OnlyAsRoot
	}
}

// Len is how many workloads the traces cover.
func (ix *Index) Len() int { return len(ix.byKey) }

// For returns the evidence of one workload's containers, by container name; ok is false when no
// trace covers the workload.
func (ix *Index) For(k Key) (map[string]policy.Evidence, bool) {
	byName, ok := ix.byKey[k]
	if !ok {
		return nil, false
	}
	out := make(map[string]policy.Evidence, len(byName))
	for name, ct := range byName {
		ev := policy.Evidence{Traced: len(ct.pods)}
		for _, cp := range sorted(ct.used) {
			a := ct.used[cp]
			ev.Needs = append(ev.Needs, policy.TracedNeed{Name: cp.Name(), Reason: a.reason + pods(a.pods, ct.pods), OnlyAsRoot: a.allRoot})
		}
		for _, cp := range sorted(ct.denied) {
			a := ct.denied[cp]
			ev.Needs = append(ev.Needs, policy.TracedNeed{Name: cp.Name(), Reason: a.reason + pods(a.pods, ct.pods), Denied: true})
		}
		paths := make([]string, 0, len(ct.paths))
		for p := range ct.paths {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		note := fmt.Sprintf("traced in %d pod%s", len(ct.pods), plural(len(ct.pods)))
		if ct.duration != "" {
			note += " for " + ct.duration
		}
		note += " (kernel path " + strings.Join(paths, ", ") + "): only what ran during the trace is seen"
		ev.Notes = append(ev.Notes, note)
		out[name] = ev
	}
	return out, true
}

// pods says in how many of the traced pods a capability was seen, when not in one only.
func pods(seen, all map[string]bool) string {
	if len(all) <= 1 {
		return ""
	}
	return fmt.Sprintf(" (in %d of %d traced pods)", len(seen), len(all))
}

func sorted(m map[capset.Cap]*capability) []capset.Cap {
	var s capset.Set
	for cp := range m {
		s = s.With(cp)
	}
	return s.Caps()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
