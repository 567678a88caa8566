package manifest

import (
	"fmt"
	"sort"
	"strings"
)

// edit replaces bytes [start, end) of a document with text; start == end inserts.
type edit struct {
	start, end int
	text       string
	seq        int // generation order, which decides between insertions at the same offset
}

func (e *editor) add(start, end int, text string) {
	e.edits = append(e.edits, edit{start: start, end: end, text: text, seq: len(e.edits)})
	for _, n := range e.stack {
		if n.Anchor != "" {
			e.touched[n] = true
		}
	}
}

// splice applies edits to b; edits must not overlap.
func splice(b []byte, edits []edit) ([]byte, error) {
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start < edits[j].start
		}
		// An insertion goes before a replacement that starts at the same offset.
		if (edits[i].start == edits[i].end) != (edits[j].start == edits[j].end) {
			return edits[i].start == edits[i].end
		}
		return edits[i].seq < edits[j].seq
	})
	var out strings.Builder
	out.Grow(len(b) + 256)
	prev := 0
	for _, ed := range edits {
		if ed.start < prev || ed.end < ed.start || ed.end > len(b) {
			return nil, fmt.Errorf("internal: overlapping edits at byte %d", ed.start)
		}
		out.Write(b[prev:ed.start])
		out.WriteString(ed.text)
		prev = ed.end
	}
	out.Write(b[prev:])
	return []byte(out.String()), nil
}
