package sarif

import (
	"bytes"
	"fmt"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
)

// containerFix replays harden's edit of one container alone (the same editor, the same
// options, the same verification) and turns the difference into one replacement of whole lines
// of the original file, so the fix reads like the diff harden prints. A pure insertion takes the
// line before it along, so the region is never empty.
func containerFix(t *text, doc *manifest.Doc, docStart int, containerPath []any, after map[string]any) (Replacement, error) {
	path := append(append([]any{}, containerPath...), "securityContext")
	out, err := doc.Apply([]manifest.Change{{Path: path, Want: after}}, harden.EditOptions())
	if err != nil {
		return Replacement{}, err
	}
	old, neu := lines(doc.Raw), lines(out)
	p := 0
	for p < len(old) && p < len(neu) && bytes.Equal(old[p], neu[p]) {
		p++
	}
	if p == len(old) && p == len(neu) {
		return Replacement{}, fmt.Errorf("the edit changes nothing")
	}
	q := 0
	for q < len(old)-p && q < len(neu)-p && bytes.Equal(old[len(old)-1-q], neu[len(neu)-1-q]) {
		q++
	}
	from, to := p, len(old)-q // old lines [from, to) become neu lines [from, len(neu)-q)
	if from == to {
		if from == 0 {
			to++
		} else {
			from--
		}
	}
	start := docStart + size(old[:from])
	end := start + size(old[from:to])
	inserted := bytes.Join(neu[from:len(neu)-(len(old)-to)], nil)
	return Replacement{DeletedRegion: t.span(start, end), InsertedContent: &Content{Text: string(inserted)}}, nil
}

// lines splits b after each line break, keeping the breaks.
func lines(b []byte) [][]byte {
	return bytes.SplitAfter(b, []byte("\n"))
}

func size(ls [][]byte) int {
	n := 0
	for _, l := range ls {
		n += len(l)
	}
	return n
}
