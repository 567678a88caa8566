package harden

import (
	"bytes"
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
)

// Patch is a Kustomize strategic-merge patch for one workload: for people who cannot edit the
// manifests themselves (Helm charts, vendored files). Containers merge by name; capability
// lists replace the old ones.
type Patch struct {
	APIVersion, Kind, Name, Namespace string
	specPath                          []string // pod spec path inside the object
	lists                             map[string][]containerPatch
	// Problem says why the patch cannot be applied as is (a container without a name).
	Problem string
}

type containerPatch struct {
	name string
	sc   map[string]any
}

func newPatch(t workload.Template) *Patch {
	p := &Patch{APIVersion: t.APIVersion, Kind: t.Kind, Name: t.Name, Namespace: t.Namespace, lists: map[string][]containerPatch{}}
	rel := t.SpecPath
	if t.Item >= 0 && len(rel) >= 2 {
		rel = rel[2:]
	}
	for _, s := range rel {
		p.specPath = append(p.specPath, fmt.Sprint(s))
	}
	return p
}

// add records the securityContext fields that change for container c.
func (p *Patch) add(c workload.Container, before, after map[string]any) {
	if c.Name == "" {
		p.Problem = "a container has no name, which strategic merge needs"
		return
	}
	sc := map[string]any{}
	for k, v := range after {
		if old, ok := before[k]; !ok || !manifest.Equal(old, v) {
			sc[k] = v
		}
	}
	if caps, ok := sc["capabilities"].(map[string]any); ok {
		if oldCaps, ok := before["capabilities"].(map[string]any); ok {
			if _, had := oldCaps["add"]; had {
				if _, has := caps["add"]; !has {
					caps = copyMap(caps)
					caps["add"] = nil // null deletes the list in a strategic merge
					sc["capabilities"] = caps
				}
			}
		}
	}
	p.lists[c.List] = append(p.lists[c.List], containerPatch{name: c.Name, sc: sc})
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RenderPatches writes patches as one YAML stream.
func RenderPatches(ps []Patch) ([]byte, error) {
	var b bytes.Buffer
	for i, p := range ps {
		if i > 0 {
			b.WriteString("---\n")
		}
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(p.node()); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

func (p Patch) node() *yaml.Node {
	meta := mapping("name", str(p.Name))
	if p.Namespace != "" {
		meta.Content = append(meta.Content, str("namespace"), str(p.Namespace))
	}
	spec := mapping()
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		cs := p.lists[list]
		if len(cs) == 0 {
			continue
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range cs {
			seq.Content = append(seq.Content, mapping("name", str(c.name), "securityContext", value(c.sc)))
		}
		spec.Content = append(spec.Content, str(list), seq)
	}
	node := spec
	for i := len(p.specPath) - 1; i >= 0; i-- {
		node = mapping(p.specPath[i], node)
	}
	root := mapping("apiVersion", str(p.APIVersion), "kind", str(p.Kind), "metadata", meta)
	root.Content = append(root.Content, node.Content...)
	return root
}

func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)))
		switch v := kv[i+1].(type) {
		case *yaml.Node:
			n.Content = append(n.Content, v)
		case string:
			n.Content = append(n.Content, str(v))
		}
	}
	return n
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: "!!str"} }

// value builds a node from a plain value, keys in harden's order.
func value(v any) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			ri, rj := rank(keys[i]), rank(keys[j])
			return ri < rj || ri == rj && keys[i] < keys[j]
		})
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			n.Content = append(n.Content, str(k), value(x[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, value(e))
		}
		return n
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: "null", Tag: "!!null"}
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return str(fmt.Sprint(v))
	}
	return &n
}

func rank(k string) int {
	for i, o := range policy.KeyOrder {
		if o == k {
			return i
		}
	}
	return len(policy.KeyOrder)
}
