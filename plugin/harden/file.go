// Package harden is the engine of `kubectl caps harden`: it hardens whole manifest files. It
// finds every pod template (package workload), asks the decision policy (package policy) for each
// container's securityContext, and has package manifest splice the changes into the file's own
// bytes. Files in, files out; no cluster, no disk (live evidence comes through an Observer).
package harden

import (
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
			return nil, &Error{File: name, Document: pe.Document, Line: pe.Line, Msg: pe.Msg}
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

func hardenDoc(ctx context.Context, file string, doc *manifest.Doc, opt Options, res *Result) ([]byte, error) {
	if doc.Root == nil {
		return doc.Raw, nil
	}
	var changes []manifest.Change
	for _, t := range workload.Find(doc.Root) {
		line := doc.Line + t.Line - 1
		if t.Problem != "" {
			return nil, &Error{File: file, Document: doc.Number, Line: line, Object: t.Ref(), Msg: "cannot read the pod spec: " + t.Problem}
		}
		wr, cs, patch := hardenTemplate(ctx, t, opt)
		wr.Document, wr.Line = doc.Number, line
		res.Report.Workloads = append(res.Report.Workloads, wr)
		changes = append(changes, cs...)
		if patch != nil {
			res.Patches = append(res.Patches, *patch)
		}
	}
	if len(changes) == 0 {
		return doc.Raw, nil
	}
	out, err := doc.Apply(changes, editOptions)
	if err != nil {
		return nil, &Error{File: file, Document: doc.Number, Line: doc.Line, Msg: "cannot edit safely: " + err.Error()}
	}
	res.Changed = true
	res.Report.Changed = true
	return out, nil
}

// hardenTemplate decides every container of one pod template.
func hardenTemplate(ctx context.Context, t workload.Template, opt Options) (WorkloadReport, []manifest.Change, *Patch) {
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
	var changes []manifest.Change
	hardened := copySpec(t.Spec)
	patch := newPatch(t)
	for _, c := range t.Containers {
		var ev *policy.Evidence
		if e, ok := evidence[c.Name]; ok {
			ev = &e
		}
		d := policy.Decide(pod, policy.ContainerFrom(c.Spec, c.Type), ev, opt.Options)
		before, _ := c.Spec["securityContext"].(map[string]any)
		cr := ContainerReport{
			Name: c.Name, Type: c.Type, Skipped: d.Skipped, Before: before,
			Capabilities: d.Capabilities, Notes: d.Notes, Warnings: d.Warnings, Evidence: ev,
		}
		if d.Skipped == "" {
			after := d.SecurityContext(before)
			cr.After = after
			if _, present := c.Spec["securityContext"]; !present || !manifest.Equal(before, after) {
				cr.Changed = true
				cr.Changes = policy.Changes(before, after)
				changes = append(changes, manifest.Change{Path: append(append([]any{}, c.Path...), "securityContext"), Want: after})
				setContainerSC(hardened, c, after)
				patch.add(c, before, after)
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
	if len(changes) == 0 {
		patch = nil
	}
	return wr, changes, patch
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
