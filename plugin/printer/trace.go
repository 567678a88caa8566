package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// TraceOptions select the shape of a trace's table.
type TraceOptions struct {
	// Wide lists every counted check, noise included, under each container.
	Wide bool
	// WithNamespace shows the NAMESPACE column.
	WithNamespace bool
	// Omit are rows (indexes into the trace's containers) left out because one line elsewhere
	// says why they were not traced (a namespace refusing the agent, a missing permission).
	Omit map[int]bool
}

// TraceJSON writes a trace as indented JSON (the CapabilityTrace kind, as harden --evidence
// reads it). The encoder escapes control characters.
func TraceJSON(w io.Writer, t *tracereport.Trace) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

// TraceYAML writes a trace as YAML, with the JSON field names.
func TraceYAML(w io.Writer, t *tracereport.Trace) error {
	b, err := yaml.Marshal(t)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// TraceTable writes one summary row per container, then what each container used, was denied
// and made as noise, with the securityContext the trace suggests and why.
func TraceTable(w io.Writer, t *tracereport.Trace, o TraceOptions) error {
	var rows []int
	for i := range t.Containers {
		if !o.Omit[i] {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if _, err := io.WriteString(w, traceHeadline(t, rows)); err != nil {
		return err
	}
	var buf bytes.Buffer
	tbl := newTable(&buf)
	head := []string{"POD", "CONTAINER", "NODE", "USED", "DENIED", "NOISE"}
	if o.WithNamespace {
		head = append([]string{"NAMESPACE"}, head...)
	}
	tbl.Header(head)
	for _, i := range rows {
		c := &t.Containers[i]
		cols := []string{c.Pod, c.Container, c.Node}
		if c.Error != "" {
			cols = append(cols, "not traced (below)", "", "")
		} else {
			cols = append(cols, capCounts(c.Used), capCounts(c.Denied), fmt.Sprint(noiseCount(c)))
		}
		if o.WithNamespace {
			cols = append([]string{c.Namespace}, cols...)
		}
		if err := tbl.Append(cells(cols...)); err != nil {
			return err
		}
	}
	if err := renderTo(w, tbl, &buf); err != nil {
		return err
	}
	for _, i := range rows {
		if err := traceDetail(w, &t.Containers[i], o.Wide); err != nil {
			return err
		}
	}
	return nil
}

// traceHeadline says how long, where and on which kernel paths the trace ran.
func traceHeadline(t *tracereport.Trace, rows []int) string {
	nodes := map[string]bool{}
	var paths []string
	seen := map[string]bool{}
	traced := 0
	for _, i := range rows {
		c := &t.Containers[i]
		nodes[c.Node] = true
		if c.Kernel == nil {
			continue
		}
		traced++
		if !seen[c.Kernel.Path] {
			seen[c.Kernel.Path] = true
			paths = append(paths, c.Kernel.Path)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Traced %d of %d containers on %d node%s", traced, len(rows), len(nodes), plural(len(nodes)))
	if t.Duration != "" {
		b.WriteString(" for " + t.Duration)
	}
	if len(paths) > 0 {
		b.WriteString("; kernel path " + termsafe.Clean(strings.Join(paths, ", ")))
	}
	b.WriteString(".\n")
	if seen[string(capcheck.PathKprobe)] {
		b.WriteString("Note: " + tracereport.KprobeUntested + ".\n")
	}
	b.WriteString("\n")
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// capCounts: "CHOWN (8), NET_BIND_SERVICE (4)", "-" for none.
func capCounts(cs []tracereport.Capability) string {
	if len(cs) == 0 {
		return "-"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s (%d)", c.Capability, c.Count)
	}
	return strings.Join(parts, ", ")
}

func noiseCount(c *tracereport.Container) uint64 {
	var n uint64
	for _, x := range c.Noise {
		n += x.Count
	}
	return n
}

// traceDetail is one container's block under the table. Every line is cleaned on its own: the
// trace carries process names the workload chose.
func traceDetail(w io.Writer, c *tracereport.Container, wide bool) error {
	var lines []string
	add := func(format string, a ...any) { lines = append(lines, termsafe.Clean(fmt.Sprintf(format, a...))) }
	flush := func() error {
		if len(lines) == 0 {
			return nil
		}
		_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
		lines = lines[:0]
		return err
	}
	head := fmt.Sprintf("%s/%s/%s", c.Namespace, c.Pod, c.Container)
	if c.Node != "" {
		head += " on node " + c.Node
	}
	if k := c.Kernel; k != nil {
		about := []string{"kernel path " + k.Path}
		if k.Release != "" {
			about = append(about, "kernel "+k.Release)
		}
		if k.Cgroup != "" {
			about = append(about, "cgroup "+k.Cgroup)
		}
		head += " (" + strings.Join(about, ", ") + ")"
	}
	add("")
	add("%s", head)
	if c.Error != "" {
		add("  not traced: %s", c.Error)
		return flush()
	}
	if err := flush(); err != nil {
		return err
	}
	if err := capabilityLines(w, c.Used, c.Denied); err != nil {
		return err
	}
	if len(c.Noise) == 0 {
		add("  noise    none")
	} else {
		parts := make([]string, len(c.Noise))
		for i, n := range c.Noise {
			parts[i] = fmt.Sprintf("%s %d (%s)", n.Reason, n.Count, strings.Join(n.Capabilities, ", "))
		}
		more := ""
		if !wide {
			more = "; -o wide lists them"
		}
		add("  noise    %d checks, never needs: %s%s", noiseCount(c), strings.Join(parts, "; "), more)
	}
	if s := c.Suggested; s != nil {
		add("  suggest  capabilities: {drop: [%s], add: [%s]}", strings.Join(s.Drop, ", "), strings.Join(s.Add, ", "))
		for _, r := range s.Reasons {
			add("           %s", r.Reason)
		}
		for _, n := range s.Notes {
			add("           note: %s", n)
		}
	}
	for _, n := range c.Notes {
		add("  note     %s", n)
	}
	if err := flush(); err != nil {
		return err
	}
	if wide && len(c.Records) > 0 {
		if _, err := io.WriteString(w, "  every distinct check counted:\n"); err != nil {
			return err
		}
		return recordLines(w, c.Records)
	}
	return nil
}

// capabilityLines: one aligned line per used, then denied, capability with its count,
// processes, syscalls and the kernel functions that asked. The label column is as wide as
// "  denied" plus the table's padding, which the other lines of a block line up with.
func capabilityLines(w io.Writer, used, denied []tracereport.Capability) error {
	var buf bytes.Buffer
	tbl := newTable(&buf)
	for _, group := range []struct {
		label, none string
		caps        []tracereport.Capability
	}{
		{"used", "none: no check of the container's own needed a capability", used},
		{"denied", "none: nothing was refused", denied},
	} {
		if len(group.caps) == 0 {
			if err := tbl.Append(cells("  "+group.label, group.none, "", "", "", "")); err != nil {
				return err
			}
			continue
		}
		for i, c := range group.caps {
			l := ""
			if i == 0 {
				l = group.label
			}
			procs := make([]string, 0, len(c.Processes))
			for _, p := range c.Processes {
				procs = append(procs, fmt.Sprintf("%s (pid %d, uid %d)", p.Comm, p.TGID, p.UID))
			}
			from := ""
			if len(c.Callers) > 0 {
				from = "from " + firstFew(c.Callers, 2)
			}
			if err := tbl.Append(cells("  "+l, c.Capability, fmt.Sprintf("%d", c.Count), firstFew(procs, 2), firstFew(c.Syscalls, 3), from)); err != nil {
				return err
			}
		}
	}
	return renderTo(w, tbl, &buf)
}

// recordLines lists every counted check (-o wide).
func recordLines(w io.Writer, rs []tracereport.Record) error {
	var buf bytes.Buffer
	tbl := newTable(&buf)
	tbl.Header([]string{"    CLASS", "CAPABILITY", "VERDICT", "COMM", "PID", "UID", "SYSCALL", "CALLER", "COUNT", "WHY"})
	for _, r := range rs {
		class := r.Class
		if r.NoiseReason != "" {
			class += ":" + r.NoiseReason
		}
		if err := tbl.Append(cells("    "+class, r.Capability, r.Verdict, r.Comm, fmt.Sprint(r.TGID), fmt.Sprint(r.UID), dash(r.Syscall), dash(r.Caller), fmt.Sprint(r.Count), r.Reason)); err != nil {
			return err
		}
	}
	return renderTo(w, tbl, &buf)
}

func firstFew(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" +%d", len(s)-n)
}
