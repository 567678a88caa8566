package manifest

import (
	"fmt"
	"strings"
)

// The scanners below find where a token ends, given where yaml.v3 says it starts. yaml.v3 keeps
// only start positions; ends are what splicing needs. Each scanner errs rather than guesses: a
// wrong end would cut a value in half.

func isSpace(c byte) bool { return c == ' ' || c == '\t' }
func isFlowIndicator(c byte) bool {
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'
}

// skipGap skips spaces, tabs, line breaks and comments from off.
func (s *source) skipGap(off int) int {
	for off < len(s.b) {
		c := s.b[off]
		switch {
		case isSpace(c):
			off++
		case breakLen(s.b, off) > 0:
			off += breakLen(s.b, off)
		case c == '#' && (off == 0 || isSpace(s.b[off-1]) || breakLen(s.b, off-1) > 0 || s.b[off-1] == '\n'):
			off = s.contentEnd(s.lineOf(off))
		default:
			return off
		}
	}
	return off
}

// skipProperties skips an anchor (&a) and a tag (!t, !!str, !<...>) at off, if any.
func (s *source) skipProperties(off int) int {
	for off < len(s.b) && (s.b[off] == '&' || s.b[off] == '!') {
		if s.b[off] == '!' && off+1 < len(s.b) && s.b[off+1] == '<' {
			for off < len(s.b) && s.b[off] != '>' {
				off++
			}
			off++
		} else {
			for off < len(s.b) && !isSpace(s.b[off]) && breakLen(s.b, off) == 0 && !isFlowIndicator(s.b[off]) {
				off++
			}
		}
		off = s.skipGap(off)
	}
	return off
}

// nameEnd is where an alias (*a) or similar name token ends.
func (s *source) nameEnd(off int) int {
	off++
	for off < len(s.b) && !isSpace(s.b[off]) && breakLen(s.b, off) == 0 && !isFlowIndicator(s.b[off]) {
		off++
	}
	return off
}

// quotedEnd is the offset just past the closing quote of the quoted scalar opening at off.
func (s *source) quotedEnd(off int) (int, error) {
	q := s.b[off]
	for i := off + 1; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case q == '"' && c == '\\':
			i++
		case c == q && q == '\'' && i+1 < len(s.b) && s.b[i+1] == '\'':
			i++
		case c == q:
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated quoted scalar")
}

// flowEnd is the offset just past the bracket that closes the flow collection opening at off.
func (s *source) flowEnd(off int) (int, error) {
	depth := 0
	i := off
	for i < len(s.b) {
		c := s.b[i]
		switch {
		case isSpace(c):
			i++
		case breakLen(s.b, i) > 0:
			i += breakLen(s.b, i)
		case c == '#' && i > off && (isSpace(s.b[i-1]) || breakLen(s.b, i-1) > 0 || s.b[i-1] == '\n'):
			i = s.contentEnd(s.lineOf(i))
		case c == '[' || c == '{':
			depth++
			i++
		case c == ']' || c == '}':
			depth--
			i++
			if depth == 0 {
				return i, nil
			}
		case c == ',':
			i++
		case c == '"' || c == '\'':
			e, err := s.quotedEnd(i)
			if err != nil {
				return 0, err
			}
			i = e
		case c == '&' || c == '!' || c == '*':
			i = s.nameEnd(i)
		case (c == ':' || c == '?' || c == '-') && (i+1 >= len(s.b) || isSpace(s.b[i+1]) || breakLen(s.b, i+1) > 0 || isFlowIndicator(s.b[i+1])):
			i++
		default: // a plain scalar: runs to an indicator, a comment or the end of the line
			i++
			for i < len(s.b) {
				c := s.b[i]
				if isFlowIndicator(c) || breakLen(s.b, i) > 0 ||
					(c == ':' && (i+1 >= len(s.b) || isSpace(s.b[i+1]) || breakLen(s.b, i+1) > 0 || isFlowIndicator(s.b[i+1]))) ||
					(c == '#' && isSpace(s.b[i-1])) {
					break
				}
				i++
			}
		}
		if depth == 0 {
			return 0, fmt.Errorf("flow collection does not start with a bracket")
		}
	}
	return 0, fmt.Errorf("unterminated flow collection")
}

// plainLineEnd is where a plain scalar starting at off stops on its own line.
func (s *source) plainLineEnd(off int, flow bool) int {
	end := s.contentEnd(s.lineOf(off))
	i := off
	for ; i < end; i++ {
		c := s.b[i]
		if flow && isFlowIndicator(c) {
			break
		}
		if c == '#' && i > off && isSpace(s.b[i-1]) {
			break
		}
		if c == ':' && (i+1 >= end || isSpace(s.b[i+1]) || (flow && isFlowIndicator(s.b[i+1]))) {
			break
		}
	}
	for i > off && isSpace(s.b[i-1]) {
		i--
	}
	return i
}

// plainEnd is where the plain scalar with the given value, starting at off, ends. A plain scalar
// may fold over several lines; the value tells how many.
func (s *source) plainEnd(off int, value string, flow bool) (int, error) {
	end := s.plainLineEnd(off, flow)
	acc := string(s.b[off:end])
	if acc == value {
		return end, nil
	}
	if !strings.HasPrefix(value, acc) {
		return 0, fmt.Errorf("plain scalar %q does not match its text", clip(value))
	}
	newlines := 0
	for line := s.lineOf(off) + 1; line < s.lines(); line++ {
		st := s.start(line)
		ce := s.contentEnd(line)
		p := st
		for p < ce && isSpace(s.b[p]) {
			p++
		}
		if p == ce {
			newlines++
			continue
		}
		e := s.plainLineEnd(p, flow)
		if e == p {
			break
		}
		seg := string(s.b[p:e])
		if newlines == 0 {
			acc += " " + seg
		} else {
			acc += strings.Repeat("\n", newlines) + seg
		}
		newlines = 0
		if acc == value {
			return e, nil
		}
		if !strings.HasPrefix(value, acc) {
			break
		}
	}
	return 0, fmt.Errorf("cannot find the end of multi-line plain scalar %q", clip(value))
}

// blockScalarEnd is where the literal (|) or folded (>) scalar whose header is at off ends: the
// end of its last content line, or of its last blank line when it keeps trailing breaks (|+).
func (s *source) blockScalarEnd(off int) (int, error) {
	hl := s.lineOf(off)
	keep := false
	explicit := 0
	for p := off + 1; p < s.contentEnd(hl); p++ {
		c := s.b[p]
		if c == '+' {
			keep = true
		} else if c >= '1' && c <= '9' {
			explicit = int(c - '0')
		} else if c != '-' {
			break
		}
	}
	n := -1
	if explicit > 0 {
		n = s.indent(hl) + explicit
	}
	last, lastBlank := hl, hl
	end := s.contentEnd(hl)
	for line := hl + 1; line < s.lines(); line++ {
		if s.start(line) == len(s.b) {
			break // the empty "line" after a final line break is no line at all
		}
		ind := s.indent(line)
		if s.contentEnd(line) == s.start(line)+ind { // only spaces
			lastBlank = line
			continue
		}
		if n < 0 {
			if ind <= s.indent(hl) && !(s.indent(hl) == 0 && ind == 0 && hl == 0) {
				break
			}
			n = ind
		}
		if ind < n {
			break
		}
		last, lastBlank = line, line
		end = s.contentEnd(line)
	}
	if keep && lastBlank > last {
		end = s.contentEnd(lastBlank)
	}
	return end, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
