// Package group collapses the replicas of a workload: the rows of one container name in every pod
// of one owner (package owner) form a group, and the replicas whose readings agree form a
// variant. A group with one variant is one row with a count; a group with several is a workload
// whose replicas disagree (a process that dropped a capability by hand, a rollout half done, a
// replica not running), and each variant says how it differs from the largest. It is pure: report
// rows in, groups out.
package group

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/owner"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// Group is one container name of one workload.
type Group struct {
	Namespace string
	Owner     *report.Owner
	Container string
	// Rows are the indexes of every replica's row in the report, in report order.
	Rows []int
	// Variants split Rows into replicas that agree, the largest first; one when all agree.
	Variants []Variant
}

// Variant is a set of replicas whose readings agree.
type Variant struct {
	Rows []int
	// Differs says how this variant differs from the first one (empty for the first).
	Differs []string
}

// Agree reports whether every replica read the same.
func (g *Group) Agree() bool { return len(g.Variants) == 1 }

// Workload names the group's workload for people: "deployment/web".
func (g *Group) Workload() string { return owner.Label(g.Owner) }

// ByWorkload groups the report's rows, ordered by namespace, workload and the containers' order
// in the pod.
func ByWorkload(cs []report.Container) []Group {
	index := map[string]int{}
	var out []Group
	for i := range cs {
		c := &cs[i]
		k := owner.Key(c.Namespace, c.Owner) + "\x00" + c.Container
		if c.Owner == nil {
			k += "\x00" + c.Pod // no owner known: every pod alone
		}
		gi, ok := index[k]
		if !ok {
			gi = len(out)
			index[k] = gi
			out = append(out, Group{Namespace: c.Namespace, Owner: c.Owner, Container: c.Container})
		}
		out[gi].Rows = append(out[gi].Rows, i)
	}
	for gi := range out {
		out[gi].Variants = variants(cs, out[gi].Rows)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Workload() < b.Workload()
	})
	return out
}

func variants(cs []report.Container, rows []int) []Variant {
	index := map[string]int{}
	var out []Variant
	for _, i := range rows {
		sig := Signature(&cs[i])
		vi, ok := index[sig]
		if !ok {
			vi = len(out)
			index[sig] = vi
			out = append(out, Variant{})
		}
		out[vi].Rows = append(out[vi].Rows, i)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Rows) > len(out[j].Rows) })
	for vi := 1; vi < len(out); vi++ {
		out[vi].Differs = differs(&cs[out[0].Rows[0]], &cs[out[vi].Rows[0]])
	}
	return out
}

// Signature is what two replicas must share to agree: the declared spec, whether and how they
// were read, the capability state of every process (uids, the five sets, no_new_privs, seccomp;
// not PIDs or names, which differ between replicas of the same thing) and the finding IDs (not
// their messages, which name PIDs).
func Signature(c *report.Container) string {
	var b strings.Builder
	decl, _ := json.Marshal(c.Declared)
	b.Write(decl)
	fmt.Fprintf(&b, "|%s|%s|", c.State, c.Method)
	switch {
	case c.Skipped != "":
		b.WriteString("skipped|")
	case c.Error != "":
		b.WriteString("error|")
	}
	if c.Live != nil {
		b.WriteString("main " + processState(c.Live) + "|")
	}
	for _, s := range processStates(c) {
		b.WriteString(s + "|")
	}
	for _, f := range c.Findings {
		b.WriteString(f.ID + ",")
	}
	return b.String()
}

func processState(p *report.Process) string {
	s := p.Sets
	return fmt.Sprintf("uid %d euid %d gid %d inh %s prm %s eff %s bnd %s amb %s nnp %t seccomp %s",
		p.UID, p.EUID, p.GID, s.Inheritable.Mask, s.Permitted.Mask, s.Effective.Mask, s.Bounding.Mask, s.Ambient.Mask, p.NoNewPrivs, p.Seccomp)
}

// processStates are the distinct process states of a container, sorted.
func processStates(c *report.Container) []string {
	seen := map[string]bool{}
	var out []string
	for i := range c.Processes {
		s := processState(&c.Processes[i])
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// differs says, for people, how replica b differs from replica a.
func differs(a, b *report.Container) []string {
	var out []string
	if !equalJSON(a.Declared, b.Declared) {
		out = append(out, "declares another securityContext (a rollout in progress?)")
	}
	if a.State != b.State || (a.Skipped != "") != (b.Skipped != "") || (a.Error != "") != (b.Error != "") {
		why := b.State
		switch {
		case b.Skipped != "":
			why = "not read: " + b.Skipped
		case b.Error != "":
			why = "not read: " + firstClause(b.Error)
		}
		out = append(out, why)
	}
	if a.Method != b.Method && b.Method != "" {
		out = append(out, "read with "+b.Method)
	}
	have := map[string]bool{}
	for _, s := range processStates(a) {
		have[s] = true
	}
	def := capset.RuntimeDefaultContainerd
	if b.Expected != nil && b.Expected.RuntimeFamily == "cri-o" {
		def = capset.RuntimeDefaultCRIO
	}
	listed := map[string]bool{}
	for i := range b.Processes {
		p := &b.Processes[i]
		s := processState(p)
		if have[s] || listed[s] {
			continue
		}
		listed[s] = true
		out = append(out, fmt.Sprintf("pid %d (%s) uid %d: effective %s, bounding %s", p.PID, termsafe.Clip(termsafe.Clean(p.Name), 32), p.EUID,
			summary(p.Sets.Effective, def), summary(p.Sets.Bounding, def)))
	}
	if len(listed) == 0 && len(processStates(a)) != len(processStates(b)) {
		out = append(out, "fewer kinds of processes")
	}
	ids := func(c *report.Container) map[string]bool {
		m := map[string]bool{}
		for _, f := range c.Findings {
			m[f.ID] = true
		}
		return m
	}
	fa, fb := ids(a), ids(b)
	for _, f := range b.Findings {
		if !fa[f.ID] {
			out = append(out, "also "+f.ID)
		}
	}
	for _, f := range a.Findings {
		if !fb[f.ID] {
			out = append(out, "not "+f.ID)
		}
	}
	if len(out) == 0 {
		out = append(out, "reads differently")
	}
	return out
}

func summary(c report.Caps, def capset.Set) string {
	s, err := capset.ParseHex(c.Mask)
	if err != nil {
		return "?"
	}
	return s.Summary(0, def)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func firstClause(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s, _, _ = strings.Cut(s, ";")
	return termsafe.Clip(termsafe.Clean(s), 120)
}
