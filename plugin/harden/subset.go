package harden

import (
	"fmt"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/expect"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
)

// raise applies harden's first rule to one container: on every runtime rule set package expect
// models (or those the user named), each capability set the hardened spec is expected to give
// must be a subset of what the original spec gives, apart from capabilities the user's flags
// license (--respell-cap-prefix). It returns why the rule would break, or "". A runtime that
// refuses the original spec (an unknown capability name on CRI-O) runs nothing to compare with
// and is skipped; one that would refuse only the hardened spec breaks the rule.
//
// The policy already decides so that the rule holds; this is the check that nothing it writes
// can escape it, run on the very securityContext about to be written.
func raise(pod policy.Pod, before, after policy.Container, licensed capset.Set, runtimes []expect.Runtime) string {
	orig, hard := policy.Declared(pod, before), policy.Declared(pod, after)
	for _, r := range runtimes {
		node := expect.Node{Runtime: r, Full: capset.Known}
		po := expect.Predict(expect.Input{Declared: orig, Node: node})
		if len(po.Rejected) > 0 {
			continue
		}
		ph := expect.Predict(expect.Input{Declared: hard, Node: node})
		if len(ph.Rejected) > 0 {
			return fmt.Sprintf("%s would refuse the hardened spec (capability names %q)", r.Name(), ph.Rejected)
		}
		for _, set := range []struct {
			name      string
			orig, new capset.Set
		}{
			{"bounding", po.Bnd, ph.Bnd}, {"permitted", po.Prm, ph.Prm}, {"effective", po.Eff, ph.Eff},
			{"inheritable", po.Inh, ph.Inh}, {"ambient", po.Amb, ph.Amb},
		} {
			if extra := set.new.Minus(set.orig).Minus(licensed); !extra.Empty() {
				return fmt.Sprintf("on %s the hardened spec would grant %s in the %s set, which the original does not", r.Name(), extra, set.name)
			}
		}
		if po.NoNewPrivs && !ph.NoNewPrivs {
			return fmt.Sprintf("on %s the hardened spec would lift no_new_privs", r.Name())
		}
	}
	return ""
}
