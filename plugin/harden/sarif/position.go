package sarif

import (
	"bytes"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// text locates byte offsets and nodes of one file in SARIF's terms: 1-based lines, columns in
// Unicode code points.
type text struct {
	data   []byte
	starts []int // byte offset of each line
}

func newText(data []byte) *text {
	t := &text{data: data, starts: []int{0}}
	for i, b := range data {
		if b == '\n' {
			t.starts = append(t.starts, i+1)
		}
	}
	return t
}

// lineCol turns a byte offset into a line and a column.
func (t *text) lineCol(off int) (line, col int) {
	lo, hi := 0, len(t.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, utf8.RuneCount(t.data[t.starts[lo]:off]) + 1
}

// lineText is line n without its line break.
func (t *text) lineText(n int) string {
	if n < 1 || n > len(t.starts) {
		return ""
	}
	end := len(t.data)
	if n < len(t.starts) {
		end = t.starts[n]
	}
	return string(bytes.TrimRight(t.data[t.starts[n-1]:end], "\r\n"))
}

// at is the region from a node (in a document starting at file line docLine) to the end of its
// line: the key and its value, for people to read in an annotation.
func (t *text) at(docLine int, n *yaml.Node) *Region {
	line := docLine + n.Line - 1
	r := &Region{StartLine: line, StartColumn: n.Column}
	s := []rune(t.lineText(line))
	if n.Column-1 <= len(s) {
		r.Snippet = &Snippet{Text: string(s[n.Column-1:])}
	}
	return r
}

// span is the region [start, end) of byte offsets.
func (t *text) span(start, end int) Region {
	sl, sc := t.lineCol(start)
	el, ec := t.lineCol(end)
	return Region{StartLine: sl, StartColumn: sc, EndLine: el, EndColumn: ec}
}

// nodeAt walks a document along a path of keys and indexes, through aliases.
func nodeAt(n *yaml.Node, path []any) *yaml.Node {
	for _, seg := range path {
		n = resolve(n)
		if n == nil {
			return nil
		}
		switch s := seg.(type) {
		case string:
			_, n = entry(n, s)
		case int:
			if n.Kind != yaml.SequenceNode || s >= len(n.Content) {
				return nil
			}
			n = n.Content[s]
		default:
			return nil
		}
	}
	return resolve(n)
}

// entry returns the key and value nodes of key in mapping n.
func entry(n *yaml.Node, key string) (k, v *yaml.Node) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], resolve(n.Content[i+1])
		}
	}
	return nil, nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}
