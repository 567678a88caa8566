package manifest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Plain values are what yaml.v3 decodes into `any`: map[string]any (map[any]any when a key is
// not a string), []any, string, bool, int, int64, uint64, float64, time.Time and nil.

func decodePlain(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Equal compares plain values by meaning: numbers by value, maps regardless of key type.
func Equal(a, b any) bool { return firstDiff(a, b, "") == "" }

// firstDiff names the first place a and b differ ("" when equal), for error messages.
func firstDiff(a, b any, at string) string {
	if at == "" {
		at = "."
	}
	if x, ok := number(a); ok {
		if y, ok := number(b); ok && (x == y || (math.IsNaN(x) && math.IsNaN(y))) {
			return ""
		}
		return at
	}
	switch x := a.(type) {
	case map[string]any:
		return mapDiff(x, b, at)
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[fmt.Sprint(k)] = v
		}
		return mapDiff(m, b, at)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return at
		}
		for i := range x {
			if d := firstDiff(x[i], y[i], at+"["+strconv.Itoa(i)+"]"); d != "" {
				return d
			}
		}
		return ""
	}
	switch b.(type) {
	case map[string]any, map[any]any, []any:
		return at
	}
	if _, ok := number(b); ok {
		return at
	}
	if t, ok := a.(time.Time); ok {
		if u, ok := b.(time.Time); ok && t.Equal(u) {
			return ""
		}
		return at
	}
	if a != b {
		return at
	}
	return ""
}

func mapDiff(x map[string]any, b any, at string) string {
	var y map[string]any
	switch m := b.(type) {
	case map[string]any:
		y = m
	case map[any]any:
		y = make(map[string]any, len(m))
		for k, v := range m {
			y[fmt.Sprint(k)] = v
		}
	default:
		return at
	}
	if len(x) != len(y) {
		for k := range x {
			if _, ok := y[k]; !ok {
				return join(at, k)
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				return join(at, k)
			}
		}
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok {
			return join(at, k)
		}
		if d := firstDiff(v, w, join(at, k)); d != "" {
			return d
		}
	}
	return ""
}

func join(at, k string) string { return strings.TrimSuffix(at, ".") + "." + k }

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Lookup returns the value at path in a plain document.
func Lookup(doc any, path []any) (any, bool) {
	cur := doc
	for _, seg := range path {
		switch s := seg.(type) {
		case string:
			switch m := cur.(type) {
			case map[string]any:
				v, ok := m[s]
				if !ok {
					return nil, false
				}
				cur = v
			case map[any]any:
				v, ok := m[s]
				if !ok {
					return nil, false
				}
				cur = v
			default:
				return nil, false
			}
		case int:
			l, ok := cur.([]any)
			if !ok || s < 0 || s >= len(l) {
				return nil, false
			}
			cur = l[s]
		default:
			return nil, false
		}
	}
	return cur, true
}

// set stores want at path in a plain document (changing it), creating the last key if missing.
func set(doc any, path []any, want any) (any, error) {
	if len(path) == 0 {
		return want, nil
	}
	parent, ok := Lookup(doc, path[:len(path)-1])
	if !ok {
		return nil, fmt.Errorf("path %s does not exist", PathString(path[:len(path)-1]))
	}
	switch s := path[len(path)-1].(type) {
	case string:
		switch m := parent.(type) {
		case map[string]any:
			m[s] = want
			return doc, nil
		case map[any]any:
			m[s] = want
			return doc, nil
		}
	case int:
		if l, ok := parent.([]any); ok && s >= 0 && s < len(l) {
			l[s] = want
			return doc, nil
		}
	}
	return nil, fmt.Errorf("path %s does not exist", PathString(path))
}

// PathString writes a path the way kubectl names fields: spec.containers[0].securityContext.
func PathString(path []any) string {
	var b strings.Builder
	for _, seg := range path {
		switch s := seg.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		default:
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(fmt.Sprint(s))
		}
	}
	return b.String()
}
