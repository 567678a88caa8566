package tracereport

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/classify"
)

// Meta names a traced container.
type Meta struct {
	Namespace, Pod, Container, ContainerID, Node string
	// Release and Cgroup ("v1"/"v2") describe the node's kernel, when the caller knows them.
	Release, Cgroup string
}

// noiseExplanations say why each kind of noise is never a need.
var noiseExplanations = map[classify.NoiseReason]string{
	classify.NonAuditing:         "probes that do not audit (CAP_OPT_NOAUDIT): the kernel asks and falls back silently when refused, e.g. CAP_SYS_ADMIN from security_vm_enough_memory_mm on every mmap/brk/execve, CAP_SYS_PTRACE when /proc is read",
	classify.BorrowedCredentials: "checked against credentials the kernel substituted for the process's own (overlayfs acts with the mounter's): dropping the capability from the container changes nothing for them",
	classify.OtherCredentials:    "checked against another task's credentials, not this process's",
	classify.RuntimeSetup:        "made by runc's own processes while setting the container up, before the entrypoint ran",
	classify.AskedOnEveryCall:    "asked by the kernel on every call of a syscall to decide a limit that rarely applies (CAP_SETPCAP on every capset: needed only to raise inheritable capabilities beyond the permitted set)",
	classify.PathProbing:         "denied DAC_OVERRIDE/DAC_READ_SEARCH from generic_permission, asked only after the file mode refused (path probing)",
}

// ForCgroups returns the checks of a snapshot counted in the given cgroups.
func ForCgroups(snap capcheck.Snapshot, ids ...uint64) []capcheck.Check {
	want := map[uint64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []capcheck.Check
	for _, c := range snap.Checks {
		if want[c.CgroupID] {
			out = append(out, c)
		}
	}
	return out
}

// Failed is the row of a container that could not be traced, with the reason.
func Failed(meta Meta, reason string) Container {
	c := base(meta)
	c.Error = reason
	return c
}

func base(meta Meta) Container {
	return Container{
		Namespace: meta.Namespace, Pod: meta.Pod, Container: meta.Container,
		ContainerID: meta.ContainerID, Node: meta.Node,
		Used: []Capability{}, Denied: []Capability{}, Noise: []Noise{},
	}
}

// Summarize builds one container's trace from the checks its cgroups made (ForCgroups), read
// from snap on its node.
func Summarize(meta Meta, snap capcheck.Snapshot, checks []capcheck.Check) Container {
	c := base(meta)
	c.Kernel = &Kernel{Path: string(snap.Path), Release: meta.Release, Arch: snap.Arch, Cgroup: meta.Cgroup}
	c.Dropped = snap.Dropped
	if snap.SymbolNote != "" {
		c.Notes = append(c.Notes, snap.SymbolNote+"; non-auditing checks are then told apart by capability and syscall only")
	}
	if snap.Dropped > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d checks on this node were not recorded (the kernel map was full): the lists may be incomplete", snap.Dropped))
	}
	if snap.Path == capcheck.PathTracepoint {
		c.Notes = append(c.Notes, "the tracepoint has no opts: non-auditing checks are recognised by their kernel stack")
	}

	used := map[capset.Cap]*agg{}
	denied := map[capset.Cap]*agg{}
	noise := map[classify.NoiseReason]*noiseAgg{}
	for _, chk := range checks {
		res := classify.Classify(chk, snap.Arch)
		c.Records = append(c.Records, record(chk, res))
		switch res.Kind {
		case classify.Need:
			add(used, chk, res)
		case classify.Denied:
			add(denied, chk, res)
		case classify.Noise:
			n := noise[res.Noise]
			if n == nil {
				n = &noiseAgg{}
				noise[res.Noise] = n
			}
			n.count += chk.Count
			n.caps = n.caps.With(chk.Cap)
		}
	}
	sortRecords(c.Records)
	c.Used = capabilities(used, "used")
	c.Denied = capabilities(denied, "refused")
	for _, r := range []classify.NoiseReason{classify.NonAuditing, classify.BorrowedCredentials, classify.OtherCredentials, classify.RuntimeSetup, classify.AskedOnEveryCall, classify.PathProbing} {
		if n := noise[r]; n != nil {
			c.Noise = append(c.Noise, Noise{Reason: string(r), Count: n.count, Capabilities: n.caps.Names(), Explanation: noiseExplanations[r]})
		}
	}
	s := suggest(c.Used, c.Denied)
	c.Suggested = &s
	return c
}

type agg struct {
	cap      capset.Cap
	count    uint64
	procs    map[procKey]uint64
	syscalls map[string]uint64
	callers  map[string]uint64
	allRoot  bool
}

type procKey struct {
	comm string
	tgid uint32
	uid  uint32
}

type noiseAgg struct {
	count uint64
	caps  capset.Set
}

func add(m map[capset.Cap]*agg, chk capcheck.Check, res classify.Result) {
	a := m[chk.Cap]
	if a == nil {
		a = &agg{cap: chk.Cap, procs: map[procKey]uint64{}, syscalls: map[string]uint64{}, callers: map[string]uint64{}, allRoot: true}
		m[chk.Cap] = a
	}
	a.count += chk.Count
	a.procs[procKey{termsafe.Clean(chk.Comm), chk.TGID, chk.UID}] += chk.Count
	if res.Syscall != "" {
		a.syscalls[res.Syscall] += chk.Count
	}
	if res.Asker != "" {
		a.callers[res.Asker] += chk.Count
	}
	if chk.UID != 0 {
		a.allRoot = false
	}
}

// capabilities renders aggregated capabilities in bit order.
func capabilities(m map[capset.Cap]*agg, verb string) []Capability {
	out := []Capability{}
	var set capset.Set
	for c := range m {
		set = set.With(c)
	}
	for _, cp := range set.Caps() {
		a := m[cp]
		procs := make([]Process, 0, len(a.procs))
		for k, n := range a.procs {
			procs = append(procs, Process{Comm: k.comm, TGID: k.tgid, UID: k.uid, Count: n})
		}
		sort.Slice(procs, func(i, j int) bool {
			if procs[i].Count != procs[j].Count {
				return procs[i].Count > procs[j].Count
			}
			if procs[i].TGID != procs[j].TGID {
				return procs[i].TGID < procs[j].TGID
			}
			return procs[i].Comm < procs[j].Comm
		})
		out = append(out, Capability{
			Capability: cp.Name(), Count: a.count, Processes: procs,
			Syscalls: byCount(a.syscalls), Callers: byCount(a.callers), OnlyAsRoot: a.allRoot && verb == "used",
			Reason: reasonLine(cp, verb, a.count, procs, byCount(a.syscalls), byCount(a.callers)),
		})
	}
	return out
}

// reasonLine: "NET_BIND_SERVICE used by app (pid 42, uid 0) in bind from __inet_bind, 3 checks".
func reasonLine(cp capset.Cap, verb string, count uint64, procs []Process, sys, callers []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s by %s (pid %d, uid %d)", cp.Name(), verb, procs[0].Comm, procs[0].TGID, procs[0].UID)
	if len(procs) > 1 {
		fmt.Fprintf(&b, " and %d more process%s", len(procs)-1, plural(len(procs)-1, "es"))
	}
	if len(sys) > 0 {
		b.WriteString(" in " + list(sys))
	}
	if len(callers) > 0 {
		b.WriteString(" from " + list(callers))
	}
	fmt.Fprintf(&b, ", %d check%s", count, plural(int(count), "s"))
	return b.String()
}

func list(s []string) string {
	const show = 3
	if len(s) <= show {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:show], ", ") + fmt.Sprintf(" (+%d)", len(s)-show)
}

func plural(n int, suffix string) string {
	if n == 1 {
		return ""
	}
	return suffix
}

// byCount orders names by how often they asked, then by name.
func byCount(m map[string]uint64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// suggest is drop ALL plus exactly the used capabilities.
func suggest(used, denied []Capability) Suggestion {
	s := Suggestion{Drop: []string{"ALL"}, Add: []string{}}
	var rootOnly []string
	for _, u := range used {
		s.Add = append(s.Add, u.Capability)
		s.Reasons = append(s.Reasons, Reason{Capability: u.Capability, Reason: u.Reason})
		if u.OnlyAsRoot {
			rootOnly = append(rootOnly, u.Capability)
		}
	}
	if len(rootOnly) > 0 {
		s.Notes = append(s.Notes, strings.Join(rootOnly, ", ")+": used only by processes running as root; if the container is made non-root, adding them does not make them effective (that needs ambient or file capabilities)")
	}
	for _, d := range denied {
		s.Notes = append(s.Notes, d.Capability+" was refused and is not added (the workload ran without it): "+d.Reason)
	}
	return s
}

func record(chk capcheck.Check, res classify.Result) Record {
	r := Record{
		Comm: termsafe.Clean(chk.Comm), TGID: chk.TGID, UID: chk.UID,
		Capability: chk.Cap.Name(), Verdict: "granted", Syscall: res.Syscall, Caller: res.Asker,
		Count: chk.Count, Class: string(res.Kind), NoiseReason: string(res.Noise), Reason: termsafe.Clean(res.Reason),
	}
	if chk.Denied {
		r.Verdict = "denied"
	}
	for _, f := range []struct {
		bit  capcheck.Flags
		name string
	}{
		{capcheck.BorrowedCred, "borrowed-cred"}, {capcheck.OtherCred, "other-cred"},
		{capcheck.ChildUserNS, "child-userns"}, {capcheck.NoAudit, "noaudit"}, {capcheck.InSetID, "insetid"},
	} {
		if chk.Flags.Has(f.bit) {
			r.Flags = append(r.Flags, f.name)
		}
	}
	for _, fr := range chk.Stack {
		if fr.Func == "" {
			r.Stack = append(r.Stack, "?")
			continue
		}
		mod := ""
		if fr.Module != "" {
			mod = " [" + fr.Module + "]"
		}
		r.Stack = append(r.Stack, fmt.Sprintf("%s+%#x%s", fr.Func, fr.Offset, mod))
	}
	if chk.StackError != "" {
		r.Stack = append(r.Stack, "("+chk.StackError+")")
	}
	return r
}

var classOrder = map[string]int{"need": 0, "denied": 1, "noise": 2}

func sortRecords(rs []Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		switch {
		case a.Class != b.Class:
			return classOrder[a.Class] < classOrder[b.Class]
		case a.Capability != b.Capability:
			return a.Capability < b.Capability
		case a.TGID != b.TGID:
			return a.TGID < b.TGID
		case a.Comm != b.Comm:
			return a.Comm < b.Comm
		case a.Syscall != b.Syscall:
			return a.Syscall < b.Syscall
		case a.Caller != b.Caller:
			return a.Caller < b.Caller
		case a.Verdict != b.Verdict:
			return a.Verdict < b.Verdict
		}
		return strings.Join(a.Flags, ",") < strings.Join(b.Flags, ",")
	})
}
