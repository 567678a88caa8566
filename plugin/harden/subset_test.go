package harden

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/expect"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
)

// TestSubsetRule checks harden's first rule on its real output, apart from the engine's own
// check: for every golden case (with its options) and every corpus file (plain, --strict and
// --drop-privileged), every container of the hardened file is expected, on every runtime rule set
// package expect models (containerd, CRI-O and Docker, old and new), to hold in each of its five
// capability sets only what the original spec gives it there.
func TestSubsetRule(t *testing.T) {
	type input struct {
		name string
		opt  Options
	}
	var inputs []input
	raws, _ := filepath.Glob("testdata/*-raw.*")
	for _, raw := range raws {
		base := filepath.Base(raw)
		inputs = append(inputs, input{raw, optionsFor(base[:strings.LastIndex(base, "-raw.")])})
	}
	goldens := len(inputs)
	if _, err := os.Stat(corpusDir); err != nil {
		t.Logf("corpus not available at %s: checking the golden cases only", corpusDir)
	}
	for _, f := range corpusOrNone(t) {
		inputs = append(inputs, input{f, Options{}}, input{f, Options{Options: policy.Options{Strict: true}}},
			input{f, Options{Options: policy.Options{DropPrivileged: true}}})
	}
	rules := expect.RuleSets()
	var containers, changed, comparisons, skippedRejected int
	for _, in := range inputs {
		data, err := os.ReadFile(in.name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := File(context.Background(), filepath.Base(in.name), data, in.opt)
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		before, after := templates(t, data), templates(t, res.Output)
		if len(before) != len(after) {
			t.Fatalf("%s: %d pod templates in, %d out", in.name, len(before), len(after))
		}
		for i, tb := range before {
			ta := after[i]
			pod := policy.PodFrom(tb.Spec)
			for j, cb := range tb.Containers {
				ca := ta.Containers[j]
				containers++
				orig, hard := policy.ContainerFrom(cb.Spec, cb.Type), policy.ContainerFrom(ca.Spec, ca.Type)
				licensed := respelt(orig, in.opt)
				if !manifest.Equal(cb.Spec["securityContext"], ca.Spec["securityContext"]) {
					changed++
				}
				for _, r := range rules {
					node := expect.Node{Runtime: r, Full: capset.Known}
					po := expect.Predict(expect.Input{Declared: policy.Declared(pod, orig), Node: node})
					ph := expect.Predict(expect.Input{Declared: policy.Declared(policy.PodFrom(ta.Spec), hard), Node: node})
					if len(po.Rejected) > 0 {
						skippedRejected++
						continue
					}
					comparisons++
					where := in.name + " " + tb.Ref() + " container " + cb.Name + " on " + r.Name()
					if len(ph.Rejected) > 0 {
						t.Errorf("%s: the hardened spec is refused (%q)", where, ph.Rejected)
					}
					for _, s := range [][3]any{{"bounding", po.Bnd, ph.Bnd}, {"permitted", po.Prm, ph.Prm}, {"effective", po.Eff, ph.Eff}, {"inheritable", po.Inh, ph.Inh}, {"ambient", po.Amb, ph.Amb}} {
						if extra := s[2].(capset.Set).Minus(s[1].(capset.Set)).Minus(licensed); !extra.Empty() {
							t.Errorf("%s: the hardened spec grants %s in the %s set, the original does not", where, extra, s[0])
						}
					}
					if po.NoNewPrivs && !ph.NoNewPrivs {
						t.Errorf("%s: no_new_privs lifted", where)
					}
				}
			}
		}
	}
	t.Logf("subset rule: %d inputs (%d golden cases, %d corpus files x 3 option sets), %d containers (%d changed), %d runtime rule sets, %d comparisons of 5 sets each, %d skipped (the runtime refuses the original)",
		len(inputs), goldens, (len(inputs)-goldens)/3, containers, changed, len(rules), comparisons, skippedRejected)
}

// respelt is what --respell-cap-prefix licenses: the capabilities the original adds in a spelling
// containerd ignores ("CAP_NET_ADMIN"), which the user asked to make effective.
func respelt(c policy.Container, opt Options) capset.Set {
	var s capset.Set
	if !opt.RespellPrefixed {
		return s
	}
	for _, raw := range c.SC.Add {
		if _, ok := capset.RuntimeName(raw); !ok {
			if cp, err := capset.ParseName(raw); err == nil {
				s = s.With(cp)
			}
		}
	}
	return s
}

// corpusOrNone lists the corpus files, or none where the corpus is absent.
func corpusOrNone(t *testing.T) []string {
	if _, err := os.Stat(corpusDir); err != nil {
		return nil
	}
	return corpusFiles(t)
}

func templates(t *testing.T, data []byte) []workload.Template {
	t.Helper()
	s, err := manifest.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []workload.Template
	for _, d := range s.Docs {
		if d.Root != nil {
			out = append(out, workload.Find(d.Root)...)
		}
	}
	return out
}

// TestRaise: the engine's own check refuses what would raise privilege, for the cases of issue 11.
func TestRaise(t *testing.T) {
	c := func(add, drop []string) policy.Container {
		return policy.Container{SC: policy.SecurityContext{Present: true, Add: add, Drop: drop}}
	}
	rules := expect.RuleSets()
	tests := []struct {
		name          string
		before, after policy.Container
		licensed      capset.Set
		want          string
	}{
		{"add and drop of the same name becomes a grant", c([]string{"SYS_ADMIN"}, []string{"SYS_ADMIN"}), c([]string{"SYS_ADMIN"}, []string{"ALL"}), 0, "would grant SYS_ADMIN"},
		{"a CAP_ name respelt is a first-time grant on containerd", c([]string{"CAP_NET_ADMIN"}, nil), c([]string{"NET_ADMIN"}, []string{"ALL"}), 0, "containerd://1.6.20 the hardened spec would grant NET_ADMIN"},
		{"...unless the flag licenses it", c([]string{"CAP_NET_ADMIN"}, nil), c([]string{"NET_ADMIN"}, []string{"ALL"}), capset.Of(12), ""},
		{"NET_RAW outside CRI-O's defaults", c(nil, nil), c([]string{"NET_RAW"}, []string{"ALL"}), 0, "cri-o://1.30.0 the hardened spec would grant NET_RAW"},
		{"add ALL drop ALL grants everything on Docker", c([]string{"NET_ADMIN"}, []string{"ALL"}), c([]string{"ALL"}, []string{"ALL"}), 0, "docker://24.0.7"},
		{"dropping ALL never raises", c([]string{"ALL"}, []string{"NET_RAW"}), c(nil, []string{"ALL"}), 0, ""},
		{"an unknown name only the hardened spec has is refused", c(nil, nil), c([]string{"FLY"}, []string{"ALL"}), 0, "would refuse the hardened spec"},
	}
	for _, tt := range tests {
		got := raise(policy.Pod{}, tt.before, tt.after, tt.licensed, rules)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
