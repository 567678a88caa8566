package manifest

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Change asks for the value at Path (from the document root: string keys, int list indexes) to
// become Want, a plain value as yaml.v3 decodes into `any`. The last key may be missing.
type Change struct {
	Path []any
	Want any
}

// Options tunes how new text is written.
type Options struct {
	// KeyOrder places inserted keys: listed keys first in this order, then the others
	// alphabetically. Keys already present never move.
	KeyOrder []string
	// SameItem says whether a list item as written counts as the wanted item (so "all" is
	// respelt "ALL" in place rather than removed and re-added). nil means equal strings only.
	SameItem func(have, want string) bool
}

// EditError says why a document could not be edited safely; the document is left as it was.
type EditError struct {
	Path string
	Msg  string
}

func (e *EditError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Apply returns the document's bytes with the changes made, everything else as it was. It
// re-parses the result and fails, changing nothing, unless the result holds exactly the original
// document with the changes applied.
func (d *Doc) Apply(changes []Change, opt Options) ([]byte, error) {
	if len(changes) == 0 {
		return d.Raw, nil
	}
	if d.Root == nil {
		return nil, &EditError{Msg: "the piece holds no document"}
	}
	want, err := decodePlain(d.Root)
	if err != nil {
		return nil, &EditError{Msg: err.Error()}
	}
	for _, c := range changes {
		if want, err = set(want, c.Path, c.Want); err != nil {
			return nil, &EditError{Path: PathString(c.Path), Msg: err.Error()}
		}
	}
	src := newSource(d.Raw)
	e := &editor{
		src:     src,
		r:       renderer{layout: detectLayout(src, d.Root), keyOrder: opt.KeyOrder},
		same:    opt.SameItem,
		touched: map[*yaml.Node]bool{},
		post:    map[*yaml.Node]any{},
		done:    map[*yaml.Node]bool{},
	}
	for _, c := range changes {
		if err := e.change(d.Root, c.Path, want); err != nil {
			return nil, &EditError{Path: PathString(c.Path), Msg: err.Error()}
		}
	}
	if err := e.refreshAliases(d.Root, want); err != nil {
		return nil, &EditError{Msg: err.Error()}
	}
	out, err := splice(d.Raw, e.edits)
	if err != nil {
		return nil, &EditError{Msg: err.Error()}
	}
	if err := verify(out, want); err != nil {
		return nil, &EditError{Msg: err.Error()}
	}
	return out, nil
}

// change walks from the root along path through explicit keys and items, and reconciles the
// deepest node it reaches with the wanted document's value there. Stopping early (at an alias,
// or where the last key is missing) reconciles a larger node, which is still exact: its
// unchanged parts compare equal and stay untouched.
func (e *editor) change(root *yaml.Node, path []any, want any) error {
	n := root
	sl := slot{}
	e.stack = e.stack[:0]
	defer func() { e.stack = e.stack[:0] }()
	for i, seg := range path {
		if n.Kind == yaml.AliasNode {
			return e.reconcileAt(n, path[:i], want, sl)
		}
		next, nsl, err := e.step(n, seg)
		if err != nil {
			return err
		}
		if next == nil {
			return e.reconcileAt(n, path[:i], want, sl)
		}
		e.stack = append(e.stack, n)
		n, sl = next, nsl
	}
	return e.reconcileAt(n, path, want, sl)
}

func (e *editor) reconcileAt(n *yaml.Node, path []any, want any, sl slot) error {
	v, ok := Lookup(want, path)
	if !ok {
		return fmt.Errorf("internal: no wanted value at %s", PathString(path))
	}
	return e.reconcile(n, v, sl)
}

// step finds the child of n named by seg, explicitly written (not merged, not through an
// alias), and the slot it sits in; nil when there is none.
func (e *editor) step(n *yaml.Node, seg any) (*yaml.Node, slot, error) {
	flow := n.Style&yaml.FlowStyle != 0
	switch s := seg.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil, slot{}, nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || isMerge(k) || k.Value != s {
				continue
			}
			v := n.Content[i+1]
			if flow {
				ks, err := e.src.contentStart(k)
				if err != nil {
					return nil, slot{}, err
				}
				return v, e.flowSlot(n, ks), nil
			}
			sl, err := e.valueSlot(k)
			return v, sl, err
		}
	case int:
		if n.Kind != yaml.SequenceNode || s < 0 || s >= len(n.Content) {
			return nil, slot{}, nil
		}
		it := n.Content[s]
		if flow {
			is, err := e.src.pos(it)
			if err != nil {
				return nil, slot{}, err
			}
			return it, e.flowSlot(n, is), nil
		}
		dash, err := e.src.dash(it)
		if err != nil {
			return nil, slot{}, err
		}
		return it, slot{start: dash + 1, col: e.src.column(dash), item: true}, nil
	}
	return nil, slot{}, nil
}

func (e *editor) flowSlot(coll *yaml.Node, at int) slot {
	open, err := e.src.contentStart(coll)
	multi := false
	if err == nil {
		if end, err := e.src.flowEnd(open); err == nil {
			multi = e.src.lineOf(open) != e.src.lineOf(end-1)
		}
	}
	return slot{flow: true, multi: multi, indent: e.src.lead(e.src.lineOf(at))}
}

// refreshAliases rewrites, as explicit values, aliases whose anchor's text was edited but that
// must keep their old value (or get a different one): otherwise they would follow the anchor.
func (e *editor) refreshAliases(root *yaml.Node, want any) error {
	if len(e.touched) == 0 {
		return nil
	}
	var walk func(n *yaml.Node, path []any, sl slot, known bool) error
	walk = func(n *yaml.Node, path []any, sl slot, known bool) error {
		if n.Kind == yaml.AliasNode {
			if e.done[n] || !e.touchedTarget(n.Alias) {
				return nil
			}
			if !known {
				return fmt.Errorf("an alias (*%s) at line %d merges an anchor that changes; expand it by hand", n.Value, n.Line)
			}
			v, ok := Lookup(want, path)
			if !ok {
				return fmt.Errorf("internal: no wanted value for the alias at line %d", n.Line)
			}
			if p, ok := e.post[n.Alias]; ok && Equal(p, v) {
				return nil
			}
			e.done[n] = true
			return e.replace(n, v, sl, n.Alias)
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if isMerge(k) {
					if err := walk(n.Content[i+1], nil, slot{}, false); err != nil {
						return err
					}
					continue
				}
				if k.Kind != yaml.ScalarNode {
					continue
				}
				child, csl, err := e.step(n, k.Value)
				if err != nil || child == nil {
					continue
				}
				if err := walk(child, append(path[:len(path):len(path)], k.Value), csl, known); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i := range n.Content {
				child, csl, err := e.step(n, i)
				if err != nil || child == nil {
					continue
				}
				if err := walk(child, append(path[:len(path):len(path)], i), csl, known); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, nil, slot{}, true)
}

// touchedTarget reports whether an edit landed inside anchored node a.
func (e *editor) touchedTarget(a *yaml.Node) bool {
	if e.touched[a] {
		return true
	}
	var inside func(n *yaml.Node) bool
	inside = func(n *yaml.Node) bool {
		for _, c := range n.Content {
			if c.Kind != yaml.AliasNode && (e.touched[c] || inside(c)) {
				return true
			}
		}
		return false
	}
	return inside(a)
}

// verify parses the edited bytes and checks they hold exactly the wanted document.
func verify(out []byte, want any) error {
	root, err := parseOne(out)
	if err != nil {
		return fmt.Errorf("internal: the edited document does not parse (%v); left unchanged", err)
	}
	if root == nil {
		return fmt.Errorf("internal: the edited document is empty; left unchanged")
	}
	got, err := decodePlain(root)
	if err != nil {
		return fmt.Errorf("internal: the edited document does not decode (%v); left unchanged", err)
	}
	if d := firstDiff(want, got, ""); d != "" {
		return fmt.Errorf("internal: the edit would also change %s; document left unchanged", d)
	}
	return nil
}
