package manifest

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// pos is the byte offset of n as yaml.v3 reports it: at its anchor or tag when it has one.
func (s *source) pos(n *yaml.Node) (int, error) {
	off := s.offset(n.Line, n.Column)
	if off < 0 {
		return 0, fmt.Errorf("node position %d:%d is outside the document", n.Line, n.Column)
	}
	return off, nil
}

// empty reports a value that has no text at all (`key:` followed by nothing); yaml.v3 places it
// right after the colon.
func empty(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "" && n.Style == 0
}

// contentStart is where n's own text starts, after its anchor and tag.
func (s *source) contentStart(n *yaml.Node) (int, error) {
	off, err := s.pos(n)
	if err != nil || empty(n) {
		return off, err
	}
	if c := s.b[off]; c == '&' || c == '!' {
		off = s.skipProperties(off)
	}
	if off >= len(s.b) {
		return 0, fmt.Errorf("node at %d:%d has no content", n.Line, n.Column)
	}
	return off, nil
}

// end is the offset just past n's text. flow tells whether n sits inside a flow collection,
// where a plain scalar also stops at , ] and }.
func (s *source) end(n *yaml.Node, flow bool) (int, error) {
	if empty(n) {
		return s.pos(n)
	}
	st, err := s.contentStart(n)
	if err != nil {
		return 0, err
	}
	switch n.Kind {
	case yaml.AliasNode:
		return s.nameEnd(st), nil
	case yaml.ScalarNode:
		switch c := s.b[st]; {
		case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && (c == '"' || c == '\''):
			return s.quotedEnd(st)
		case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && (c == '|' || c == '>'):
			return s.blockScalarEnd(st)
		case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0:
			return 0, fmt.Errorf("scalar at %d:%d does not start where expected", n.Line, n.Column)
		}
		return s.plainEnd(st, n.Value, flow)
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 {
			return s.flowEnd(st)
		}
		if len(n.Content) == 0 {
			return 0, fmt.Errorf("empty block collection at %d:%d", n.Line, n.Column)
		}
		return s.end(n.Content[len(n.Content)-1], false)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return st, nil
		}
		return s.end(n.Content[0], false)
	}
	return 0, fmt.Errorf("unknown node kind at %d:%d", n.Line, n.Column)
}

// afterColon is the offset just past the ':' that follows key k.
func (s *source) afterColon(k *yaml.Node, flow bool) (int, error) {
	e, err := s.end(k, flow)
	if err != nil {
		return 0, err
	}
	for e < len(s.b) && (isSpace(s.b[e]) || breakLen(s.b, e) > 0) {
		e++
	}
	if e >= len(s.b) || s.b[e] != ':' {
		return 0, fmt.Errorf("no ':' after key %q at %d:%d", clip(k.Value), k.Line, k.Column)
	}
	return e + 1, nil
}

// dash is the offset of the '-' that introduces block sequence item it.
func (s *source) dash(it *yaml.Node) (int, error) {
	off, err := s.pos(it)
	if err != nil {
		return 0, err
	}
	if off < len(s.b) && s.b[off] == '-' && empty(it) {
		return off, nil // `-` with nothing after it: yaml.v3 may place the empty item on the dash
	}
	for p := off - 1; p >= 0; p-- {
		switch c := s.b[p]; {
		case isSpace(c):
		case c == '-':
			return p, nil
		default:
			return 0, fmt.Errorf("no '-' before sequence item at %d:%d", it.Line, it.Column)
		}
	}
	return 0, fmt.Errorf("no '-' before sequence item at %d:%d", it.Line, it.Column)
}

// headComment is the first line of the comment block written directly above line at the same
// indentation: it describes that line and goes when the line goes.
func (s *source) headComment(line int) int {
	ind := s.indent(line)
	for line > 0 && s.comment(line-1) && s.indent(line-1) == ind {
		line--
	}
	return line
}
