// Package htmlreport writes a report as one self-contained HTML page for people who audit a
// cluster: a summary (containers read and not, findings, Pod Security levels), a heatmap of
// workloads × capabilities, filters and sorting, and per workload its findings explained and the
// securityContext harden would write. The page needs no network (inline CSS and JavaScript, a
// Content-Security-Policy that forbids every fetch) and carries the versioned JSON report
// itself, byte for byte what `-o json` prints, so the page is also the data.
//
// Container-provided text (process names, error messages) only ever reaches the page through
// html/template, which escapes it for its context; the embedded JSON has <, > and & escaped by
// the JSON encoder, so it cannot close its script element.
package htmlreport

import (
	"sort"
	"strconv"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/findings"
	"github.com/kubectl-caps/kubectl-caps/plugin/group"
	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// Heatmap cell states.
const (
	Effective = "eff" // some process of some replica holds it effectively
	Bounding  = "bnd" // in a bounding set only: a setuid or file-capability binary could gain it
	Absent    = "abs" // in no set
	Unknown   = "unk" // no replica could be read
)

type page struct {
	Version   string
	Summary   summary
	Caps      []string // heatmap columns, in bit order
	Rows      []row
	Namespace []string
	Findings  []string // IDs present, in catalogue order
}

type summary struct {
	Containers, Read, NotRead, Skipped, Errors int
	Workloads, Disagree                        int
	Findings                                   []findingCount
	Levels                                     []levelCount
}

type findingCount struct {
	ID, Legend           string
	Containers, Workload int
}

type levelCount struct {
	Level string
	Pods  int
}

type row struct {
	ID                        string
	Namespace, Workload, Kind string
	Container                 string
	Pods                      int
	Agree                     bool
	UID, Eff, Bnd, Declared   string
	PSS                       string
	FindingIDs                []string
	Held                      []string // capabilities effective or in a bounding set
	Cells                     []cell
	Variants                  []variant
	Explained                 []explained
	Notes                     []string
	HardenYAML                string
	Hardening                 *report.Hardening
	NotReadWhy                string
}

type cell struct {
	Cap, State string
	// Mixed: the replicas disagree on this capability.
	Mixed bool
}

type variant struct {
	Pods    []string
	Differs []string
	// Procs are the processes of one replica of the variant, at most maxProcs of them.
	Procs    []proc
	MoreProc int
}

type proc struct {
	PID                int
	Name               string
	UID                string
	Eff, Bnd, NNP, Sec string
}

// maxProcs bounds the processes listed per variant: a container can claim thousands.
const maxProcs = 20

type explained struct {
	ID, Legend, Message string
}

// build turns a report into the page's values. Strings are cleaned of control characters
// (they are escaped by the template too; cleaning keeps the page readable).
func build(r *report.Report, version string) page {
	p := page{Version: version}
	groups := group.ByWorkload(r.Containers)
	var held capset.Set
	states := make([]map[capset.Cap]string, len(groups))
	mixed := make([]capset.Set, len(groups))
	for gi := range groups {
		states[gi], mixed[gi] = cellStates(r, &groups[gi])
		for c, st := range states[gi] {
			if st != Absent {
				held = held.With(c)
			}
		}
	}
	caps := held.Caps()
	for _, c := range caps {
		p.Caps = append(p.Caps, c.Name())
	}
	nsSeen := map[string]bool{}
	present := map[string]int{}
	workloadsWith := map[string]int{}
	for gi := range groups {
		g := &groups[gi]
		first := &r.Containers[g.Variants[0].Rows[0]]
		rw := row{
			ID: "w" + itoa(gi), Namespace: g.Namespace, Workload: clean(g.Workload()), Container: clean(g.Container),
			Pods: len(g.Rows), Agree: g.Agree(), Declared: printer.DeclaredSummary(first.Declared),
		}
		if g.Owner != nil {
			rw.Kind = g.Owner.Kind
		}
		rw.UID, rw.Eff, rw.Bnd = liveCells(first)
		if first.PodSecurity != nil {
			rw.PSS = first.PodSecurity.Level
		}
		ids := map[string]bool{}
		for _, v := range g.Variants {
			rep := &r.Containers[v.Rows[0]]
			pv := variant{Differs: cleanAll(v.Differs)}
			for _, i := range v.Rows {
				pv.Pods = append(pv.Pods, r.Containers[i].Pod)
			}
			def := defaultSet(rep)
			for k, pr := range rep.Processes {
				if k == maxProcs {
					pv.MoreProc = len(rep.Processes) - maxProcs
					break
				}
				pv.Procs = append(pv.Procs, proc{PID: pr.PID, Name: clean(pr.Name), UID: itoa64(pr.EUID),
					Eff: mask(pr.Sets.Effective).Summary(0, def), Bnd: mask(pr.Sets.Bounding).Summary(0, def),
					NNP: strconv.FormatBool(pr.NoNewPrivs), Sec: pr.Seccomp})
			}
			rw.Variants = append(rw.Variants, pv)
			for _, f := range rep.Findings {
				if !ids[f.ID] {
					ids[f.ID] = true
					rw.Explained = append(rw.Explained, explained{ID: f.ID, Legend: findings.Legend(f.ID), Message: clean(f.Message)})
				}
			}
			if rep.ScopeNote != "" {
				rw.Notes = append(rw.Notes, clean(rep.ScopeNote))
			}
		}
		for _, i := range g.Rows {
			for _, f := range r.Containers[i].Findings {
				present[f.ID]++
			}
		}
		for id := range ids {
			rw.FindingIDs = append(rw.FindingIDs, id)
			workloadsWith[id]++
		}
		sort.Slice(rw.FindingIDs, func(i, j int) bool { return findings.Rank(rw.FindingIDs[i]) < findings.Rank(rw.FindingIDs[j]) })
		for _, c := range caps {
			st := states[gi][c]
			if st == "" {
				st = Absent
				if len(states[gi]) == 0 {
					st = Unknown
				}
			}
			if st == Effective || st == Bounding {
				rw.Held = append(rw.Held, c.Name())
			}
			rw.Cells = append(rw.Cells, cell{Cap: c.Name(), State: st, Mixed: mixed[gi].Has(c)})
		}
		if len(states[gi]) == 0 {
			rw.NotReadWhy = clean(notRead(first))
		}
		if h := first.Hardening; h != nil {
			rw.Hardening = h
			if h.SecurityContext != nil {
				if b, err := yaml.Marshal(map[string]any{"securityContext": h.SecurityContext}); err == nil {
					rw.HardenYAML = clean(string(b))
				}
			}
		}
		if !nsSeen[g.Namespace] {
			nsSeen[g.Namespace] = true
			p.Namespace = append(p.Namespace, g.Namespace)
		}
		p.Rows = append(p.Rows, rw)
		if !g.Agree() {
			p.Summary.Disagree++
		}
	}
	sort.Strings(p.Namespace)
	p.Summary.Workloads = len(groups)
	p.Summary.Containers = len(r.Containers)
	pods := map[string]string{}
	for i := range r.Containers {
		c := &r.Containers[i]
		switch {
		case c.Live != nil:
			p.Summary.Read++
		case c.Skipped != "":
			p.Summary.Skipped++
		default:
			p.Summary.Errors++
		}
		if c.PodSecurity != nil {
			pods[c.Namespace+"/"+c.Pod] = c.PodSecurity.Level
		}
	}
	p.Summary.NotRead = p.Summary.Skipped + p.Summary.Errors
	for _, k := range findings.Catalogue {
		if present[k.ID] > 0 {
			p.Findings = append(p.Findings, k.ID)
			p.Summary.Findings = append(p.Summary.Findings, findingCount{ID: k.ID, Legend: k.Legend, Containers: present[k.ID], Workload: workloadsWith[k.ID]})
		}
	}
	byLevel := map[string]int{}
	for _, l := range pods {
		byLevel[l]++
	}
	for _, l := range []string{"privileged", "baseline", "restricted"} {
		p.Summary.Levels = append(p.Summary.Levels, levelCount{Level: l, Pods: byLevel[l]})
	}
	return p
}

// cellStates is, per capability, the strongest state any process of any replica shows, and the
// capabilities on which replicas disagree: held by some of a replica's processes and not by
// others in one replica but not in another (a process that dropped it), or held in one replica
// only. An empty map: no replica was read.
func cellStates(r *report.Report, g *group.Group) (map[capset.Cap]string, capset.Set) {
	out := map[capset.Cap]string{}
	type view struct{ anyEff, allEff, anyBnd, allBnd capset.Set }
	var views []view
	for _, i := range g.Rows {
		c := &r.Containers[i]
		if c.Live == nil {
			continue
		}
		procs := c.Processes
		if len(procs) == 0 {
			procs = []report.Process{*c.Live}
		}
		v := view{allEff: capset.Known, allBnd: capset.Known}
		for _, p := range procs {
			eff, bnd := mask(p.Sets.Effective), mask(p.Sets.Bounding)
			v.anyEff, v.anyBnd = v.anyEff.Union(eff), v.anyBnd.Union(bnd)
			v.allEff, v.allBnd = v.allEff.Intersect(eff), v.allBnd.Intersect(bnd)
		}
		views = append(views, v)
	}
	if len(views) == 0 {
		return out, 0
	}
	var anyEff, anyBnd, mixed capset.Set
	for _, v := range views {
		anyEff, anyBnd = anyEff.Union(v.anyEff), anyBnd.Union(v.anyBnd)
		w := views[0]
		mixed = mixed.Union(v.anyEff ^ w.anyEff).Union(v.allEff ^ w.allEff).Union(v.anyBnd ^ w.anyBnd).Union(v.allBnd ^ w.allBnd)
	}
	for _, c := range capset.Known.Union(anyEff).Union(anyBnd).Caps() {
		switch {
		case anyEff.Has(c):
			out[c] = Effective
		case anyBnd.Has(c):
			out[c] = Bounding
		default:
			out[c] = Absent
		}
	}
	return out, mixed
}

func mask(c report.Caps) capset.Set {
	s, _ := capset.ParseHex(c.Mask)
	return s
}

func defaultSet(c *report.Container) capset.Set {
	if c.Expected != nil && c.Expected.RuntimeFamily == "cri-o" {
		return capset.RuntimeDefaultCRIO
	}
	return capset.RuntimeDefaultContainerd
}

func liveCells(c *report.Container) (uid, eff, bnd string) {
	def := defaultSet(c)
	if c.Live == nil {
		return "-", "-", "-"
	}
	return itoa64(c.Live.EUID), mask(c.Live.Sets.Effective).Summary(0, def), mask(c.Live.Sets.Bounding).Summary(0, def)
}

func notRead(c *report.Container) string {
	if c.Skipped != "" {
		return "not read: " + c.Skipped
	}
	if c.Error != "" {
		return "not read: " + c.Error
	}
	return "not read"
}

func clean(s string) string { return termsafe.Clean(s) }

func cleanAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = clean(s)
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func itoa64(i int64) string { return strconv.FormatInt(i, 10) }
