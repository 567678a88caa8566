package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/findings"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// Options select the table's shape.
type Options struct {
	Wide          bool
	Procs         bool
	WithNamespace bool // -A or several namespaces: show the NAMESPACE column
	// Explain prints each row's findings in full under the table.
	Explain bool
	// ByWorkload collapses the replicas of a workload whose readings agree into one row.
	ByWorkload bool
}

// JSON writes the report as indented JSON. Container-provided strings are escaped by the encoder
// (control characters become \u escapes), never passed raw.
func JSON(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// YAML writes the report as YAML with the same field names as JSON.
func YAML(w io.Writer, r *report.Report) error {
	b, err := yaml.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Table writes one row per container (or per process with Procs, or per workload with
// ByWorkload).
func Table(w io.Writer, r *report.Report, o Options) error {
	if o.Procs {
		return procTable(w, r, o)
	}
	if o.ByWorkload {
		return groupedTable(w, r, o)
	}
	var buf bytes.Buffer
	t := newTable(&buf)
	header := []string{"POD", "CONTAINER", "UID", "EFFECTIVE", "BOUNDING", "DECLARED", "FINDINGS"}
	if o.Wide {
		header = append(header, "TYPE", "NODE", "METHOD", "EXPECTED EFF", "EXPECTED BND", "NNP", "SECCOMP", "PORT START", "PSS")
	}
	if o.WithNamespace {
		header = append([]string{"NAMESPACE"}, header...)
	}
	t.Header(header)
	for i := range r.Containers {
		c := &r.Containers[i]
		row := append([]string{c.Pod}, containerCells(c, o)...)
		if o.WithNamespace {
			row = append([]string{c.Namespace}, row...)
		}
		if err := t.Append(cells(row...)); err != nil {
			return err
		}
	}
	if err := renderTo(w, t, &buf); err != nil {
		return err
	}
	return explain(w, r, o)
}

// containerCells are a container's cells after the POD column: CONTAINER, UID, EFFECTIVE,
// BOUNDING, DECLARED, FINDINGS and, with Wide, the wide columns.
func containerCells(c *report.Container, o Options) []string {
	full, def := labelBases(c)
	uid, eff, bnd := "-", "-", "-"
	if c.Live != nil {
		uid = strconv.FormatInt(c.Live.EUID, 10)
		eff = summary(c.Live.Sets.Effective, full, def)
		bnd = summary(c.Live.Sets.Bounding, full, def)
	} else if c.Declared.RunAsUser != nil {
		uid = strconv.FormatInt(*c.Declared.RunAsUser, 10)
	}
	row := []string{c.Container, uid, eff, bnd, DeclaredSummary(c.Declared), findingsCell(c)}
	if o.Wide {
		expEff, expBnd := "-", "-"
		if c.Expected != nil {
			expEff = summary(c.Expected.Sets.Effective, full, def)
			expBnd = summary(c.Expected.Sets.Bounding, full, def)
		}
		nnp, seccomp := "-", "-"
		if c.Live != nil {
			nnp = strconv.FormatBool(c.Live.NoNewPrivs)
			seccomp = c.Live.Seccomp
		}
		port := "-"
		if c.UnprivilegedPortStart != nil {
			port = strconv.Itoa(*c.UnprivilegedPortStart)
		}
		pss := "-"
		if c.PodSecurity != nil {
			pss = c.PodSecurity.Level
		}
		method := c.Method
		if method == "" {
			method = "-"
		}
		row = append(row, c.Type, dash(c.Node), method, expEff, expBnd, nnp, seccomp, port, pss)
	}
	return row
}

func procTable(w io.Writer, r *report.Report, o Options) error {
	var buf bytes.Buffer
	t := newTable(&buf)
	header := []string{"POD", "CONTAINER", "PID", "UID", "COMMAND", "EFFECTIVE", "PERMITTED", "BOUNDING", "AMBIENT", "NNP", "SECCOMP"}
	// Readings from the node also know each executable's file capabilities.
	fileCaps := anyExecutable(r)
	if fileCaps {
		header = append(header, "FILE CAPS")
	}
	if o.WithNamespace {
		header = append([]string{"NAMESPACE"}, header...)
	}
	t.Header(header)
	for i := range r.Containers {
		c := &r.Containers[i]
		full, def := labelBases(c)
		if len(c.Processes) == 0 {
			reason := c.Skipped
			if reason == "" {
				reason = c.Error
			}
			row := []string{c.Pod, c.Container, "-", "-", "(" + firstLine(reason) + ")", "-", "-", "-", "-", "-", "-"}
			if fileCaps {
				row = append(row, "-")
			}
			if o.WithNamespace {
				row = append([]string{c.Namespace}, row...)
			}
			if err := t.Append(cells(row...)); err != nil {
				return err
			}
			continue
		}
		for _, p := range c.Processes {
			row := []string{c.Pod, c.Container, strconv.Itoa(p.PID), strconv.FormatInt(p.EUID, 10), p.Name,
				summary(p.Sets.Effective, full, def), summary(p.Sets.Permitted, full, def),
				summary(p.Sets.Bounding, full, def), summary(p.Sets.Ambient, full, def),
				strconv.FormatBool(p.NoNewPrivs), p.Seccomp}
			if fileCaps {
				fc := "-"
				if p.FileCaps != nil {
					fc = p.FileCaps.Text
				}
				row = append(row, fc)
			}
			if o.WithNamespace {
				row = append([]string{c.Namespace}, row...)
			}
			if err := t.Append(cells(row...)); err != nil {
				return err
			}
		}
	}
	return renderTo(w, t, &buf)
}

// anyExecutable reports whether some process's executable was read (method node), so the process
// table shows file capabilities only when there are some to show.
func anyExecutable(r *report.Report) bool {
	for i := range r.Containers {
		for _, p := range r.Containers[i].Processes {
			if p.Executable != "" || p.FileCaps != nil {
				return true
			}
		}
	}
	return false
}

// explain prints findings under the table: each row's messages with Explain, otherwise one line
// per finding ID with how many containers have it.
func explain(w io.Writer, r *report.Report, o Options) error {
	if o.Explain {
		first := true
		for _, c := range r.Containers {
			if len(c.Findings) == 0 {
				continue
			}
			if first {
				fmt.Fprintln(w, "\nFindings:")
				first = false
			}
			fmt.Fprintf(w, "  %s/%s/%s:\n", c.Namespace, c.Pod, termsafe.Clean(c.Container))
			for _, f := range c.Findings {
				fmt.Fprintf(w, "    %s: %s\n", f.ID, termsafe.Clean(f.Message))
			}
			if c.ScopeNote != "" {
				fmt.Fprintf(w, "    note: %s\n", termsafe.Clean(c.ScopeNote))
			}
		}
		return nil
	}
	counts := map[string]int{}
	for _, c := range r.Containers {
		for _, f := range c.Findings {
			counts[f.ID]++
		}
	}
	if len(counts) == 0 {
		return nil
	}
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return findings.Rank(ids[i]) < findings.Rank(ids[j]) })
	fmt.Fprintln(w, "\nFindings (--explain for each container's details):")
	for _, id := range ids {
		fmt.Fprintf(w, "  %-24s %3d  %s\n", id, counts[id], findings.Legend(id))
	}
	return nil
}

// DeclaredSummary is a compact form of the securityContext's capability part:
// "privileged", "drop ALL +SYS_TIME", "+NET_ADMIN -NET_RAW", "default".
func DeclaredSummary(d report.Declared) string {
	if d.Privileged {
		return "privileged"
	}
	var parts []string
	for _, n := range d.Drop {
		if capset.IsAll(n) {
			parts = append(parts, "drop ALL")
		} else {
			parts = append(parts, "-"+n)
		}
	}
	for _, n := range d.Add {
		parts = append(parts, "+"+n)
	}
	if len(parts) == 0 {
		return "default"
	}
	return strings.Join(parts, " ")
}

func findingsCell(c *report.Container) string {
	if c.Skipped != "" {
		return "(" + c.Skipped + ")"
	}
	ids := make([]string, 0, len(c.Findings))
	for _, f := range c.Findings {
		ids = append(ids, f.ID)
	}
	s := strings.Join(ids, ",")
	if c.Error != "" {
		// The full message goes to stderr; the cell keeps the first clause so rows stay short.
		short, _, _ := strings.Cut(firstLine(c.Error), ";")
		s = "ERROR: " + short
	}
	if s == "" {
		return "none"
	}
	return s
}

// labelBases returns the node's full set (when the prediction used one) and the runtime default,
// so labels can say "ALL (40)" or "runtime default (14)".
func labelBases(c *report.Container) (full, def capset.Set) {
	def = capset.RuntimeDefaultContainerd
	if c.Expected != nil && c.Expected.RuntimeFamily == "cri-o" {
		def = capset.RuntimeDefaultCRIO
	}
	return 0, def
}

func summary(c report.Caps, full, def capset.Set) string {
	s, err := capset.ParseHex(c.Mask)
	if err != nil {
		return "?"
	}
	return s.Summary(full, def)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return termsafe.Clip(s, 120)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
