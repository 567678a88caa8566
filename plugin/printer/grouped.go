package printer

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/group"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// maxPodsNamed bounds how many pods one disagreeing variant names under the table.
const maxPodsNamed = 10

// groupedTable writes one row per container of each workload whose replicas agree (PODS is
// their count), one row per variant where they disagree (PODS "2/3", the smaller ones flagged
// "differs"), then names the pods of every disagreeing workload and how they differ.
func groupedTable(w io.Writer, r *report.Report, o Options) error {
	groups := group.ByWorkload(r.Containers)
	var buf bytes.Buffer
	t := newTable(&buf)
	header := []string{"WORKLOAD", "CONTAINER", "PODS", "UID", "EFFECTIVE", "BOUNDING", "DECLARED", "FINDINGS"}
	if o.Wide {
		header = append(header, "TYPE", "NODE", "METHOD", "EXPECTED EFF", "EXPECTED BND", "NNP", "SECCOMP", "PORT START", "PSS")
	}
	if o.WithNamespace {
		header = append([]string{"NAMESPACE"}, header...)
	}
	t.Header(header)
	for gi := range groups {
		g := &groups[gi]
		for vi, v := range g.Variants {
			c := &r.Containers[v.Rows[0]]
			cc := containerCells(c, o)
			pods := strconv.Itoa(len(v.Rows))
			if !g.Agree() {
				pods = fmt.Sprintf("%d/%d", len(v.Rows), len(g.Rows))
				if vi > 0 {
					pods += " differs"
				}
			}
			if o.Wide {
				cc[7] = nodes(r, v.Rows) // the NODE column, after the six leading cells and TYPE
			}
			row := append([]string{g.Workload(), cc[0], pods}, cc[1:]...)
			if o.WithNamespace {
				row = append([]string{g.Namespace}, row...)
			}
			if err := t.Append(cells(row...)); err != nil {
				return err
			}
		}
	}
	if err := renderTo(w, t, &buf); err != nil {
		return err
	}
	disagreements(w, r, groups)
	if o.Explain {
		return explainGroups(w, r, groups)
	}
	return explain(w, r, o)
}

// nodes is the NODE cell of a variant: its one node, or how many.
func nodes(r *report.Report, rows []int) string {
	seen := map[string]bool{}
	for _, i := range rows {
		seen[r.Containers[i].Node] = true
	}
	if len(seen) == 1 {
		return dash(r.Containers[rows[0]].Node)
	}
	return fmt.Sprintf("%d nodes", len(seen))
}

func disagreements(w io.Writer, r *report.Report, groups []group.Group) {
	first := true
	for gi := range groups {
		g := &groups[gi]
		if g.Agree() {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nReplicas that disagree (--by pod shows every pod):")
			first = false
		}
		fmt.Fprintf(w, "  %s %s, container %s:\n", g.Namespace, termsafe.Clean(g.Workload()), termsafe.Clean(g.Container))
		for _, v := range g.Variants {
			var names []string
			for k, i := range v.Rows {
				if k == maxPodsNamed {
					names = append(names, fmt.Sprintf("and %d more", len(v.Rows)-maxPodsNamed))
					break
				}
				names = append(names, r.Containers[i].Pod)
			}
			line := fmt.Sprintf("    %d/%d  %s", len(v.Rows), len(g.Rows), strings.Join(names, ", "))
			if len(v.Differs) > 0 {
				line += ": " + strings.Join(v.Differs, "; ")
			}
			fmt.Fprintln(w, termsafe.Clean(line))
		}
	}
}

// explainGroups prints each variant's findings in full, from one of its replicas.
func explainGroups(w io.Writer, r *report.Report, groups []group.Group) error {
	first := true
	for gi := range groups {
		g := &groups[gi]
		for _, v := range g.Variants {
			c := &r.Containers[v.Rows[0]]
			if len(c.Findings) == 0 {
				continue
			}
			if first {
				fmt.Fprintln(w, "\nFindings:")
				first = false
			}
			of := "pod " + c.Pod
			if len(v.Rows) > 1 {
				of = fmt.Sprintf("%d pods, e.g. %s", len(v.Rows), c.Pod)
			}
			fmt.Fprintf(w, "  %s/%s/%s (%s):\n", g.Namespace, termsafe.Clean(g.Workload()), termsafe.Clean(g.Container), termsafe.Clean(of))
			for _, f := range c.Findings {
				fmt.Fprintf(w, "    %s: %s\n", f.ID, termsafe.Clean(f.Message))
			}
			if c.ScopeNote != "" {
				fmt.Fprintf(w, "    note: %s\n", termsafe.Clean(c.ScopeNote))
			}
		}
	}
	return nil
}
