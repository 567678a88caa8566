package inspect

import (
	"fmt"
	"sort"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/expect"
	"github.com/kubectl-caps/kubectl-caps/plugin/findings"
	"github.com/kubectl-caps/kubectl-caps/plugin/podsecurity"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// Reading is one container's live result, as a reader returns it.
type Reading struct {
	Snapshot *reading.Snapshot
	Err      error
}

// NodeFullSets learns each node's full capability set from privileged containers read on it:
// runtimes give privileged containers the capabilities they hold themselves, which can be fewer
// than the kernel knows (a VM whose root lacks one), so a constant would mispredict.
func NodeFullSets(plans []Planned, readings []Reading) map[string]capset.Set {
	full := map[string]capset.Set{}
	for i, p := range plans {
		if !p.Row.Declared.Privileged || i >= len(readings) || readings[i].Snapshot == nil {
			continue
		}
		if main := readings[i].Snapshot.Main(); main != nil {
			full[p.Row.Node] = full[p.Row.Node].Union(main.Bnd)
		}
	}
	return full
}

// Complete fills in expected sets, live reading, findings and pod security for one row.
func Complete(p Planned, r Reading, nodeFull map[string]capset.Set) report.Container {
	row := p.Row
	rt := expect.ParseRuntime(row.Runtime)
	node := expect.Node{Runtime: rt, Full: nodeFull[row.Node]}

	var main *reading.Process
	var procs []reading.Process
	liveIsExec := false
	if out := r.Snapshot; out != nil {
		row.Method = string(out.Method)
		row.UnprivilegedPortStart = out.PortStart
		row.Truncated = out.Truncated
		row.Scope, row.ScopeNote = scope(out, row.Declared)
		procs = out.Procs
		sort.SliceStable(procs, func(i, j int) bool { return procs[i].PID < procs[j].PID })
		main = out.Main()
		liveIsExec = out.Method == reading.MethodCapsh || unreliablePID1(out, row.Declared)
		for _, pr := range procs {
			row.Processes = append(row.Processes, processReport(pr))
		}
		if main != nil {
			m := processReport(*main)
			row.Live = &m
		}
	}
	if r.Err != nil {
		row.Error = termsafe.Clip(termsafe.Clean(r.Err.Error()), 400)
	}

	var observedUID *int64
	// A capsh reading also tells the uid: exec runs as the container's user.
	if main != nil {
		if u, ok := main.EffectiveUID(); ok && (!liveIsExec || r.Snapshot.Method == reading.MethodCapsh) {
			observedUID = &u
		}
	}
	pred := expect.Predict(expect.Input{Declared: row.Declared, Node: node, ObservedUID: observedUID})
	row.Expected = pred.Report(rt.Family)

	row.Findings = findings.Evaluate(findings.Input{
		Declared:   row.Declared,
		Expected:   pred,
		Main:       main,
		Procs:      procs,
		LiveIsExec: liveIsExec,
	})
	if row.Findings == nil {
		row.Findings = []report.Finding{}
	}
	if p.Pod != nil {
		row.PodSecurity = podsecurity.Evaluate(&p.Pod.ObjectMeta, &p.Pod.Spec)
	}
	return row
}

// unreliablePID1: with a shared PID namespace or hostPID, PID 1 is the pause process or the
// node's init, not this container.
func unreliablePID1(out *reading.Snapshot, d report.Declared) bool {
	return out.Method == reading.MethodPID1 && (d.ShareProcessNamespace || d.HostPID)
}

func scope(out *reading.Snapshot, d report.Declared) (string, string) {
	switch out.Method {
	case reading.MethodCapsh:
		return "exec", "capsh --print describes the capsh process started by exec, not the workload: its bounding set and user match the container's, its other sets are those of a fresh process"
	case reading.MethodPID1:
		if unreliablePID1(out, d) {
			return "pid1", "no shell in the image: only PID 1 could be read, and with a shared PID namespace that is the pod's pause process, not this container"
		}
		return "pid1", "no shell in the image: only PID 1 (the container's main process) was read"
	}
	if out.Scope == "cgroup" {
		if out.Others > 0 {
			why := "other containers' processes"
			if d.HostPID {
				why = "processes of the node and other containers (hostPID)"
			}
			return "container", fmt.Sprintf("%d %s are visible in this PID namespace and were not read", out.Others, why)
		}
		return "container", ""
	}
	if d.HostPID || d.ShareProcessNamespace {
		return "pod", "processes could not be told apart by cgroup: every process of the PID namespace is listed"
	}
	return "container", ""
}

func processReport(p reading.Process) report.Process {
	out := report.Process{
		PID:            p.PID,
		Name:           termsafe.Clip(termsafe.Clean(p.Name), 64),
		UID:            p.UID[0],
		EUID:           euid(p),
		GID:            p.GID[0],
		Sets:           report.SetsOf(p.Inh, p.Prm, p.Eff, p.Bnd, p.Amb),
		NoNewPrivs:     p.NoNewPrivs,
		Seccomp:        p.Seccomp.String(),
		SeccompFilters: p.SeccompFilters,
	}
	if p.ExeRead {
		out.Executable = termsafe.Clip(termsafe.Clean(p.Exe), 256)
	}
	if fc := p.FileCaps; fc != nil {
		out.FileCaps = &report.FileCaps{Text: fc.Text(), Permitted: report.CapsOf(fc.Permitted),
			Inheritable: report.CapsOf(fc.Inheritable), Effective: fc.Effective, Revision: fc.Revision, RootID: fc.RootID}
	}
	return out
}

func euid(p reading.Process) int64 {
	u, _ := p.EffectiveUID()
	return u
}
