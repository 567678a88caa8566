package sarif

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
)

// File is one input harden read: its artifact URI (relative, forward slashes, or a file:
// URI), its bytes as read, and harden's report of it.
type File struct {
	URI    string
	Data   []byte
	Report harden.FileReport
}

// Failure is an input harden could not read or harden: a notification, not a result.
type Failure struct {
	URI     string // "" when the input has no file (standard input)
	Line    int
	Message string
}

// Options describe the run.
type Options struct {
	ToolVersion string
	ExitCode    int
	Failures    []Failure
}

// Build makes the log of one harden --check run.
func Build(files []File, o Options) *Log {
	run := Run{
		Tool:       Tool{Driver: Driver{Name: "kubectl-caps", Version: o.ToolVersion, InformationURI: "https://github.com/kubectl-caps/kubectl-caps", Rules: rules}},
		ColumnKind: "unicodeCodePoints",
		Results:    []Result{},
	}
	exit := o.ExitCode
	inv := Invocation{ExecutionSuccessful: len(o.Failures) == 0, ExitCode: &exit}
	for _, f := range o.Failures {
		n := Notification{Level: "error", Message: Message{Text: termsafe.Clean(f.Message)}}
		if f.URI != "" {
			loc := Location{PhysicalLocation: PhysicalLocation{ArtifactLocation: artifact(f.URI)}}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &Region{StartLine: f.Line}
			}
			n.Locations = []Location{loc}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, f := range files {
		results, notes := fileResults(f)
		run.Results = append(run.Results, results...)
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notes...)
	}
	run.Invocations = []Invocation{inv}
	return &Log{Schema: Schema, Version: Version, Runs: []Run{run}}
}

func artifact(uri string) ArtifactLocation {
	a := ArtifactLocation{URI: uri}
	if !strings.Contains(uri, ":") {
		a.URIBaseID = "%SRCROOT%"
	}
	return a
}

// fileResults pairs harden's report with the file's pod templates (harden reports them in
// document order, as workload.Find lists them) to learn where each container is.
func fileResults(f File) ([]Result, []Notification) {
	stream, err := manifest.Parse(f.Data)
	if err != nil {
		return nil, []Notification{warning(f.URI, "cannot locate results: "+err.Error())}
	}
	t := newText(f.Data)
	var out []Result
	wi, docStart := 0, 0
	for _, doc := range stream.Docs {
		start := docStart
		docStart += len(doc.Raw)
		if doc.Root == nil {
			continue
		}
		for _, tpl := range workload.Find(doc.Root) {
			if wi >= len(f.Report.Workloads) {
				return out, []Notification{warning(f.URI, "harden's report and the file disagree: results may be missing")}
			}
			wr := f.Report.Workloads[wi]
			wi++
			if wr.Kind != tpl.Kind || wr.Name != tpl.Name || len(wr.Containers) != len(tpl.Containers) {
				return out, []Notification{warning(f.URI, "harden's report and the file disagree: results may be missing")}
			}
			w := &where{text: t, uri: f.URI, doc: doc, docStart: start, tpl: tpl, wr: wr}
			for ci := range tpl.Containers {
				out = append(out, w.container(tpl.Containers[ci], wr.Containers[ci])...)
			}
			if ps := wr.PodSecurity; ps != nil && !ps.Allowed {
				out = append(out, w.level())
			}
		}
	}
	return out, nil
}

func warning(uri, msg string) Notification {
	return Notification{Level: "warning", Message: Message{Text: msg}, Locations: []Location{{PhysicalLocation: PhysicalLocation{ArtifactLocation: artifact(uri)}}}}
}

// where is one pod template of one document.
type where struct {
	text     *text
	uri      string
	doc      *manifest.Doc
	docStart int
	tpl      workload.Template
	wr       harden.WorkloadReport
}

func (w *where) object() string {
	name := w.wr.Name
	if w.wr.Namespace != "" {
		name = w.wr.Namespace + "/" + name
	}
	return w.wr.Kind + " " + name
}

// container is every result for one container: one per kind of problem it has.
func (w *where) container(c workload.Container, cr harden.ContainerReport) []Result {
	if strings.HasPrefix(cr.Skipped, "Windows") {
		return nil
	}
	cnode := nodeAt(w.doc.Root, c.Path)
	if cnode == nil {
		return nil
	}
	scKey, sc := entry(cnode, "securityContext")
	capsKey, caps := entry(sc, "capabilities")
	dropKey, drop := entry(caps, "drop")
	_, add := entry(caps, "add")
	privKey, _ := entry(sc, "privileged")
	apeKey, _ := entry(sc, "allowPrivilegeEscalation")
	// Where a missing key must go: the nearest enclosing node that exists.
	fallback := first(capsKey, scKey, nameKey(cnode), cnode)
	who := fmt.Sprintf("container %q of %s", termsafe.Clean(cr.Name), termsafe.Clean(w.object()))

	var fix []Fix
	if cr.Changed && cr.After != nil {
		if rep, err := containerFix(w.text, w.doc, w.docStart, c.Path, cr.After); err == nil {
			fix = []Fix{{
				Description:     Message{Text: fmt.Sprintf("harden's securityContext for %s (the same edit for every result of this container)", who)},
				ArtifactChanges: []ArtifactChange{{ArtifactLocation: artifact(w.uri), Replacements: []Replacement{rep}}},
			}}
		}
	}
	before := cr.Before
	var out []Result
	emit := func(ruleID string, at *yaml.Node, msg string, withFix bool) {
		r := w.result(ruleID, at, c, cr, who+": "+msg)
		if withFix {
			r.Fixes = fix
		}
		out = append(out, r)
	}
	wants := wantSummary(cr.After)
	privileged, _ := before["privileged"].(bool)
	if privileged {
		msg := "privileged: true gives every capability of the node and every host device; harden leaves it unchanged (--drop-privileged replaces it)"
		if cr.Changed {
			msg = "privileged: true gives every capability of the node and every host device; harden writes privileged: false, " + wants
		}
		emit(RulePrivileged, first(privKey, fallback), msg, cr.Changed)
	}
	if cr.Skipped != "" {
		return out
	}
	if !hasAll(strs(mapAt(before, "capabilities")["drop"])) {
		emit(RuleDropAllMissing, first(dropKey, fallback), "capabilities.drop lacks ALL, so the runtime's default capabilities stay; harden writes "+wants, true)
	}
	if bad, at := ignoredNames(before, add, drop); len(bad) > 0 {
		emit(RuleCapabilityIgnored, first(at, fallback), fmt.Sprintf("%s: containerd prefixes CAP_ itself and skips unknown names, so this never took effect there (CRI-O and Docker take a CAP_ prefix and refuse unknown names); harden writes %s", strings.Join(bad, ", "), wants), true)
	}
	if ape, ok := cr.After["allowPrivilegeEscalation"].(bool); ok && !ape {
		if cur, ok := before["allowPrivilegeEscalation"].(bool); !ok || cur {
			emit(RuleEscalationAllowed, first(apeKey, fallback), "allowPrivilegeEscalation is not false: setuid and file-capability binaries can gain the capabilities left in the bounding set; harden writes allowPrivilegeEscalation: false", true)
		}
	}
	if names, kept := withoutEvidence(cr); len(names) > 0 {
		msg := strings.Join(names, ", ") + " added, and nothing in the spec or the running pods shows a need; "
		if kept {
			msg += "harden keeps them (--strict removes them)"
		} else {
			msg += "harden --strict removes them"
		}
		emit(RuleWithoutEvidence, first(addEntry(add, names[0]), fallback), msg, !kept)
	}
	if cr.Changed && len(out) == 0 {
		emit(RuleNotHardened, first(scKey, fallback), "harden would change the securityContext: "+termsafe.Clean(strings.Join(cr.Changes, "; ")), true)
	}
	return out
}

func (w *where) result(ruleID string, at *yaml.Node, c workload.Container, cr harden.ContainerReport, msg string) Result {
	r := rules[ruleIndex(ruleID)]
	fq := fmt.Sprintf("%s/%s/%s/%s", w.wr.Kind, w.wr.Namespace, w.wr.Name, manifest.PathString(c.Path))
	sum := sha256.Sum256([]byte(ruleID + "\x00" + w.uri + "\x00" + fq + "\x00" + cr.Name))
	return Result{
		RuleID: ruleID, RuleIndex: ruleIndex(ruleID), Level: r.DefaultConfiguration.Level,
		Message: Message{Text: msg},
		Locations: []Location{{
			PhysicalLocation: PhysicalLocation{ArtifactLocation: artifact(w.uri), Region: w.text.at(w.doc.Line, at)},
			LogicalLocations: []LogicalLocation{{Name: termsafe.Clean(cr.Name), FullyQualifiedName: termsafe.Clean(fq), Kind: "object"}},
		}},
		PartialFingerprints: map[string]string{"kubectlCapsContainer/v1": hex.EncodeToString(sum[:16])},
		Properties:          &ResultProperties{Kind: w.wr.Kind, Namespace: w.wr.Namespace, Name: w.wr.Name, Container: cr.Name, Document: w.wr.Document},
	}
}

// level is the Pod Security result of a pod template, at its pod spec.
func (w *where) level() Result {
	ps := w.wr.PodSecurity
	at := nodeAt(w.doc.Root, w.tpl.SpecPath)
	if k := keyNode(w.doc.Root, w.tpl.SpecPath); k != nil {
		at = k
	}
	msg := fmt.Sprintf("%s violates Pod Security %q after hardening: %s", termsafe.Clean(w.object()), ps.Level, termsafe.Clean(strings.Join(ps.Violations, "; ")))
	r := w.result(RulePodSecurityViolated, at, workload.Container{Path: w.tpl.SpecPath}, harden.ContainerReport{}, msg)
	r.Properties.Container = ""
	r.Locations[0].LogicalLocations[0].Name = w.wr.Name
	return r
}

// keyNode is the key node of the last step of path, when that step is a mapping key.
func keyNode(root *yaml.Node, path []any) *yaml.Node {
	if len(path) == 0 {
		return nil
	}
	key, ok := path[len(path)-1].(string)
	if !ok {
		return nil
	}
	k, _ := entry(nodeAt(root, path[:len(path)-1]), key)
	return k
}

func nameKey(c *yaml.Node) *yaml.Node {
	k, _ := entry(c, "name")
	return k
}

func first(nodes ...*yaml.Node) *yaml.Node {
	for _, n := range nodes {
		if n != nil {
			return n
		}
	}
	return nil
}

// ignoredNames are the add and drop entries the runtime does not apply as written, and the
// first one's node.
func ignoredNames(before map[string]any, add, drop *yaml.Node) ([]string, *yaml.Node) {
	var bad []string
	var at *yaml.Node
	for _, list := range []struct {
		key  string
		node *yaml.Node
	}{{"add", add}, {"drop", drop}} {
		for i, raw := range strs(mapAt(before, "capabilities")[list.key]) {
			if capset.IsAll(raw) {
				continue
			}
			if _, ok := capset.RuntimeName(raw); ok {
				continue
			}
			bad = append(bad, fmt.Sprintf("%s: %q", list.key, termsafe.Clean(raw)))
			if at == nil && list.node != nil && list.node.Kind == yaml.SequenceNode && i < len(list.node.Content) {
				at = list.node.Content[i]
			}
		}
	}
	return bad, at
}

// withoutEvidence names the capabilities the manifest adds that only the manifest speaks for,
// and whether harden keeps them (not --strict).
func withoutEvidence(cr harden.ContainerReport) ([]string, bool) {
	seen := map[string]bool{}
	var names []string
	kept := false
	for _, c := range cr.Capabilities {
		if c.Source != "manifest" || seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		names = append(names, c.Name)
		if c.Action == "kept" {
			kept = true
		}
	}
	return names, kept
}

func addEntry(add *yaml.Node, name string) *yaml.Node {
	if add == nil || add.Kind != yaml.SequenceNode {
		return nil
	}
	for _, it := range add.Content {
		// harden names a capability it keeps as written ("CAP_SYS_TIME") as written.
		if n, _ := capset.Normalize(it.Value); n == name || it.Value == name {
			return it
		}
	}
	return nil
}

// wantSummary says what harden writes for capabilities: "drop: [ALL], add: [NET_BIND_SERVICE]".
func wantSummary(after map[string]any) string {
	caps := mapAt(after, "capabilities")
	s := "drop: [" + strings.Join(strs(caps["drop"]), ", ") + "]"
	if add := strs(caps["add"]); len(add) > 0 {
		s += ", add: [" + strings.Join(add, ", ") + "]"
	}
	return s
}

func mapAt(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

func strs(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func hasAll(list []string) bool {
	for _, n := range list {
		if capset.IsAll(n) {
			return true
		}
	}
	return false
}
