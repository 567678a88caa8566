package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Doc is one piece of a stream: its exact bytes and, when it holds a document, the parsed node.
type Doc struct {
	Raw    []byte     // the piece's bytes, separator line and trailing comments included
	Line   int        // 1-based line in the file where Raw starts
	Number int        // 1-based position among the pieces that hold a document; 0 if none
	Root   *yaml.Node // the document's content node; nil for a piece of comments or separators
	JSON   bool       // the document is JSON (keys double-quoted in flow style)
}

// Stream is a file cut into pieces; concatenating every Raw gives the file back.
type Stream struct {
	Docs []*Doc
}

// ParseError locates a document that does not parse.
type ParseError struct {
	Document int // 1-based
	Line     int // 1-based line in the file
	Msg      string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("document %d, line %d: %s", e.Document, e.Line, e.Msg)
	}
	return fmt.Sprintf("document %d: %s", e.Document, e.Msg)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Parse splits data into documents and parses each. It fails on the first document that does not
// parse, naming it and the file line.
func Parse(data []byte) (*Stream, error) {
	s := &Stream{}
	number := 0
	for _, p := range split(data) {
		d := &Doc{Raw: data[p.start:p.end:p.end], Line: p.line}
		root, err := parseOne(d.Raw)
		if err != nil || root != nil || hasContent(d.Raw) {
			number++
		}
		if err != nil {
			pe := &ParseError{Document: number, Msg: err.Error()}
			reported := 1
			if m := yamlLine.FindStringSubmatch(pe.Msg); m != nil {
				reported, _ = strconv.Atoi(m[1])
				pe.Msg = pe.Msg[len(m[0]):]
			}
			pe.Msg = strings.TrimPrefix(pe.Msg, "yaml: ")
			pe.Line = p.line + problemLine(d.Raw, pe.Msg, reported) - 1
			return nil, pe
		}
		if root != nil {
			d.Number = number
			d.Root = root
			d.JSON = root.Style&yaml.FlowStyle != 0 && firstKeyQuoted(root)
		}
		s.Docs = append(s.Docs, d)
	}
	return s, nil
}

// hasContent reports a piece that has something besides comments, blanks and markers.
func hasContent(b []byte) bool {
	for _, line := range bytes.Split(b, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || marker(t, "---") || marker(t, "...") {
			continue
		}
		return true
	}
	return false
}

func firstKeyQuoted(root *yaml.Node) bool {
	return root.Kind == yaml.MappingNode && len(root.Content) > 0 && root.Content[0].Style&yaml.DoubleQuotedStyle != 0
}

// parseOne parses a piece that must hold at most one document.
func parseOne(b []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("internal: a piece holds more than one document")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// problemLine is the 1-based line of a piece where its parse error is. yaml.v3 names the line where
// the enclosing block starts (its context mark), one line early for parser errors, and no line at
// all for invalid UTF-8 or an unknown alias. The problem is where the shortest prefix of the piece
// that fails with the same message ends; the reported line is never past it, so the search starts
// there. A parse is sequential, so a prefix holding the problem fails with it: the search is a
// bisection over lines, O(log n) parses.
func problemLine(b []byte, msg string, reported int) int {
	src := newSource(b)
	if !utf8.Valid(b) {
		for off := 0; off < len(b); {
			r, w := utf8.DecodeRune(b[off:])
			if r == utf8.RuneError && w <= 1 {
				return src.lineOf(off) + 1
			}
			off += w
		}
	}
	fails := func(lines int) bool {
		_, err := parseOne(b[:src.next(lines-1)])
		if err == nil {
			return false
		}
		m := err.Error()
		if loc := yamlLine.FindStringIndex(m); loc != nil {
			m = m[loc[1]:]
		}
		return strings.TrimPrefix(m, "yaml: ") == msg
	}
	lo, hi := max(reported, 1), src.lines()
	if lo > hi || !fails(hi) {
		return min(lo, hi)
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
