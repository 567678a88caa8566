// Package harden is the engine of `kubectl caps harden`: it hardens whole manifest files. It
// finds every pod template (package workload), asks the decision policy (package policy) for each
// container's securityContext, and has package manifest splice the changes into the file's own
// bytes. Files in, files out; no cluster, no disk (live evidence comes through an Observer).
package harden

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
)

// Options are the hardening choices plus where live evidence comes from.
type Options struct {
	policy.Options
	// Observer reads running pods; nil means hardening from the manifest alone.
	Observer Observer
	// Namespace is used to find the running pods of workloads whose manifest names none.
	Namespace string
}

// Result is one hardened file.
type Result struct {
	Output  []byte
	Changed bool
	Report  FileReport
	Patches []Patch
}

// Error is a file that could not be hardened; nothing of it should be written.
type Error struct {
	File     string
	Document int
	Line     int
	Object   string // Deployment ns/name, when known
	Msg      string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Document > 0 {
		fmt.Fprintf(&b, ": document %d", e.Document)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	if e.Object != "" {
		b.WriteString(" (" + e.Object + ")")
	}
	return b.String() + ": " + e.Msg
}

var editOptions = manifest.Options{KeyOrder: policy.KeyOrder, SameItem: sameCapability}

// sameCapability lets "all", "cap_net_raw" and "CAP_NET_RAW" stand for ALL and NET_RAW where
// the editor respells an entry in place (keeping its comments); what the runtime made of the old
// spelling is the policy's to report.
func sameCapability(have, want string) bool {
	n, _ := capset.Normalize(have)
	return n == want
}

// File hardens one file (name is only used in messages and the report).
func File(ctx context.Context, name string, data []byte, opt Options) (*Result, error) {
	res := &Result{Report: FileReport{Name: name, Workloads: []WorkloadReport{}}}
	stream, err := manifest.Parse(data)
	if err != nil {
		if pe, ok := err.(*manifest.ParseError); ok {
			return nil, &Error{File: name, Document: pe.Document, Line: pe.Line, Msg: pe.Msg + templateHint(data)}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	var out []byte
	for _, doc := range stream.Docs {
		raw, err := hardenDoc(ctx, name, doc, opt, res)
		if err != nil {
			return nil, err
		}
		out = append(out, raw...)
	}
	res.Output = out
	return res, nil
}

// templateHint recognises an unrendered Helm (or other Go) template, which is no YAML yet.
func templateHint(data []byte) string {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if o := bytes.Index(line, []byte("{{")); o >= 0 && bytes.Contains(line[o:], []byte("}}")) {
			return fmt.Sprintf("; line %d holds a template action ({{ ... }}): this is an unrendered Helm chart template, render it first: helm template RELEASE CHART | kubectl caps harden -f -", i+1)
		}
	}
	return ""
}

// edit is one container's securityContext change and the report entry it belongs to.
type edit struct {
	change    manifest.Change
	workload  int // index in the file report's workloads
	container int
}

func hardenDoc(ctx context.Context, file string, doc *manifest.Doc, opt Options, res *Result) ([]byte, error) {
	if doc.Root == nil {
		return doc.Raw, nil
	}
	var edits []edit
	templates := workload.Find(doc.Root)
	first := len(res.Report.Workloads)
	for _, t := range templates {
		line := doc.Line + t.Line - 1
		if t.Problem != "" {
			return nil, &Error{File: file, Document: doc.Number, Line: line, Object: t.Ref(), Msg: "cannot read the pod spec: " + t.Problem}
		}
		wr, cs := hardenTemplate(ctx, t, opt)
		wr.Document, wr.Line = doc.Number, line
		for i, c := range cs {
			if c != nil {
				edits = append(edits, edit{*c, len(res.Report.Workloads), i})
			}
		}
		res.Report.Workloads = append(res.Report.Workloads, wr)
	}
	out := doc.Raw
	if len(edits) > 0 {
		b, err := doc.Apply(changesOf(edits), editOptions)
		if err != nil {
			b = applyEach(doc, edits, res)
		}
		if b != nil {
			out = b
			res.Changed = true
			res.Report.Changed = true
		}
	}
	// Patches follow what was really changed.
	for k, t := range templates {
		if p := buildPatch(t, res.Report.Workloads[first+k]); p != nil {
			res.Patches = append(res.Patches, *p)
		}
	}
	return out, nil
}

// buildPatch is the patch for the containers of one template that were changed.
func buildPatch(t workload.Template, wr WorkloadReport) *Patch {
	p := newPatch(t)
	changed := false
	for i, c := range t.Containers {
		if cr := wr.Containers[i]; cr.Changed {
			p.add(c, cr.Before, cr.After)
			changed = true
		} else {
			p.keep(c)
		}
	}
	if !changed {
		return nil
	}
	return p
}

func changesOf(edits []edit) []manifest.Change {
	out := make([]manifest.Change, len(edits))
	for i, e := range edits {
		out[i] = e.change
	}
	return out
}

// applyEach is the way out when the document's changes cannot be made together: typically a
// container whose securityContext is shared with another through an anchor and a merge key
// (<<: *base). Each container is kept if its edit is safe together with those kept before it;
// the others are left unchanged, and the report says why. It returns nil when no container could
// be changed.
func applyEach(doc *manifest.Doc, edits []edit, res *Result) []byte {
	var ok []edit
	var out []byte
	for _, e := range edits {
		try := append(append([]edit{}, ok...), e)
		b, err := doc.Apply(changesOf(try), editOptions)
		if err != nil {
			cr := &res.Report.Workloads[e.workload].Containers[e.container]
			cr.Changed, cr.Changes, cr.After = false, nil, nil
			cr.Skipped = "cannot edit safely: " + err.Error()
			if strings.Contains(err.Error(), "alias") || strings.Contains(err.Error(), "anchor") {
				cr.Warnings = append(cr.Warnings, "its securityContext cannot change without changing another container's too (an anchor shared through a merge key or an alias): write it out for this container, then harden again")
			}
			continue
		}
		ok, out = try, b
	}
	return out
}

// hardenTemplate decides every container of one pod template. changes has one entry per
// container, nil where nothing changes.
func hardenTemplate(ctx context.Context, t workload.Template, opt Options) (WorkloadReport, []*manifest.Change) {
	wr := WorkloadReport{
		APIVersion: t.APIVersion, Kind: t.Kind, Name: t.Name, Namespace: t.Namespace,
		Path: manifest.PathString(t.SpecPath), Containers: []ContainerReport{},
	}
	if t.Item >= 0 {
		item := t.Item
		wr.Item = &item
	}
	pod := policy.PodFrom(t.Spec)
	evidence, why := observe(ctx, t, opt)
	wr.Evidence = why
	changes := make([]*manifest.Change, len(t.Containers))
	hardened := copySpec(t.Spec)
	strategic := builtIn(t.Kind, t.APIVersion)
	for i, c := range t.Containers {
		var ev *policy.Evidence
		if e, ok := evidence[c.Name]; ok {
			ev = &e
		}
		orig := policy.ContainerFrom(c.Spec, c.Type)
		d := policy.Decide(pod, orig, ev, opt.Options)
		before, _ := c.Spec["securityContext"].(map[string]any)
		cr := ContainerReport{
			Name: c.Name, Type: c.Type, Skipped: d.Skipped, Before: before,
			Capabilities: d.Capabilities, Notes: d.Notes, Warnings: d.Warnings, Evidence: ev,
		}
		if c.Name == "" && strategic {
			cr.Warnings = append(cr.Warnings, fmt.Sprintf("has no name (%s): the API server refuses a %s without one, and -o patch cannot address it", manifest.PathString(c.Path[len(c.Path)-2:]), t.Kind))
		}
		if d.Skipped == "" {
			after := d.SecurityContext(before)
			if r := raise(pod, orig, withSC(c.Spec, after, c.Type), d.Licensed, opt.RuleSets()); r != "" {
				cr.Skipped = "the hardened securityContext would raise privilege: " + r
			} else if _, present := c.Spec["securityContext"]; !present || !manifest.Equal(before, after) {
				cr.After = after
				cr.Changed = true
				cr.Changes = policy.Changes(before, after)
				changes[i] = &manifest.Change{Path: append(append([]any{}, c.Path...), "securityContext"), Want: after}
				setContainerSC(hardened, c, after)
			} else {
				cr.After = after
			}
		}
		wr.Containers = append(wr.Containers, cr)
	}
	if opt.Level != "" {
		lr, err := policy.EvaluateLevel(opt.Level, t.Meta, hardened)
		if err != nil {
			wr.Error = "cannot evaluate Pod Security level: " + err.Error()
		} else {
			wr.PodSecurity = &lr
		}
	}
	return wr, changes
}

// withSC is a container's facts with its securityContext replaced.
func withSC(spec, sc map[string]any, typ string) policy.Container {
	c := make(map[string]any, len(spec))
	for k, v := range spec {
		c[k] = v
	}
	c["securityContext"] = sc
	return policy.ContainerFrom(c, typ)
}

func observe(ctx context.Context, t workload.Template, opt Options) (map[string]policy.Evidence, string) {
	if opt.Observer == nil {
		return nil, ""
	}
	ns := t.Namespace
	if ns == "" {
		ns = opt.Namespace
	}
	ev, err := opt.Observer.Observe(ctx, WorkloadRef{APIVersion: t.APIVersion, Kind: t.Kind, Namespace: ns, Name: t.Name})
	if err != nil {
		return nil, "no live evidence: " + err.Error()
	}
	return ev, ""
}

// copySpec copies a pod spec deep enough to replace container securityContexts in the copy.
func copySpec(spec map[string]any) map[string]any {
	out := make(map[string]any, len(spec))
	for k, v := range spec {
		out[k] = v
	}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		l, ok := spec[list].([]any)
		if !ok {
			continue
		}
		cp := make([]any, len(l))
		for i, c := range l {
			if m, ok := c.(map[string]any); ok {
				mc := make(map[string]any, len(m))
				for k, v := range m {
					mc[k] = v
				}
				cp[i] = mc
			} else {
				cp[i] = c
			}
		}
		out[list] = cp
	}
	return out
}

func setContainerSC(spec map[string]any, c workload.Container, sc map[string]any) {
	l, _ := spec[c.List].([]any)
	idx, _ := c.Path[len(c.Path)-1].(int)
	if idx < len(l) {
		if m, ok := l[idx].(map[string]any); ok {
			m["securityContext"] = sc
		}
	}
}
