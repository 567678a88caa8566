package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// renderer writes new values in a document's own layout.
type renderer struct {
	layout
	keyOrder []string
	// flowLists writes lists of scalars in flow style ([a, b]) inside block mappings, and
	// itemStyle quotes their items, as the lists next to them are written.
	flowLists bool
	itemStyle yaml.Style
}

// plainSafe matches strings that read back as the same string when written without quotes in
// both block and flow context.
var plainSafe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_./-]*$`)

// special are the plain words YAML 1.1 or 1.2 resolves to something other than a string.
var special = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "y": true,
	"n": true, "null": true, "nan": true, "inf": true,
}

func isPlainString(v string) bool {
	return plainSafe.MatchString(v) && !special[strings.ToLower(v)]
}

// doubleQuoted writes v as a double-quoted scalar that YAML and JSON read back identically.
func doubleQuoted(v string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

func singleQuoted(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// scalar writes one scalar value; style is the style of the scalar it replaces or sits beside.
func (r renderer) scalar(v any, style yaml.Style) string {
	switch x := v.(type) {
	case string:
		q := style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
		if r.quote == yaml.DoubleQuotedStyle || q == 0 {
			q |= r.quote
		}
		switch {
		case q&yaml.DoubleQuotedStyle != 0:
			return doubleQuoted(x)
		case q&yaml.SingleQuotedStyle != 0 && !strings.ContainsAny(x, "\n\r\t") && x == strings.TrimSpace(x):
			return singleQuoted(x)
		case isPlainString(x):
			return x
		}
		return doubleQuoted(x)
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		switch {
		case math.IsNaN(x):
			return ".nan"
		case math.IsInf(x, 1):
			return ".inf"
		case math.IsInf(x, -1):
			return "-.inf"
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return doubleQuoted(fmt.Sprint(v))
}

func (r renderer) key(k string) string {
	if r.jsonKeys || !isPlainString(k) {
		return doubleQuoted(k)
	}
	return k
}

// order lists m's keys: those hint (the node being replaced) already has, in its order, then the
// rest by keyOrder, then alphabetically.
func (r renderer) order(m map[string]any, hint *yaml.Node) []string {
	out := make([]string, 0, len(m))
	seen := map[string]bool{}
	hint = resolve(hint)
	if hint != nil && hint.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(hint.Content); i += 2 {
			k := hint.Content[i].Value
			if _, ok := m[k]; ok && !seen[k] {
				out = append(out, k)
				seen[k] = true
			}
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	rank := func(k string) int {
		for i, o := range r.keyOrder {
			if o == k {
				return i
			}
		}
		return len(r.keyOrder)
	}
	sort.Slice(rest, func(i, j int) bool {
		ri, rj := rank(rest[i]), rank(rest[j])
		if ri != rj {
			return ri < rj
		}
		return rest[i] < rest[j]
	})
	return append(out, rest...)
}

// child is the value node hint holds for key, if any, to order nested keys by.
func child(hint *yaml.Node, key string) *yaml.Node {
	hint = resolve(hint)
	if hint == nil || hint.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(hint.Content); i += 2 {
		if hint.Content[i].Value == key {
			return hint.Content[i+1]
		}
	}
	return nil
}

func item(hint *yaml.Node, i int) *yaml.Node {
	hint = resolve(hint)
	if hint == nil || hint.Kind != yaml.SequenceNode || i >= len(hint.Content) {
		return nil
	}
	return hint.Content[i]
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// inline writes v as one-line flow YAML (or JSON).
func (r renderer) inline(v any, hint *yaml.Node) string {
	switch x := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range r.order(x, hint) {
			parts = append(parts, r.key(k)+": "+r.inline(x[k], child(hint, k)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		style := r.itemStyle
		if h := resolve(hint); h != nil && h.Kind == yaml.SequenceNode && len(h.Content) > 0 && h.Content[0].Kind == yaml.ScalarNode {
			style = h.Content[0].Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle) // the items it replaces
		}
		parts := make([]string, len(x))
		for i, e := range x {
			if style != 0 && !hasCollections([]any{e}) {
				parts[i] = r.scalar(e, style)
				continue
			}
			parts[i] = r.inline(e, item(hint, i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return r.scalar(v, 0)
}

// multiline writes v as flow YAML (or JSON) spread over lines the way pretty-printed JSON and
// KYAML are; ind is the indentation of the line the value starts on. Lists of scalars stay on
// one line.
func (r renderer) multiline(v any, ind string, trailingComma bool, hint *yaml.Node) string {
	inner := ind + r.flowUnit
	sep := func(last bool) string {
		if !last || trailingComma {
			return ","
		}
		return ""
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return "{}"
		}
		var b strings.Builder
		b.WriteString("{")
		keys := r.order(x, hint)
		for i, k := range keys {
			b.WriteString(r.nl + inner + r.key(k) + ": " + r.multiline(x[k], inner, trailingComma, child(hint, k)) + sep(i == len(keys)-1))
		}
		b.WriteString(r.nl + ind + "}")
		return b.String()
	case []any:
		if !hasCollections(x) {
			return r.inline(x, hint)
		}
		var b strings.Builder
		b.WriteString("[")
		for i, e := range x {
			b.WriteString(r.nl + inner + r.multiline(e, inner, trailingComma, item(hint, i)) + sep(i == len(x)-1))
		}
		b.WriteString(r.nl + ind + "]")
		return b.String()
	}
	return r.scalar(v, 0)
}

func hasCollections(list []any) bool {
	for _, e := range list {
		switch e.(type) {
		case map[string]any, []any:
			return true
		}
	}
	return false
}

// simple reports a value that is written on the line of its key even in block style: scalars
// and empty collections.
func simple(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return true
}

// blockEntries writes the entries of m as block YAML with keys at column col, one line break
// after each line.
func (r renderer) blockEntries(b *strings.Builder, m map[string]any, col int, hint *yaml.Node) {
	for _, k := range r.order(m, hint) {
		r.blockEntry(b, k, m[k], col, child(hint, k))
	}
}

func (r renderer) blockEntry(b *strings.Builder, k string, v any, col int, hint *yaml.Node) {
	b.WriteString(strings.Repeat(" ", col) + r.key(k) + ":")
	r.blockValue(b, v, col, hint)
}

// blockValue writes what follows "key:" for a key at column col.
func (r renderer) blockValue(b *strings.Builder, v any, col int, hint *yaml.Node) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 {
			b.WriteString(r.nl)
			deeper := r
			deeper.flowLists, deeper.itemStyle = false, 0 // those were learnt one level up
			deeper.blockEntries(b, x, col+r.unit, hint)
			return
		}
	case []any:
		if len(x) > 0 && !(r.flowLists && !hasCollections(x)) {
			b.WriteString(r.nl)
			r.blockItems(b, x, col+r.seqIndent, hint)
			return
		}
	}
	b.WriteString(" " + r.inline(v, hint) + r.nl)
}

// blockItems writes list items with their '-' at column col.
func (r renderer) blockItems(b *strings.Builder, list []any, col int, hint *yaml.Node) {
	for i, e := range list {
		b.WriteString(strings.Repeat(" ", col) + "-" + r.afterDash(e, col, item(hint, i)))
	}
}

// afterDash writes a list item's value after its '-' at column col: nested collections start on
// the dash's line, the way kubectl writes `- name: x`.
func (r renderer) afterDash(v any, col int, hint *yaml.Node) string {
	if simple(v) {
		return " " + r.inline(v, hint) + r.nl
	}
	var inner strings.Builder
	switch x := v.(type) {
	case map[string]any:
		r.blockEntries(&inner, x, col+2, hint)
	case []any:
		r.blockItems(&inner, x, col+2, hint)
	}
	return " " + strings.TrimPrefix(inner.String(), strings.Repeat(" ", col+2))
}
