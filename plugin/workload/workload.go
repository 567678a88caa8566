// Package workload finds the pod templates in a parsed manifest document, whatever kind holds
// them: Pod, PodTemplate, the workload controllers, CronJob, List items, and any custom resource
// with a pod template at spec.template.spec or spec.jobTemplate.spec.template.spec.
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
	var candidates [][]any
	switch kind {
	case "Pod":
		candidates = [][]any{{"spec"}}
	case "PodTemplate":
		candidates = [][]any{{"template", "spec"}}
	default:
		candidates = [][]any{{"spec", "template", "spec"}, {"spec", "jobTemplate", "spec", "template", "spec"}}
	}
	for _, rel := range candidates {
		spec := walk(n, rel)
		if spec == nil || spec.Kind != yaml.MappingNode {
			continue
		}
		if cs := resolve(get(spec, "containers")); cs == nil || cs.Kind != yaml.SequenceNode {
			continue
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
			Kind:       kind,
			Line:       n.Line,
			Item:       item,
			SpecPath:   appendPath(path, rel...),
			MetaPath:   appendPath(path, metaRel...),
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
		return
	}
}

func appendPath(path []any, more ...any) []any {
	out := make([]any, 0, len(path)+len(more))
	return append(append(out, path...), more...)
}

func walk(n *yaml.Node, rel []any) *yaml.Node {
	for _, seg := range rel {
		n = resolve(get(resolve(n), seg.(string)))
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
