package manifest

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// layout is how a document is written, learnt from the document itself, so that inserted text
// looks like the text around it.
type layout struct {
	nl        string     // line break
	unit      int        // block indentation step
	seqIndent int        // how far a block sequence's '-' sits right of its key (0 or unit)
	jsonKeys  bool       // keys are double-quoted (JSON)
	quote     yaml.Style // string values are double- or single-quoted (JSON, KYAML): new ones too
	flowUnit  string     // indentation step inside multi-line flow collections
}

// maxLayoutNodes bounds how much of a document layout detection looks at.
const maxLayoutNodes = 5000

func detectLayout(s *source, root *yaml.Node) layout {
	l := layout{nl: s.newline(), unit: 2, flowUnit: "  "}
	units, seqs, flowUnits := map[int]int{}, map[int]int{}, map[string]int{}
	var quotedKeys, plainKeys, quotedVals, singleVals, plainVals int
	seen := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || seen > maxLayoutNodes {
			return
		}
		seen++
		if n.Kind == yaml.MappingNode {
			flow := n.Style&yaml.FlowStyle != 0
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if flow {
					if k.Style&yaml.DoubleQuotedStyle != 0 {
						quotedKeys++
					} else {
						plainKeys++
					}
					if v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
						switch {
						case v.Style&yaml.DoubleQuotedStyle != 0:
							quotedVals++
						case v.Style&yaml.SingleQuotedStyle != 0:
							singleVals++
						default:
							plainVals++
						}
					}
					if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle != 0 && len(v.Content) > 0 {
						if o, err := s.contentStart(v); err == nil {
							ol, cl := s.lineOf(o), v.Content[0].Line-1
							if cl > ol && cl < s.lines() {
								outer, inner := s.lead(ol), s.lead(cl)
								if strings.HasPrefix(inner, outer) && len(inner) > len(outer) {
									flowUnits[inner[len(outer):]]++
								}
							}
						}
					}
					continue
				}
				if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Content[0].Line > k.Line {
					if d := v.Content[0].Column - k.Column; d > 0 {
						units[d]++
					}
				}
				if v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && v.Line > k.Line && v.Anchor == "" && v.Tag == "!!seq" {
					if d := v.Column - k.Column; d >= 0 {
						seqs[d]++
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if u := mostCommon(units); u > 0 {
		l.unit = u
	}
	l.seqIndent = mostCommon(seqs)
	if l.seqIndent < 0 {
		l.seqIndent = 0
	}
	if root != nil && root.Style&yaml.FlowStyle != 0 {
		l.jsonKeys = quotedKeys > plainKeys
		switch {
		case quotedVals > plainVals && quotedVals >= singleVals:
			l.quote = yaml.DoubleQuotedStyle
		case singleVals > plainVals && singleVals > quotedVals:
			l.quote = yaml.SingleQuotedStyle
		}
	}
	best, bestN := "", 0
	for u, n := range flowUnits {
		if n > bestN || (n == bestN && u < best) {
			best, bestN = u, n
		}
	}
	if best != "" {
		l.flowUnit = best
	}
	return l
}

// mostCommon is the key with the highest count (the smallest on ties), or -1 for none.
func mostCommon(m map[int]int) int {
	best, bestN := -1, 0
	for k, n := range m {
		if n > bestN || (n == bestN && k < best) {
			best, bestN = k, n
		}
	}
	return best
}
