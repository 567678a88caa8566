package expect

import (
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

func ptr[T any](v T) *T { return &v }

// The node of ../shared/cluster: containerd 1.6.20 on a VM whose root lacks SYS_RESOURCE.
var localNode = Node{Runtime: ParseRuntime("containerd://1.6.20"), Full: capset.Set(0x000001fffeffffff)}

func TestPredict(t *testing.T) {
	sysTime := capset.Of(25)
	tests := []struct {
		name     string
		declared report.Declared
		node     Node
		observed *int64
		wantEff  capset.Set
		wantBnd  capset.Set
		wantInh  capset.Set
		wantNNP  bool
		wantSecc reading.SeccompMode
		ignored  int
	}{
		{name: "no securityContext, root: the 14 runtime defaults",
			node: localNode, wantEff: 0xa80425fb, wantBnd: 0xa80425fb},
		{name: "no securityContext, uid 1025: bounding only",
			declared: report.Declared{RunAsUser: ptr[int64](1025)}, node: localNode, wantEff: 0, wantBnd: 0xa80425fb},
		{name: "privileged root gets the node's full set, not every known capability",
			declared: report.Declared{Privileged: true}, node: localNode, wantEff: 0x1fffeffffff, wantBnd: 0x1fffeffffff},
		{name: "privileged uid 1025: full bounding, empty effective",
			declared: report.Declared{Privileged: true, RunAsUser: ptr[int64](1025)}, node: localNode, wantEff: 0, wantBnd: 0x1fffeffffff},
		{name: "allowPrivilegeEscalation false keeps defaults, sets no_new_privs",
			declared: report.Declared{AllowPrivilegeEscalation: ptr(false), RunAsUser: ptr[int64](1025)}, node: localNode,
			wantEff: 0, wantBnd: 0xa80425fb, wantNNP: true},
		{name: "drop ALL empties every set",
			declared: report.Declared{Drop: []string{"ALL"}, RunAsUser: ptr[int64](1025)}, node: localNode},
		{name: "lowercase all is ALL too",
			declared: report.Declared{Drop: []string{"all"}}, node: localNode},
		{name: "drop ALL add SYS_TIME as root",
			declared: report.Declared{Drop: []string{"ALL"}, Add: []string{"SYS_TIME"}}, node: localNode, wantEff: sysTime, wantBnd: sysTime},
		{name: "drop ALL add SYS_TIME as 1025: not effective",
			declared: report.Declared{Drop: []string{"ALL"}, Add: []string{"SYS_TIME"}, RunAsUser: ptr[int64](1025)}, node: localNode, wantBnd: sysTime},
		{name: "YAML order does not matter: drop wins over add of the same capability",
			declared: report.Declared{Add: []string{"NET_RAW"}, Drop: []string{"NET_RAW"}}, node: localNode,
			wantEff: capset.Set(0xa80425fb).Without(13), wantBnd: capset.Set(0xa80425fb).Without(13)},
		{name: "add ALL then drop one",
			declared: report.Declared{Add: []string{"ALL"}, Drop: []string{"CHOWN"}}, node: localNode,
			wantEff: capset.Set(0x1fffeffffff).Without(0), wantBnd: capset.Set(0x1fffeffffff).Without(0)},
		{name: "CAP_ prefix and unknown names are ignored by the runtime",
			declared: report.Declared{Add: []string{"CAP_SYS_TIME", "net_admin", "BOGUS", "35"}}, node: localNode,
			wantEff: capset.Set(0xa80425fb).With(12), wantBnd: capset.Set(0xa80425fb).With(12), ignored: 3},
		{name: "CRI-O grants 9 by default",
			node: Node{Runtime: ParseRuntime("cri-o://1.30.2")}, wantEff: 0x5fb, wantBnd: 0x5fb},
		{name: "old containerd copies the set into inheritable (the walkthrough's +i)",
			declared: report.Declared{RunAsUser: ptr[int64](1025)}, node: Node{Runtime: ParseRuntime("containerd://1.4.3")},
			wantBnd: 0xa80425fb, wantInh: 0xa80425fb},
		{name: "image user decides when runAsUser is unset",
			node: localNode, observed: ptr[int64](65532), wantBnd: 0xa80425fb},
		{name: "RuntimeDefault seccomp is a filter",
			declared: report.Declared{Seccomp: "RuntimeDefault"}, node: localNode, wantEff: 0xa80425fb, wantBnd: 0xa80425fb, wantSecc: 2},
		{name: "privileged gets no default seccomp",
			declared: report.Declared{Privileged: true}, node: localNode, wantEff: 0x1fffeffffff, wantBnd: 0x1fffeffffff},
		{name: "adding a capability the node lacks cannot grant it",
			declared: report.Declared{Drop: []string{"ALL"}, Add: []string{"SYS_RESOURCE"}}, node: localNode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Predict(Input{Declared: tt.declared, Node: tt.node, ObservedUID: tt.observed})
			if p.Eff != tt.wantEff || p.Prm != tt.wantEff || p.Bnd != tt.wantBnd || p.Inh != tt.wantInh {
				t.Errorf("got eff=%v prm=%v bnd=%v inh=%v\nwant eff=%v bnd=%v inh=%v", p.Eff.Names(), p.Prm.Names(), p.Bnd.Names(), p.Inh.Names(),
					tt.wantEff.Names(), tt.wantBnd.Names(), tt.wantInh.Names())
			}
			if p.Amb != 0 {
				t.Errorf("ambient = %v, Kubernetes sets none", p.Amb.Names())
			}
			if p.NoNewPrivs != tt.wantNNP {
				t.Errorf("no_new_privs = %v, want %v", p.NoNewPrivs, tt.wantNNP)
			}
			if p.Seccomp != tt.wantSecc {
				t.Errorf("seccomp = %d, want %d", p.Seccomp, tt.wantSecc)
			}
			if len(p.Ignored) != tt.ignored {
				t.Errorf("ignored = %v, want %d names", p.Ignored, tt.ignored)
			}
		})
	}
}

// TestPredictRuntimeRules: the three runtimes read add and drop lists differently (see resolve
// and compose for the code each rule was read from).
func TestPredictRuntimeRules(t *testing.T) {
	def, crio := capset.RuntimeDefaultContainerd, capset.RuntimeDefaultCRIO
	full := capset.Known
	const sysAdmin, netRaw, netAdmin, sysTime, chown = 21, 13, 12, 25, 0
	rt := func(s string) Node { return Node{Runtime: ParseRuntime(s)} }
	tests := []struct {
		name     string
		node     Node
		add      []string
		drop     []string
		want     capset.Set
		rejected int
		ignored  int
	}{
		{"containerd: a drop beats an add of the same name", rt("containerd://2.1.0"), []string{"SYS_ADMIN"}, []string{"SYS_ADMIN"}, def, 0, 0},
		{"cri-o: a drop beats an add of the same name", rt("cri-o://1.30.0"), []string{"SYS_ADMIN"}, []string{"SYS_ADMIN"}, crio, 0, 0},
		{"docker: an add beats a drop of the same name", rt("docker://24.0.7"), []string{"SYS_ADMIN"}, []string{"SYS_ADMIN"}, def.With(sysAdmin), 0, 0},
		{"docker before 19.03: an add beats a drop too", rt("docker://18.09.9"), []string{"SYS_ADMIN"}, []string{"SYS_ADMIN"}, def.With(sysAdmin), 0, 0},
		{"containerd: add ALL, drop ALL grants only named adds", rt("containerd://1.6.20"), []string{"ALL", "NET_RAW"}, []string{"ALL"}, capset.Of(netRaw), 0, 0},
		{"docker 19.03+: add ALL wins over drop ALL", rt("docker://24.0.7"), []string{"ALL"}, []string{"ALL", "CHOWN"}, full.Without(chown), 0, 0},
		{"docker before 19.03: add ALL, drop ALL grants only named adds", rt("docker://18.09.9"), []string{"ALL", "NET_RAW"}, []string{"ALL"}, capset.Of(netRaw), 0, 0},
		{"containerd: add ALL drop X is all but X", rt("containerd://1.6.20"), []string{"ALL"}, []string{"NET_RAW"}, full.Without(netRaw), 0, 0},
		{"containerd ignores CAP_ names", rt("containerd://1.6.20"), []string{"CAP_NET_ADMIN", "cap_sys_time"}, []string{"ALL"}, 0, 0, 2},
		{"cri-o applies CAP_ names in any case", rt("cri-o://1.30.0"), []string{"CAP_NET_ADMIN", "cap_sys_time"}, []string{"ALL"}, capset.Of(netAdmin, sysTime), 0, 0},
		{"docker applies CAP_ names", rt("docker://24.0.7"), []string{"CAP_NET_ADMIN", "sys_time"}, []string{"ALL"}, capset.Of(netAdmin, sysTime), 0, 0},
		{"docker before 19.03 refuses CAP_ names", rt("docker://18.09.9"), []string{"CAP_NET_ADMIN"}, []string{"ALL"}, 0, 1, 0},
		{"cri-o refuses unknown names, in drop too", rt("cri-o://1.30.0"), []string{"FLY"}, []string{"CAP_ALL"}, crio, 2, 0},
		{"docker refuses unknown names", rt("docker://24.0.7"), []string{"35"}, nil, def, 1, 0},
		{"containerd ignores unknown names and CAP_ALL", rt("containerd://1.6.20"), []string{"FLY"}, []string{"CAP_ALL"}, def, 0, 2},
		{"lower-case all is ALL everywhere", rt("cri-o://1.30.0"), nil, []string{"all"}, 0, 0, 0},
		{"docker: lower-case all is ALL", rt("docker://24.0.7"), nil, []string{"All"}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Predict(Input{Declared: report.Declared{Add: tt.add, Drop: tt.drop}, Node: tt.node})
			if p.Bnd != tt.want || p.Eff != tt.want {
				t.Errorf("bounding %v effective %v, want %v", p.Bnd.Names(), p.Eff.Names(), tt.want.Names())
			}
			if len(p.Rejected) != tt.rejected || len(p.Ignored) != tt.ignored {
				t.Errorf("rejected %q ignored %q, want %d and %d", p.Rejected, p.Ignored, tt.rejected, tt.ignored)
			}
		})
	}
}

func TestRuleSets(t *testing.T) {
	families := map[string]int{}
	for _, r := range RuleSets() {
		families[r.Family]++
		if r.Name() == "" || r.Version == "" {
			t.Errorf("rule set %+v has no version", r)
		}
	}
	if families["containerd"] < 2 || families["cri-o"] < 2 || families["docker"] < 3 {
		t.Errorf("every family and the versions where its rules change must be modelled: %v", families)
	}
}

func TestPredictAssumptions(t *testing.T) {
	p := Predict(Input{Declared: report.Declared{Privileged: true}, Node: Node{Runtime: ParseRuntime("")}})
	if p.Bnd != capset.Known {
		t.Errorf("unknown node: bounding = %v, want every known capability", p.Bnd.Names())
	}
	if len(p.Assumptions) < 3 {
		t.Errorf("want the unknown full set, runtime and uid stated as assumptions, got %q", p.Assumptions)
	}
}

func TestParseRuntime(t *testing.T) {
	tests := []struct {
		in      string
		family  string
		inherit bool
	}{
		{"containerd://1.6.20", "containerd", false},
		{"containerd://1.6.1", "containerd", true},
		{"containerd://1.5.11", "containerd", false},
		{"containerd://2.0.0", "containerd", false},
		{"containerd://v1.7.13-k3s1", "containerd", false},
		{"docker://20.10.7", "docker", true},
		{"docker://24.0.7", "docker", false},
		{"cri-o://1.23.2", "cri-o", true},
		{"cri-o://1.29.1", "cri-o", false},
		{"rkt://1.0", "unknown", false},
		{"", "unknown", false},
	}
	for _, tt := range tests {
		r := ParseRuntime(tt.in)
		if r.Family != tt.family || r.SetsInheritable() != tt.inherit {
			t.Errorf("%q: family %q inherit %v, want %q %v", tt.in, r.Family, r.SetsInheritable(), tt.family, tt.inherit)
		}
	}
}
