package manifest

import (
	"strings"
	"testing"
)

// TestParseErrorLine: the line of a parse error is the line of the problem, in the file, for every
// kind of malformed input (yaml.v3 itself names the start of the enclosing block, or no line).
func TestParseErrorLine(t *testing.T) {
	const head = "kind: ConfigMap\nmetadata:\n  name: a\n---\n" // the second document starts at line 5
	pod := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n"
	tests := []struct {
		name, doc string
		line      int
		msg       string
	}{
		{"indentation", pod + "    image: x\n   bad: 1\n", 11, "did not find expected key"},
		{"tab", pod + "\timage: x\n", 10, "tab character"},
		{"unclosed quote", pod + "    image: \"x\n    ports: []\n", 10, "end of stream"},
		{"unclosed flow", "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n    {name: a},\n    {name: b}\n", 10, "expected ',' or ']'"},
		{"mapping in a value", pod + "    image: x: y\n", 10, "mapping values are not allowed"},
		{"list item out of line", pod + "    image: x\n  - name: b\n    args:\n    - a\n   - b\n", 14, "did not find expected key"},
		{"unknown alias", pod + "    image: x\n    env: *missing\n", 11, "unknown anchor 'missing'"},
		{"invalid UTF-8", pod + "    image: \"x\xff\"\n", 10, "UTF-8"},
		{"stray bracket", pod + "    image: x]\n  ]\n", 11, "did not find expected key"},
		{"missing colon", pod + "    image x\n    ports: []\n", 10, "could not find expected ':'"},
		{"template line", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n{{- if .Values.x }}\n  labels: {}\n{{- end }}\n", 9, "could not find expected ':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(head + tt.doc))
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("got %v, want a ParseError", err)
			}
			if pe.Document != 2 || pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got document %d, line %d, %q; want document 2, line %d, %q", pe.Document, pe.Line, pe.Msg, tt.line, tt.msg)
			}
		})
	}
}
