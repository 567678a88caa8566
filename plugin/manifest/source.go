package manifest

import (
	"bytes"
	"unicode/utf8"
)

// source indexes one document's bytes by line, with yaml.v3's idea of a line break, so that a
// node's Line/Column (1-based, columns counted in characters) maps to a byte offset.
type source struct {
	b      []byte
	starts []int // byte offset where each line starts
	bom    int   // a UTF-8 byte order mark yaml.v3 skips without counting a column
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func newSource(b []byte) *source {
	s := &source{b: b, starts: make([]int, 1, bytes.Count(b, []byte{'\n'})+2)}
	if bytes.HasPrefix(b, utf8BOM) {
		s.bom = len(utf8BOM)
	}
	for i := 0; i < len(b); {
		if n := breakLen(b, i); n > 0 {
			i += n
			s.starts = append(s.starts, i)
			continue
		}
		i++
	}
	return s
}

// breakLen is the length of the line break at b[i] (0 if none). yaml.v3 counts CR LF, CR, LF and
// the Unicode breaks NEL, LS and PS as line breaks; counting the same keeps positions aligned.
func breakLen(b []byte, i int) int {
	switch c := b[i]; {
	case c == '\n':
		return 1
	case c == '\r':
		if i+1 < len(b) && b[i+1] == '\n' {
			return 2
		}
		return 1
	case c == 0xC2 && i+1 < len(b) && b[i+1] == 0x85:
		return 2
	case c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9):
		return 3
	}
	return 0
}

func (s *source) lines() int { return len(s.starts) }

// offset turns a yaml.v3 position into a byte offset, or -1 when it lies outside the text.
func (s *source) offset(line, col int) int {
	if line < 1 || line > len(s.starts) || col < 1 {
		return -1
	}
	p := s.starts[line-1]
	if line == 1 {
		p += s.bom
	}
	end := s.contentEnd(line - 1)
	for i := 1; i < col; i++ {
		if p >= end {
			return -1
		}
		_, w := utf8.DecodeRune(s.b[p:end])
		p += w
	}
	return p
}

// lineOf is the 0-based index of the line holding byte offset off.
func (s *source) lineOf(off int) int {
	lo, hi := 0, len(s.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func (s *source) start(line int) int { return s.starts[line] }

// next is where the line after line starts (the end of the text for the last line).
func (s *source) next(line int) int {
	if line+1 < len(s.starts) {
		return s.starts[line+1]
	}
	return len(s.b)
}

// contentEnd is the offset of line's break (or the end of the text).
func (s *source) contentEnd(line int) int {
	end := s.next(line)
	for p := s.start(line); p < end; p++ {
		if n := breakLen(s.b, p); n > 0 {
			return p
		}
	}
	return end
}

// hasBreak reports whether line ends with a line break (the last line of a file may not).
func (s *source) hasBreak(line int) bool { return s.contentEnd(line) < s.next(line) }

// indent counts the spaces that open line.
func (s *source) indent(line int) int {
	n := 0
	for p := s.start(line); p < len(s.b) && s.b[p] == ' '; p++ {
		n++
	}
	return n
}

// lead is the whitespace (spaces and tabs) that opens line, as written.
func (s *source) lead(line int) string {
	p, end := s.start(line), s.contentEnd(line)
	q := p
	for q < end && (s.b[q] == ' ' || s.b[q] == '\t') {
		q++
	}
	return string(s.b[p:q])
}

// firstChar is the first byte of line that is not a space or tab, or 0 for a blank line.
func (s *source) firstChar(line int) byte {
	end := s.contentEnd(line)
	for p := s.start(line); p < end; p++ {
		if c := s.b[p]; c != ' ' && c != '\t' {
			return c
		}
	}
	return 0
}

func (s *source) comment(line int) bool { return s.firstChar(line) == '#' }

// column is the 0-based character column of off within its line.
func (s *source) column(off int) int {
	st := s.start(s.lineOf(off))
	if st == 0 {
		st += s.bom
	}
	if off < st {
		return 0
	}
	return utf8.RuneCount(s.b[st:off])
}

// onlySpaceBefore reports whether nothing but spaces precede off on its line.
func (s *source) onlySpaceBefore(off int) bool {
	for p := s.start(s.lineOf(off)); p < off; p++ {
		if s.b[p] != ' ' && !(p < s.bom) {
			return false
		}
	}
	return true
}

// newline is the line break the document mostly uses, so inserted lines match their neighbours.
func (s *source) newline() string {
	crlf := bytes.Count(s.b, []byte("\r\n"))
	if crlf > 0 && crlf*2 >= bytes.Count(s.b, []byte("\n")) {
		return "\r\n"
	}
	return "\n"
}

// before is the offset of the last non-blank byte before off on its line, or -1.
func (s *source) before(off int) int {
	st := s.start(s.lineOf(off))
	for p := off - 1; p >= st; p-- {
		if !isSpace(s.b[p]) {
			return p
		}
	}
	return -1
}
