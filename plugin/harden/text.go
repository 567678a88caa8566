package harden

import (
	"fmt"
	"io"
	"strings"

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
		if p := unusualPath(wl.Path); p != "" {
			where += ", " + p // one of several pod templates of the object (Argo Experiment)
		}
		fmt.Fprintf(w, "%s: %s %s (%s)\n", clean(f.Name), clean(wl.Kind), clean(name), where)
		if wl.Evidence != "" {
			fmt.Fprintf(w, "  warning: %s\n", clean(wl.Evidence))
		}
		for i, c := range wl.Containers {
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
			name := clean(c.Name)
			if name == "" {
				name = fmt.Sprintf("#%d (no name)", i+1)
			}
			fmt.Fprintf(w, "  container %s%s: %s\n", name, kind, state)
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

// unusualPath is a pod template's path when it is not the one its kind always has.
func unusualPath(path string) string {
	if strings.HasPrefix(path, "items[") {
		if _, rest, ok := strings.Cut(path, "]."); ok {
			path = rest
		}
	}
	switch path {
	case "spec", "template.spec", "spec.template.spec", "spec.jobTemplate.spec.template.spec":
		return ""
	}
	return clean(path)
}

// clean makes manifest text safe for a terminal: names and values come from files harden did not
// write.
func clean(s string) string { return termsafe.Clean(s) }
