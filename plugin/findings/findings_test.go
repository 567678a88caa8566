package findings

import (
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/expect"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

func ptr[T any](v T) *T { return &v }

var node = expect.Node{Runtime: expect.ParseRuntime("containerd://1.6.20"), Full: 0x1fffeffffff}

func proc(pid int, uid int64, eff, bnd capset.Set, nnp bool, seccomp reading.SeccompMode) reading.Process {
	return reading.Process{PID: pid, Name: "app", UID: [4]int64{uid, uid, uid, uid}, HasIDs: true,
		Prm: eff, Eff: eff, Bnd: bnd, NoNewPrivs: nnp, HasNoNewPrivs: true, Seccomp: seccomp}
}

func TestEvaluate(t *testing.T) {
	def := capset.RuntimeDefaultContainerd
	sysTime := capset.Of(25)
	tests := []struct {
		name     string
		declared report.Declared
		procs    []reading.Process
		capsh    bool
		want     []string
		contains map[string]string // id -> substring of its message
	}{
		{name: "privileged: false still keeps the 14 defaults",
			declared: report.Declared{}, procs: []reading.Process{proc(1, 0, def, def, false, 0)},
			want:     []string{RuntimeDefaultsKept, EscalationPossible, SeccompUnconfined},
			contains: map[string]string{RuntimeDefaultsKept: "14 default"}},
		{name: "hardened container has nothing to say",
			declared: report.Declared{Drop: []string{"ALL"}, AllowPrivilegeEscalation: ptr(false), Seccomp: "RuntimeDefault", RunAsUser: ptr[int64](1000)},
			procs:    []reading.Process{proc(1, 1000, 0, 0, true, 2)}},
		{name: "SYS_TIME added for uid 1025 is not effective",
			declared: report.Declared{Drop: []string{"ALL"}, Add: []string{"SYS_TIME"}, RunAsUser: ptr[int64](1025)},
			procs:    []reading.Process{proc(1, 1025, 0, sysTime, false, 0)},
			want:     []string{AddedNotEffective, EscalationPossible, SeccompUnconfined},
			contains: map[string]string{AddedNotEffective: "SYS_TIME added but uid 1025 is not root"}},
		{name: "SYS_TIME added for root is effective",
			declared: report.Declared{Drop: []string{"ALL"}, Add: []string{"SYS_TIME"}, AllowPrivilegeEscalation: ptr(false), Seccomp: "RuntimeDefault"},
			procs:    []reading.Process{proc(1, 0, sysTime, sysTime, true, 2)}},
		{name: "privileged",
			declared: report.Declared{Privileged: true},
			procs:    []reading.Process{proc(1, 0, 0x1fffeffffff, 0x1fffeffffff, false, 0)},
			want:     []string{Privileged, EscalationPossible, SeccompUnconfined},
			contains: map[string]string{Privileged: "(40)"}},
		{name: "a process dropped part of its bounding set",
			declared: report.Declared{AllowPrivilegeEscalation: ptr(false), Seccomp: "RuntimeDefault"},
			procs:    []reading.Process{proc(1, 0, def, def, true, 2), proc(7, 0, def.Without(13), def.Without(13), true, 2)},
			want:     []string{RuntimeDefaultsKept, LiveDiffersFromSpec},
			contains: map[string]string{LiveDiffersFromSpec: "pid 7 (app): bounding dropped -NET_RAW"}},
		{name: "a non-root process raised capabilities through file capabilities",
			declared: report.Declared{RunAsUser: ptr[int64](1025), Seccomp: "RuntimeDefault"},
			procs:    []reading.Process{proc(1, 1025, capset.Of(10), def, false, 2)},
			want:     []string{RuntimeDefaultsKept, EscalationPossible, LiveDiffersFromSpec},
			contains: map[string]string{LiveDiffersFromSpec: "uid 1025 holds effective NET_BIND_SERVICE (file capabilities)"}},
		{name: "CAP_ prefix is reported as ignored",
			declared: report.Declared{Drop: []string{"ALL"}, Add: []string{"CAP_NET_ADMIN"}, AllowPrivilegeEscalation: ptr(false), Seccomp: "RuntimeDefault"},
			procs:    []reading.Process{proc(1, 0, 0, 0, true, 2)},
			want:     []string{NameIgnored}},
		{name: "capsh reading: no live-differs from the exec'd process",
			declared: report.Declared{Seccomp: "RuntimeDefault", AllowPrivilegeEscalation: ptr(false)},
			procs:    []reading.Process{proc(0, 0, 0, def, false, -1)}, capsh: true,
			want: []string{RuntimeDefaultsKept}},
		{name: "many differing processes make one finding",
			declared: report.Declared{AllowPrivilegeEscalation: ptr(false), Seccomp: "RuntimeDefault"},
			procs: []reading.Process{proc(1, 0, def, def, true, 2), proc(2, 0, def.Without(13), def.Without(13), true, 2),
				proc(3, 0, def.Without(13), def.Without(13), true, 2), proc(4, 0, def.Without(13), def.Without(13), true, 2),
				proc(5, 0, def.Without(13), def.Without(13), true, 2), proc(6, 0, def.Without(13), def.Without(13), true, 2),
				proc(7, 0, def.Without(13), def.Without(13), true, 2), proc(8, 0, def.Without(13), def.Without(13), true, 2)},
			want:     []string{RuntimeDefaultsKept, LiveDiffersFromSpec},
			contains: map[string]string{LiveDiffersFromSpec: "and 2 more processes"}},
		{name: "no live reading: findings from the spec alone",
			declared: report.Declared{},
			want:     []string{RuntimeDefaultsKept, EscalationPossible, SeccompUnconfined}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var main *reading.Process
			if len(tt.procs) > 0 {
				main = &tt.procs[0]
			}
			var uid *int64
			if main != nil {
				u := main.UID[1]
				uid = &u
			}
			pred := expect.Predict(expect.Input{Declared: tt.declared, Node: node, ObservedUID: uid})
			got := Evaluate(Input{Declared: tt.declared, Expected: pred, Main: main, Procs: tt.procs, LiveIsExec: tt.capsh})
			var ids []string
			for _, f := range got {
				ids = append(ids, f.ID)
				if sub, ok := tt.contains[f.ID]; ok && !strings.Contains(f.Message, sub) {
					t.Errorf("%s message %q lacks %q", f.ID, f.Message, sub)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Errorf("findings %v, want %v\n%v", ids, tt.want, got)
			}
		})
	}
}

// TestAddedNotEffectiveFollowsTheRuntime: CRI-O applies "CAP_SYS_TIME" (it keeps the prefix),
// containerd ignores it; the finding must say what this node's runtime does.
func TestAddedNotEffectiveFollowsTheRuntime(t *testing.T) {
	d := report.Declared{Drop: []string{"ALL"}, Add: []string{"CAP_SYS_TIME"}, RunAsUser: ptr[int64](1025)}
	for _, tt := range []struct {
		runtime string
		want    bool
	}{{"cri-o://1.30.2", true}, {"containerd://1.6.20", false}} {
		pred := expect.Predict(expect.Input{Declared: d, Node: expect.Node{Runtime: expect.ParseRuntime(tt.runtime), Full: 0x1fffeffffff}})
		got := false
		for _, f := range Evaluate(Input{Declared: d, Expected: pred}) {
			got = got || f.ID == AddedNotEffective
		}
		if got != tt.want {
			t.Errorf("%s: added-not-effective = %v, want %v", tt.runtime, got, tt.want)
		}
	}
}
