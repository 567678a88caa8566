// Package workload finds the pod templates in a parsed manifest document, whatever kind holds
// them: Pod, PodTemplate, the workload controllers, CronJob, List items, and any custom resource
// with pod templates (a "template" whose spec has containers) anywhere in its spec: Argo Rollout,
// Experiment and AnalysisTemplate, Knative Service, ...
package workload

import (
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
	"go.yaml.in/yaml/v3"
)

// Template is one pod template and the object that holds it.
type Template struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	Line       int   // line of the holding object within its document
	Item       int   // index in a List's items, or -1
	SpecPath   []any // path from the document root to the pod spec
	MetaPath   []any // path to the pod's metadata (the template's, or the Pod's own)
	Spec       map[string]any
	Meta       map[string]any
	Containers []Container
	// Problem says why the template could not be read (e.g. a duplicate key); it has no
	// containers then.
	Problem string
}

// Container is one entry of containers, initContainers or ephemeralContainers.
type Container struct {
	Name string
	Type string
	List string // containers, initContainers or ephemeralContainers
	Path []any  // path from the document root to the container
	Line int
	Spec map[string]any
}

// Ref names the template's object the way kubectl does: Deployment ns/name, or List item 3.
func (t Template) Ref() string {
	name := t.Name
	if name == "" {
		name = "(unnamed)"
	}
	if t.Namespace != "" {
		name = t.Namespace + "/" + name
	}
	return t.Kind + " " + name
}

// containerLists are walked in the order the kubelet starts them.
var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

// Find lists the pod templates in a document, in document order.
func Find(root *yaml.Node) []Template {
	var out []Template
	find(root, nil, -1, &out, 0)
	return out
}

func find(n *yaml.Node, path []any, item int, out *[]Template, depth int) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 8 {
		return
	}
	kind := scalar(get(n, "kind"))
	if items := resolve(get(n, "items")); strings.HasSuffix(kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		for i, it := range items.Content {
			find(it, appendPath(path, "items", i), i, out, depth+1)
		}
		return
	}
	obj := object{node: n, path: path, item: item, kind: kind}
	switch kind {
	case "Pod":
		obj.template([]any{"spec"}, out)
	case "PodTemplate":
		obj.template([]any{"template", "spec"}, out)
	default:
		// Workload controllers, CronJob (spec.jobTemplate.spec.template), and custom resources
		// whatever they call the way to their pod templates: Argo Experiment
		// (spec.templates[].template), AnalysisTemplate (spec.metrics[].provider.job.spec.template),
		// Knative Service, Rollout. A pod template is a "template" mapping whose spec has a
		// containers list.
		obj.search(n, nil, out, 0)
	}
}

// object is one manifest object whose pod templates are being looked for.
type object struct {
	node *yaml.Node
	path []any // from the document root to the object (a List item's)
	item int
	kind string
}

// maxSearchDepth bounds how deep inside an object pod templates are looked for.
const maxSearchDepth = 12

func (o object) search(n *yaml.Node, rel []any, out *[]Template, depth int) {
	n = resolve(n)
	if n == nil || depth > maxSearchDepth {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for _, k := range keys(n) {
			if depth == 0 && (k == "metadata" || k == "status" || k == "kind" || k == "apiVersion") {
				continue
			}
			v := resolve(get(n, k))
			if k == "template" && isPodSpec(get(v, "spec")) {
				o.template(appendPath(rel, "template", "spec"), out)
				continue
			}
			o.search(v, appendPath(rel, k), out, depth+1)
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			o.search(it, appendPath(rel, i), out, depth+1)
		}
	}
}

// keys lists a mapping's keys as YAML sees them: its own, then those merged in (<<).
func keys(n *yaml.Node) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(m *yaml.Node, depth int)
	walk = func(m *yaml.Node, depth int) {
		m = resolve(m)
		if m == nil || depth > 8 {
			return
		}
		if m.Kind == yaml.SequenceNode {
			for _, s := range m.Content {
				walk(s, depth+1)
			}
			return
		}
		if m.Kind != yaml.MappingNode {
			return
		}
		var merged []*yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			switch {
			case k.Kind != yaml.ScalarNode:
			case k.Value == "<<" && k.Tag != "!!str":
				merged = append(merged, m.Content[i+1])
			case !seen[k.Value]:
				seen[k.Value] = true
				out = append(out, k.Value)
			}
		}
		for _, mm := range merged {
			walk(mm, depth+1)
		}
	}
	walk(n, 0)
	return out
}

func isPodSpec(spec *yaml.Node) bool {
	spec = resolve(spec)
	if spec == nil || spec.Kind != yaml.MappingNode {
		return false
	}
	cs := resolve(get(spec, "containers"))
	return cs != nil && cs.Kind == yaml.SequenceNode
}

// template records the pod template whose spec is at rel inside the object, if it is one.
func (o object) template(rel []any, out *[]Template) {
	n := o.node
	spec := walk(n, rel)
	if !isPodSpec(spec) {
		return
	}
	var plainSpec map[string]any
	specErr := spec.Decode(&plainSpec)
	metaRel := append(append([]any{}, rel[:len(rel)-1]...), "metadata")
	meta := map[string]any{}
	if m := walk(n, metaRel); m != nil {
		_ = m.Decode(&meta)
	}
	t := Template{
		APIVersion: scalar(get(n, "apiVersion")),
		Kind:       o.kind,
		Line:       n.Line,
		Item:       o.item,
		SpecPath:   appendPath(o.path, rel...),
		MetaPath:   appendPath(o.path, metaRel...),
		Spec:       plainSpec,
		Meta:       meta,
	}
	if md := resolve(get(n, "metadata")); md != nil {
		t.Name = scalar(get(md, "name"))
		if t.Name == "" {
			t.Name = scalar(get(md, "generateName"))
		}
		t.Namespace = scalar(get(md, "namespace"))
	}
	if specErr != nil {
		t.Problem = specErr.Error()
		*out = append(*out, t)
		return
	}
	for _, list := range containerLists {
		seq := resolve(get(spec, list))
		plain, _ := plainSpec[list].([]any)
		if seq == nil || seq.Kind != yaml.SequenceNode || len(plain) != len(seq.Content) {
			continue
		}
		for i, cn := range seq.Content {
			cs, ok := plain[i].(map[string]any)
			if !ok {
				continue
			}
			c := Container{List: list, Path: appendPath(t.SpecPath, list, i), Line: resolve(cn).Line, Spec: cs}
			c.Name, _ = cs["name"].(string)
			switch list {
			case "initContainers":
				rp, _ := cs["restartPolicy"].(string)
				c.Type = containers.InitType(rp)
			case "ephemeralContainers":
				c.Type = containers.Ephemeral
			default:
				c.Type = containers.Regular
			}
			t.Containers = append(t.Containers, c)
		}
	}
	*out = append(*out, t)
}

func appendPath(path []any, more ...any) []any {
	out := make([]any, 0, len(path)+len(more))
	return append(append(out, path...), more...)
}

func walk(n *yaml.Node, rel []any) *yaml.Node {
	for _, seg := range rel {
		switch s := seg.(type) {
		case string:
			n = resolve(get(resolve(n), s))
		case int:
			n = resolve(n)
			if n == nil || n.Kind != yaml.SequenceNode || s >= len(n.Content) {
				return nil
			}
			n = resolve(n.Content[s])
		}
		if n == nil {
			return nil
		}
	}
	return n
}

// get returns the value of key in mapping n, looking through merge keys (<<) as YAML does.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if k.Value == key && k.Tag != "!!merge" {
			return n.Content[i+1]
		}
		if k.Value == "<<" {
			merged = append(merged, n.Content[i+1])
		}
	}
	for _, m := range merged {
		m = resolve(m)
		if m == nil {
			continue
		}
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			if v := get(resolve(s), key); v != nil {
				return v
			}
		}
	}
	return nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func scalar(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
