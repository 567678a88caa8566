package workload

import (
	"bytes"
	"sort"

	"go.yaml.in/yaml/v3"
)

// serverFields are what the API server adds to an object; a manifest to apply must not carry
// them (resourceVersion would even make apply fail on the next change).
var serverMetadata = []string{
	"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink",
	"deletionTimestamp", "deletionGracePeriodSeconds",
}

// serverAnnotations are set by kubectl and controllers, not by the author.
var serverAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
}

// Clean turns a live object (as the API server returns it, in plain values) into a manifest
// that can be applied: no status, no server-set metadata, no empty creationTimestamp in pod
// templates. It changes obj.
func Clean(obj map[string]any) map[string]any {
	delete(obj, "status")
	cleanMeta(obj["metadata"])
	for _, path := range [][]string{{"spec", "template", "metadata"}, {"spec", "jobTemplate", "metadata"}, {"spec", "jobTemplate", "spec", "template", "metadata"}, {"template", "metadata"}} {
		var cur any = obj
		for _, k := range path {
			m, _ := cur.(map[string]any)
			cur = m[k]
		}
		cleanMeta(cur)
	}
	return obj
}

func cleanMeta(v any) {
	md, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, k := range serverMetadata {
		delete(md, k)
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		for _, k := range serverAnnotations {
			delete(ann, k)
		}
		if len(ann) == 0 {
			delete(md, "annotations")
		}
	}
}

// topOrder is the order people write an object's top-level keys in.
var topOrder = []string{"apiVersion", "kind", "metadata", "spec"}

// Encode writes a plain object as block YAML with apiVersion, kind, metadata and spec first and
// every other key sorted, as kubectl prints objects.
func Encode(obj map[string]any) ([]byte, error) {
	n := node(obj, true)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func node(v any, top bool) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		rank := func(k string) int {
			if top {
				for i, o := range topOrder {
					if o == k {
						return i
					}
				}
			}
			return len(topOrder)
		}
		sort.Slice(keys, func(i, j int) bool {
			ri, rj := rank(keys[i]), rank(keys[j])
			return ri < rj || ri == rj && keys[i] < keys[j]
		})
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k, Tag: "!!str"}, node(x[k], false))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, node(e, false))
		}
		return n
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	return &n
}
