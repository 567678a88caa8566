package manifest

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// editor turns "node n must become want" into text edits, touching as little as it can:
// unchanged entries are left alone, missing keys are inserted after the last entry, list items
// are kept, respelt, removed or appended one by one.
type editor struct {
	src     *source
	r       renderer
	same    func(have, want string) bool
	edits   []edit
	stack   []*yaml.Node        // nodes being reconciled, outermost first
	touched map[*yaml.Node]bool // anchored nodes whose text changed
	post    map[*yaml.Node]any  // anchored nodes and the value they will hold
	done    map[*yaml.Node]bool // nodes already reconciled as a whole
}

// slot says where a value sits, which is what replacing it needs.
type slot struct {
	start  int    // in block context: just after the ':' of its key or the '-' of its item
	col    int    // column of that key or dash
	item   bool   // the value is a block sequence item
	flow   bool   // the value sits inside a flow collection
	multi  bool   // ...one spread over several lines
	indent string // leading whitespace of the line the value's key is on (multi-line flow)
	// trailing writes a multi-line flow value with a comma after its last entry, as the one
	// it replaces has (KYAML).
	trailing bool
}

func (e *editor) reconcile(n *yaml.Node, want any, sl slot) error {
	if e.done[n] {
		return nil
	}
	have, err := decodePlain(n)
	if err != nil {
		return err
	}
	if n.Kind == yaml.AliasNode {
		if p, ok := e.post[n.Alias]; ok {
			have = p
		}
		if Equal(have, want) {
			return nil
		}
		e.done[n] = true
		return e.replace(n, want, sl, n.Alias)
	}
	if Equal(have, want) {
		return nil
	}
	if n.Anchor != "" {
		e.post[n] = want
	}
	e.stack = append(e.stack, n)
	defer func() { e.stack = e.stack[:len(e.stack)-1] }()
	switch w := want.(type) {
	case map[string]any:
		if n.Kind == yaml.MappingNode && n.Tag == "!!map" {
			if n.Style&yaml.FlowStyle != 0 {
				return e.flowMap(n, w, have, sl)
			}
			return e.blockMap(n, w, have, sl)
		}
	case []any:
		if n.Kind == yaml.SequenceNode && n.Tag == "!!seq" && scalarItems(n.Content) && scalarList(w) {
			return e.seq(n, w, sl)
		}
	default:
		if n.Kind == yaml.ScalarNode && !empty(n) && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			return e.scalar(n, w, sl)
		}
	}
	return e.replace(n, want, sl, n)
}

func scalarItems(items []*yaml.Node) bool {
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Anchor != "" {
			return false
		}
	}
	return true
}

func scalarList(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, map[any]any, []any:
			return false
		}
	}
	return true
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "")
}

// missingEntries returns the wanted entries that mapping n lacks (nil when none), with their
// wanted values.
func missingEntries(n *yaml.Node, want map[string]any, have any) map[string]any {
	present := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && !isMerge(k) {
			present[k.Value] = true
		}
	}
	var out map[string]any
	for k, v := range want {
		if present[k] {
			continue
		}
		// A key that arrives through a merge (<<: *base) and already has the wanted value
		// needs no explicit copy.
		if hv, ok := Lookup(have, []any{k}); ok && Equal(hv, v) {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	return out
}

func (e *editor) blockMap(n *yaml.Node, want map[string]any, have any, sl slot) error {
	if len(n.Content) < 2 {
		return e.replace(n, want, sl, n)
	}
	first, err := e.src.contentStart(n.Content[0])
	if err != nil {
		return err
	}
	keyCol := e.src.column(first)
	if q := e.src.before(first); q >= 0 && e.src.b[q] == '?' {
		keyCol = e.src.column(q) // explicit keys (? key) are indented at their '?'
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) || k.Kind != yaml.ScalarNode {
			continue
		}
		wv, ok := want[k.Value]
		if !ok {
			if err := e.deleteBlockEntry(k, v); err != nil {
				return err
			}
			continue
		}
		vs, err := e.valueSlot(k)
		if err != nil {
			return err
		}
		if err := e.reconcile(v, wv, vs); err != nil {
			return err
		}
	}
	add := missingEntries(n, want, have)
	if len(add) == 0 {
		return nil
	}
	end, err := e.src.end(n.Content[len(n.Content)-1], false)
	if err != nil {
		return err
	}
	line := e.src.lineOf(end)
	var b strings.Builder
	e.localRenderer(n).blockEntries(&b, add, keyCol, nil)
	text := b.String()
	if !e.src.hasBreak(line) {
		text = e.r.nl + strings.TrimSuffix(text, e.r.nl)
	}
	at := e.src.next(line)
	e.add(at, at, text)
	return nil
}

// valueSlot describes where the value of block mapping key k sits.
func (e *editor) valueSlot(k *yaml.Node) (slot, error) {
	ks, err := e.src.contentStart(k)
	if err != nil {
		return slot{}, err
	}
	colon, err := e.src.afterColon(k, false)
	if err != nil {
		return slot{}, err
	}
	return slot{start: colon, col: e.src.column(ks), indent: e.src.lead(e.src.lineOf(ks))}, nil
}

// deleteBlockEntry removes key k and its value, whole lines, with the comment block right above.
func (e *editor) deleteBlockEntry(k, v *yaml.Node) error {
	ks, err := e.src.contentStart(k)
	if err != nil {
		return err
	}
	if !e.src.onlySpaceBefore(ks) {
		return fmt.Errorf("cannot remove %q at line %d: it shares its line with other content", clip(k.Value), k.Line)
	}
	end, err := e.src.end(v, false)
	if err != nil {
		return err
	}
	first := e.src.headComment(e.src.lineOf(ks))
	e.add(e.src.start(first), e.src.next(e.src.lineOf(end)), "")
	return nil
}

func (e *editor) flowMap(n *yaml.Node, want map[string]any, have any, sl slot) error {
	open, closeEnd, multi, err := e.flowBounds(n)
	if err != nil {
		return err
	}
	// Entries that go and entries that come: the new ones would be placed after an entry being
	// deleted (the edits would overlap), so the mapping is written anew, in its own layout.
	if add := missingEntries(n, want, have); len(add) > 0 {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && !isMerge(k) {
				if _, ok := want[k.Value]; !ok {
					sl.trailing = e.trailingComma(n)
					return e.replace(n, want, sl, n)
				}
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) || k.Kind != yaml.ScalarNode {
			continue
		}
		wv, ok := want[k.Value]
		if !ok {
			if err := e.deleteFlowEntry(k, v, i == 0); err != nil {
				return err
			}
			continue
		}
		ks, err := e.src.contentStart(k)
		if err != nil {
			return err
		}
		vs := slot{flow: true, multi: multi, indent: e.src.lead(e.src.lineOf(ks))}
		if err := e.reconcile(v, wv, vs); err != nil {
			return err
		}
	}
	add := missingEntries(n, want, have)
	if len(add) == 0 {
		return nil
	}
	keys := e.r.order(add, nil)
	if len(n.Content) == 0 {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = e.r.key(k) + ": " + e.r.inline(add[k], nil)
		}
		e.add(open+1, open+1, strings.Join(parts, ", "))
		return nil
	}
	lastKey := n.Content[len(n.Content)-2]
	lastEnd, err := e.src.end(n.Content[len(n.Content)-1], true)
	if err != nil {
		return err
	}
	return e.flowAppend(lastKey, lastEnd, closeEnd, multi, len(keys), func(i int, ind string, trailing bool) string {
		k := keys[i]
		if multi {
			return e.r.key(k) + ": " + e.r.multiline(add[k], ind, trailing, nil)
		}
		return e.r.key(k) + ": " + e.r.inline(add[k], nil)
	})
}

// flowAppend adds count entries after the last one of a flow collection (which ends at lastEnd),
// following the collection's own layout: one line, or one entry per line with or without a
// trailing comma.
func (e *editor) flowAppend(lastNode *yaml.Node, lastEnd, closeEnd int, multi bool, count int, entry func(i int, ind string, trailing bool) string) error {
	after := e.src.skipGap(lastEnd)
	trailing := after < closeEnd-1 && e.src.b[after] == ','
	if !multi {
		var b strings.Builder
		for i := 0; i < count; i++ {
			b.WriteString(", " + entry(i, "", false))
		}
		e.add(lastEnd, lastEnd, b.String())
		return nil
	}
	ls, err := e.src.contentStart(lastNode)
	if err != nil {
		return err
	}
	ind := e.src.lead(e.src.lineOf(ls))
	var b strings.Builder
	if trailing {
		for i := 0; i < count; i++ {
			b.WriteString(e.r.nl + ind + entry(i, ind, true) + ",")
		}
		at := e.src.contentEnd(e.src.lineOf(after))
		if at >= closeEnd-1 { // the closing bracket shares the comma's line
			at = after + 1
		}
		e.add(at, at, b.String())
		return nil
	}
	for i := 0; i < count; i++ {
		b.WriteString("," + e.r.nl + ind + entry(i, ind, false))
	}
	e.add(lastEnd, lastEnd, b.String())
	return nil
}

// deleteFlowEntry removes one entry (from start to end) of a flow collection with its comma.
func (e *editor) deleteFlowEntry(k, v *yaml.Node, first bool) error {
	st, err := e.src.pos(k)
	if err != nil {
		return err
	}
	end, err := e.src.end(v, true)
	if err != nil {
		return err
	}
	return e.deleteFlowSpan(st, end, first)
}

func (e *editor) deleteFlowSpan(st, end int, first bool) error {
	after := e.src.skipGap(end)
	if after < len(e.src.b) && e.src.b[after] == ',' {
		end = after + 1
		for end < len(e.src.b) && isSpace(e.src.b[end]) {
			end++
		}
		// An entry alone on its lines goes with its lines.
		if e.src.onlySpaceBefore(st) && end == e.src.contentEnd(e.src.lineOf(end)) {
			st = e.src.start(e.src.lineOf(st))
			end = e.src.next(e.src.lineOf(end))
		}
		e.add(st, end, "")
		return nil
	}
	if !first {
		// The last entry without a trailing comma takes the comma before it.
		p := st - 1
		for p >= 0 && (isSpace(e.src.b[p]) || breakLen(e.src.b, p) > 0 || e.src.b[p] == '\n') {
			p--
		}
		if p >= 0 && e.src.b[p] == ',' {
			e.add(p, end, "")
			return nil
		}
		return fmt.Errorf("cannot find the comma before a flow entry at byte %d", st)
	}
	e.add(st, end, "")
	return nil
}

// seq reconciles a list of scalars item by item: items that stay keep their line and comment
// (respelt if needed), the others go, new ones are appended in the list's own style.
func (e *editor) seq(n *yaml.Node, want []any, sl slot) error {
	flow := n.Style&yaml.FlowStyle != 0
	keep := make([]bool, len(n.Content))
	j, kept := 0, 0
	for i, it := range n.Content {
		if j < len(want) && e.matches(it, want[j]) {
			keep[i] = true
			j++
			kept++
		}
	}
	rest := want[j:]
	if kept == 0 && (flow || len(rest) == 0) {
		return e.replace(n, want, sl, n) // n: new items are quoted like the ones they replace
	}
	j = 0
	for i, it := range n.Content {
		if keep[i] {
			if err := e.reconcile(it, want[j], slot{flow: flow}); err != nil {
				return err
			}
			j++
			continue
		}
		if err := e.deleteItem(n, i, flow); err != nil {
			return err
		}
	}
	if len(rest) == 0 {
		return nil
	}
	last := n.Content[len(n.Content)-1]
	lastEnd, err := e.src.end(last, flow)
	if err != nil {
		return err
	}
	if flow {
		_, closeEnd, multi, err := e.flowBounds(n)
		if err != nil {
			return err
		}
		return e.flowAppend(last, lastEnd, closeEnd, multi, len(rest), func(i int, _ string, _ bool) string {
			return e.r.scalar(rest[i], last.Style)
		})
	}
	dash, err := e.src.dash(last)
	if err != nil {
		return err
	}
	ls, err := e.src.contentStart(last)
	if err != nil {
		return err
	}
	prefix := string(e.src.b[e.src.start(e.src.lineOf(dash)):ls])
	if !e.src.onlySpaceBefore(dash) || e.src.lineOf(dash) != e.src.lineOf(ls) || strings.TrimSpace(prefix) != "-" {
		prefix = strings.Repeat(" ", e.src.column(dash)) + "- "
	}
	line := e.src.lineOf(lastEnd)
	var b strings.Builder
	for _, v := range rest {
		b.WriteString(prefix + e.r.scalar(v, last.Style) + e.r.nl)
	}
	text := b.String()
	if !e.src.hasBreak(line) {
		text = e.r.nl + strings.TrimSuffix(text, e.r.nl)
	}
	at := e.src.next(line)
	e.add(at, at, text)
	return nil
}

func (e *editor) matches(it *yaml.Node, want any) bool {
	w, ok := want.(string)
	if !ok || it.Kind != yaml.ScalarNode {
		return false
	}
	if it.Value == w {
		return true
	}
	return e.same != nil && it.Tag == "!!str" && e.same(it.Value, w)
}

func (e *editor) deleteItem(n *yaml.Node, i int, flow bool) error {
	it := n.Content[i]
	end, err := e.src.end(it, flow)
	if err != nil {
		return err
	}
	if flow {
		st, err := e.src.pos(it)
		if err != nil {
			return err
		}
		return e.deleteFlowSpan(st, end, i == 0)
	}
	dash, err := e.src.dash(it)
	if err != nil {
		return err
	}
	if !e.src.onlySpaceBefore(dash) {
		return fmt.Errorf("cannot remove list item %q at line %d: it shares its line with other content", clip(it.Value), it.Line)
	}
	first := e.src.headComment(e.src.lineOf(dash))
	e.add(e.src.start(first), e.src.next(e.src.lineOf(end)), "")
	return nil
}

// scalar respells one scalar in place, in the quoting it had.
func (e *editor) scalar(n *yaml.Node, want any, sl slot) error {
	st, err := e.src.contentStart(n)
	if err != nil {
		return err
	}
	if n.Style&yaml.TaggedStyle != 0 && n.Anchor == "" {
		// The tag may contradict the new value (!!str false): replace it too.
		if st, err = e.src.pos(n); err != nil {
			return err
		}
	}
	end, err := e.src.end(n, sl.flow)
	if err != nil {
		return err
	}
	e.add(st, end, e.r.scalar(want, n.Style))
	return nil
}

// replace writes a whole new value in place of n: for aliases, type changes and empty values.
// hint (the node it replaces, or an alias target) orders the new keys like the old ones.
func (e *editor) replace(n *yaml.Node, want any, sl slot, hint *yaml.Node) error {
	anchor := ""
	if n.Anchor != "" && n.Kind != yaml.AliasNode {
		anchor = "&" + n.Anchor + " "
	}
	end, err := e.src.end(n, sl.flow)
	if err != nil {
		return err
	}
	if sl.flow {
		st, err := e.src.pos(n)
		if err != nil {
			return err
		}
		text := e.r.inline(want, hint)
		if sl.multi {
			text = e.r.multiline(want, sl.indent, sl.trailing, hint)
		}
		if empty(n) {
			text = " " + text
		}
		e.add(st, end, anchor+text)
		return nil
	}
	if sl.start <= 0 {
		return fmt.Errorf("cannot replace the value at line %d", n.Line)
	}
	var b strings.Builder
	switch {
	case sl.item:
		b.WriteString(strings.TrimSuffix(e.r.afterDash(want, sl.col, hint), e.r.nl))
		if anchor != "" {
			return fmt.Errorf("cannot replace anchored list item at line %d", n.Line)
		}
	case simple(want) || n.Style&yaml.FlowStyle != 0 && n.Kind != yaml.AliasNode:
		// A flow collection the user wrote stays a flow collection.
		b.WriteString(" " + anchor + e.r.inline(want, hint))
	default:
		if anchor != "" {
			b.WriteString(" " + strings.TrimSpace(anchor))
		}
		e.localRenderer(hint).blockValue(&b, want, sl.col, hint)
	}
	e.add(sl.start, end, strings.TrimSuffix(b.String(), e.r.nl))
	return nil
}

// localRenderer prefers the indentation written right here over the document's usual one: a
// block mapping whose lists are indented (or whose nested mappings use 4 spaces) gets new
// entries written the same way.
func (e *editor) localRenderer(n *yaml.Node) renderer {
	r := e.r
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 {
		return r
	}
	// Lists of scalars right in this mapping set the style of new lists.
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		if v.Kind == yaml.SequenceNode && len(v.Content) > 0 && scalarItems(v.Content) {
			r.flowLists = v.Style&yaml.FlowStyle != 0
			if r.flowLists {
				r.itemStyle = v.Content[0].Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
			}
			break
		}
	}
	seqFound, unitFound := false, false
	level := []*yaml.Node{n}
	for depth := 0; depth < 3 && len(level) > 0 && !(seqFound && unitFound); depth++ {
		var next []*yaml.Node
		for _, m := range level {
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				if v.Style&yaml.FlowStyle != 0 || v.Anchor != "" || v.Line <= k.Line {
					continue
				}
				switch v.Kind {
				case yaml.SequenceNode:
					if d := v.Column - k.Column; !seqFound && d >= 0 && v.Tag == "!!seq" {
						r.seqIndent, seqFound = d, true
					}
				case yaml.MappingNode:
					if d := v.Content[0].Column - k.Column; !unitFound && d > 0 {
						r.unit, unitFound = d, true
					}
					next = append(next, v)
				}
			}
		}
		level = next
	}
	return r
}

// trailingComma reports whether a flow collection's last entry is followed by a comma.
func (e *editor) trailingComma(n *yaml.Node) bool {
	if len(n.Content) == 0 {
		return false
	}
	end, err := e.src.end(n.Content[len(n.Content)-1], true)
	if err != nil {
		return false
	}
	after := e.src.skipGap(end)
	return after < len(e.src.b) && e.src.b[after] == ','
}

// flowBounds finds a flow collection's opening bracket, the offset just past its closing one, and
// whether it spans several lines (new entries then go on lines of their own).
func (e *editor) flowBounds(n *yaml.Node) (open, closeEnd int, multi bool, err error) {
	if open, err = e.src.contentStart(n); err != nil {
		return 0, 0, false, err
	}
	if closeEnd, err = e.src.flowEnd(open); err != nil {
		return 0, 0, false, err
	}
	return open, closeEnd, e.src.lineOf(open) != e.src.lineOf(closeEnd-1), nil
}
