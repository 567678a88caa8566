package harden

import (
	"fmt"
	"io"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// WriteText writes the human report of one file: per container, what changed and why. Names and
// values come from the manifest, so terminal control sequences are removed before printing.
func WriteText(w io.Writer, f FileReport) {
	if len(f.Workloads) == 0 {
		fmt.Fprintf(w, "%s: no pod templates\n", clean(f.Name))
		return
	}
	for _, wl := range f.Workloads {
		name := wl.Name
		if wl.Namespace != "" {
			name = wl.Namespace + "/" + name
		}
		where := fmt.Sprintf("document %d, line %d", wl.Document, wl.Line)
		if wl.Item != nil {
			where += fmt.Sprintf(", item %d", *wl.Item)
		}
		fmt.Fprintf(w, "%s: %s %s (%s)\n", clean(f.Name), clean(wl.Kind), clean(name), where)
		if wl.Evidence != "" {
			fmt.Fprintf(w, "  warning: %s\n", clean(wl.Evidence))
		}
		for _, c := range wl.Containers {
			state := "already hardened"
			switch {
			case c.Skipped != "":
				state = "left unchanged: " + c.Skipped
			case c.Changed:
				state = "hardened"
			}
			kind := ""
			if c.Type != "container" {
				kind = " (" + c.Type + ")"
			}
			fmt.Fprintf(w, "  container %s%s: %s\n", clean(c.Name), kind, state)
			for _, ch := range c.Changes {
				fmt.Fprintf(w, "    ~ %s\n", clean(ch))
			}
			for _, cr := range c.Capabilities {
				mark := map[string]string{policy.ActionAdded: "+", policy.ActionKept: "=", policy.ActionRemoved: "-"}[cr.Action]
				fmt.Fprintf(w, "    %s %s %s (%s): %s\n", mark, clean(cr.Name), cr.Action, cr.Source, clean(cr.Reason))
			}
			for _, n := range c.Notes {
				fmt.Fprintf(w, "    note: %s\n", clean(n))
			}
			for _, n := range c.Warnings {
				fmt.Fprintf(w, "    warning: %s\n", clean(n))
			}
		}
		if ps := wl.PodSecurity; ps != nil {
			if ps.Allowed {
				fmt.Fprintf(w, "  Pod Security %s: allowed after hardening\n", ps.Level)
			} else {
				fmt.Fprintf(w, "  Pod Security %s: still violated after hardening:\n", ps.Level)
				for _, v := range ps.Violations {
					fmt.Fprintf(w, "    - %s\n", clean(v))
				}
			}
		}
		if wl.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", clean(wl.Error))
		}
	}
}

// clean makes manifest text safe for a terminal: names and values come from files harden did not
// write.
func clean(s string) string { return termsafe.Clean(s) }
