package harden

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
)

// Patch is one pod template's changes as a Kustomize patch, for people who cannot edit the
// manifests themselves (Helm charts, vendored files).
//
// Built-in kinds get a strategic-merge patch: kustomize knows their schema, so containers merge
// by name. It lists every container of each list, changed or not, because a strategic merge puts
// the containers it names first: naming only some would reorder them (an init container that must
// run first would not). Custom resources (Argo Rollout, Knative Service) get JSON 6902 operations
// instead: without a schema kustomize replaces a list a strategic-merge patch names, and the
// containers would lose their image and ports. The operations address containers by index and
// test each one's name first, so a base that changed order fails loudly instead of being patched
// in the wrong place.
type Patch struct {
	APIVersion, Kind, Name, Namespace string
	Strategic                         bool
	specPath                          []any // pod spec path inside the object
	lists                             map[string][]containerPatch
	ops                               []op
	// Problem says why the patch cannot be applied as is (a container without a name).
	Problem string
}

type containerPatch struct {
	name string
	sc   map[string]any // nil: unchanged, listed for its place only
}

// op is one JSON 6902 operation.
type op struct {
	Op    string
	Path  string
	Value any
}

func newPatch(t workload.Template) *Patch {
	p := &Patch{APIVersion: t.APIVersion, Kind: t.Kind, Name: t.Name, Namespace: t.Namespace, lists: map[string][]containerPatch{}}
	rel := t.SpecPath
	if t.Item >= 0 && len(rel) >= 2 {
		rel = rel[2:]
	}
	p.specPath = rel
	p.Strategic = builtIn(t.Kind, t.APIVersion)
	return p
}

// builtIn reports a kind whose schema kustomize knows: the workload kinds of the core, apps,
// batch and extensions groups (custom resources have a dotted group).
func builtIn(kind, apiVersion string) bool {
	group, _, found := strings.Cut(apiVersion, "/")
	if found && strings.Contains(group, ".") {
		return false
	}
	if kind == "PodTemplate" {
		return true
	}
	for _, k := range workload.Kinds {
		if k.Kind == kind {
			return true
		}
	}
	return false
}

// keep lists an unchanged container, so that a strategic merge keeps the order.
func (p *Patch) keep(c workload.Container) {
	if !p.Strategic || c.List == "ephemeralContainers" {
		return
	}
	if c.Name == "" {
		p.unnamed(c)
		return
	}
	p.lists[c.List] = append(p.lists[c.List], containerPatch{name: c.Name})
}

func (p *Patch) unnamed(c workload.Container) {
	if p.Problem == "" {
		p.Problem = fmt.Sprintf("%s has no name, which a strategic-merge patch needs to find it (and which the API server requires for a %s)", manifest.PathString(c.Path[len(c.Path)-2:]), p.Kind)
	}
}

// add records the securityContext fields that change for container c.
func (p *Patch) add(c workload.Container, before, after map[string]any) {
	if !p.Strategic {
		p.addOps(c, before, after)
		return
	}
	if c.Name == "" {
		p.unnamed(c)
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

// addOps writes JSON 6902 operations for one container: a test of its name, then its whole new
// securityContext, or each changed field of the one it has (what a base adds there later stays).
func (p *Patch) addOps(c workload.Container, before, after map[string]any) {
	at := pointer(append(append(append([]any{}, p.specPath...), c.List), c.Path[len(c.Path)-1]))
	if c.Name != "" {
		p.ops = append(p.ops, op{"test", at + "/name", c.Name})
	}
	if before == nil {
		p.ops = append(p.ops, op{"add", at + "/securityContext", after})
		return
	}
	keys := make([]string, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return rank(keys[i]) < rank(keys[j]) || rank(keys[i]) == rank(keys[j]) && keys[i] < keys[j]
	})
	for _, k := range keys {
		if old, ok := before[k]; !ok || !manifest.Equal(old, after[k]) {
			p.ops = append(p.ops, op{"add", at + "/securityContext/" + escapePointer(k), after[k]})
		}
	}
}

// pointer writes a path as a JSON pointer (RFC 6901).
func pointer(path []any) string {
	var b strings.Builder
	for _, s := range path {
		b.WriteString("/" + escapePointer(fmt.Sprint(s)))
	}
	return b.String()
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// componentHeader says what -o patch prints and how to use it.
const componentHeader = `# Kustomize Component from kubectl caps harden -o patch. Save it as DIR/kustomization.yaml and
# add DIR to the components of the kustomization that renders these workloads.
`

// RenderPatches writes patches as one Kustomize Component: strategic-merge patches for built-in
// kinds, JSON 6902 patches with their target for custom resources.
func RenderPatches(ps []Patch) ([]byte, error) {
	entries := &yaml.Node{Kind: yaml.SequenceNode}
	for _, p := range ps {
		body, err := p.body()
		if err != nil {
			return nil, err
		}
		entry := mapping()
		if !p.Strategic {
			group, version, found := strings.Cut(p.APIVersion, "/")
			if !found {
				group, version = "", p.APIVersion
			}
			target := mapping()
			for _, kv := range [][2]string{{"group", group}, {"version", version}, {"kind", p.Kind}, {"name", p.Name}, {"namespace", p.Namespace}} {
				if kv[1] != "" {
					target.Content = append(target.Content, str(kv[0]), str(kv[1]))
				}
			}
			entry.Content = append(entry.Content, str("target"), target)
		}
		entry.Content = append(entry.Content, str("patch"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.LiteralStyle, Value: string(body)})
		entries.Content = append(entries.Content, entry)
	}
	root := mapping("apiVersion", "kustomize.config.k8s.io/v1alpha1", "kind", "Component")
	root.Content = append(root.Content, str("patches"), entries)
	var b bytes.Buffer
	b.WriteString(componentHeader)
	if err := encode(&b, root); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func encode(b *bytes.Buffer, n *yaml.Node) error {
	enc := yaml.NewEncoder(b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return err
	}
	return enc.Close()
}

// body is the patch itself: a strategic-merge document or a list of JSON 6902 operations.
func (p Patch) body() ([]byte, error) {
	var b bytes.Buffer
	if !p.Strategic {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, o := range p.ops {
			seq.Content = append(seq.Content, mapping("op", str(o.Op), "path", str(o.Path), "value", value(o.Value)))
		}
		err := encode(&b, seq)
		return b.Bytes(), err
	}
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
			item := mapping("name", str(c.name))
			if c.sc != nil {
				item.Content = append(item.Content, str("securityContext"), value(c.sc))
			}
			seq.Content = append(seq.Content, item)
		}
		spec.Content = append(spec.Content, str(list), seq)
	}
	node := spec
	for i := len(p.specPath) - 1; i >= 0; i-- {
		node = mapping(fmt.Sprint(p.specPath[i]), node)
	}
	root := mapping("apiVersion", str(p.APIVersion), "kind", str(p.Kind), "metadata", meta)
	root.Content = append(root.Content, node.Content...)
	err := encode(&b, root)
	return b.Bytes(), err
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
