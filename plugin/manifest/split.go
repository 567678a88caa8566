package manifest

import "bytes"

// piece is a byte range of a stream holding at most one document, with the separator line
// (---) that opens it, any end marker (...) and the comments that follow.
type piece struct {
	start, end int
	line       int // 1-based line of start
}

// split cuts a YAML stream before every `---` line and after every `...` line, on the raw bytes,
// so that joining the pieces gives back the input exactly. Directive lines (%YAML) stay with the
// document they introduce.
func split(data []byte) []piece {
	var out []piece
	cur := piece{start: 0, line: 1}
	line := 1
	onlyDirectives := true // cur so far holds only directives, comments and blank lines
	hasDirective := false
	for p := 0; p < len(data); {
		e := p
		for e < len(data) && breakLen(data, e) == 0 {
			e++
		}
		next := e
		if e < len(data) {
			next = e + breakLen(data, e)
		}
		text := data[p:e]
		switch {
		case marker(text, "---"):
			if p > cur.start && !(onlyDirectives && hasDirective) {
				cur.end = p
				out = append(out, cur)
				cur = piece{start: p, line: line}
				hasDirective = false
			}
			onlyDirectives = false
		case marker(text, "..."):
			cur.end = next
			out = append(out, cur)
			cur = piece{start: next, line: line + 1}
			onlyDirectives, hasDirective = true, false
		default:
			t := bytes.TrimLeft(text, " \t")
			switch {
			case len(t) == 0 || t[0] == '#':
			case t[0] == '%' && len(t) == len(text):
				hasDirective = true
			default:
				onlyDirectives = false
			}
		}
		p = next
		line++
	}
	if cur.start < len(data) || len(out) == 0 {
		cur.end = len(data)
		out = append(out, cur)
	}
	return out
}

// marker reports a document marker line: the marker at column 0, then nothing or a blank.
func marker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t'
}
