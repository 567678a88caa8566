package manifest

import (
	"strings"
	"testing"
)

func TestSplitKeepsEveryByte(t *testing.T) {
	tests := []struct {
		in     string
		pieces []string
	}{
		{"a: 1\n", []string{"a: 1\n"}},
		{"---\na: 1\n---\nb: 2\n", []string{"---\na: 1\n", "---\nb: 2\n"}},
		{"# head\n---\na: 1\n# tail\n--- # c\nb: 2", []string{"# head\n", "---\na: 1\n# tail\n", "--- # c\nb: 2"}},
		{"a: 1\n...\n# after\n---\nb: 2\n", []string{"a: 1\n...\n", "# after\n", "---\nb: 2\n"}},
		{"%YAML 1.2\n---\na: 1\n", []string{"%YAML 1.2\n---\na: 1\n"}},
		{"a: |\n  ---x\n---\n", []string{"a: |\n  ---x\n", "---\n"}},
		{"a: 1\r\n---\r\nb: 2\r\n", []string{"a: 1\r\n", "---\r\nb: 2\r\n"}},
		{"----\n", []string{"----\n"}},
		{"", []string{""}},
	}
	for _, tc := range tests {
		var got []string
		for _, p := range split([]byte(tc.in)) {
			got = append(got, tc.in[p.start:p.end])
		}
		if strings.Join(got, "|") != strings.Join(tc.pieces, "|") {
			t.Errorf("split(%q) = %q, want %q", tc.in, got, tc.pieces)
		}
	}
}

func TestParseErrorNamesDocumentAndLine(t *testing.T) {
	_, err := Parse([]byte("a: 1\n---\nb: 2\n---\nc: [\n  d\n"))
	if err == nil {
		t.Fatal("want an error")
	}
	pe, ok := err.(*ParseError)
	if !ok || pe.Document != 3 || pe.Line < 4 {
		t.Fatalf("got %#v (%v), want document 3 at line >= 4", err, err)
	}
}
