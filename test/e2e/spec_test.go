//go:build e2e

package e2e

import (
	"testing"
)

// specCase is one pod whose capabilities follow from its securityContext alone.
type specCase struct {
	name         string
	podSC, ctrSC string   // YAML flow mappings
	live         fiveSets // what the kernel gives: checked against ground truth first
	// expected is what `show` must predict, when it differs from live (nil: same as live).
	expected *fiveSets
	// nodeBound: the prediction may name capabilities the node itself lacks (a privileged
	// container gets "everything", and this VM has no SYS_RESOURCE); compare it within the node's
	// full set.
	nodeBound    bool
	noNewPrivs   bool
	seccomp      int // ground truth Seccomp: 0 disabled, 2 filter
	want, forbid []string
}

// runSpecCases starts one pod per case in a fresh namespace, runs `kubectl caps show -n NS` once,
// and checks every row against ground truth, the expected model and the findings.
func runSpecCases(t *testing.T, nsName string, cases []specCase) {
	ns := namespace(t, nsName)
	var manifest string
	var pods []string
	for _, c := range cases {
		manifest += podSpec(c.name, capshImage, c.podSC, c.ctrSC)
		pods = append(pods, c.name)
	}
	apply(t, ns, manifest)
	waitReady(t, ns, pods...)
	// Ground truth first: it checks the cluster behaves as the suite assumes, whatever the plugin does.
	gts := map[string]procStatus{}
	for _, c := range cases {
		gt := truth(t, ns, c.name, "main", 1)
		checkTruth(t, c.name, gt, c.live)
		if (gt.NoNewPrivs == 1) != c.noNewPrivs || gt.Seccomp != c.seccomp {
			t.Fatalf("%s: ground truth NoNewPrivs %d Seccomp %d, suite assumes %v/%d", c.name, gt.NoNewPrivs, gt.Seccomp, c.noNewPrivs, c.seccomp)
		}
		gts[c.name] = gt
	}
	s := show(t, "-n", ns)
	t.Logf("kubectl caps show -n %s: exit %d, rows %v", ns, s.code, s.keys(ns))
	if s.code != 0 {
		t.Errorf("exit code %d, want 0: every container here can be read\n%s", s.code, s.result)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gt := gts[c.name]
			row := s.row(t, ns, c.name, "main")
			checkLive(t, row, gt)
			exp := c.live
			if c.expected != nil {
				exp = *c.expected
			}
			if c.nodeBound && row.Expected != nil {
				e := fromReport(t, "expected", row.Expected.Sets)
				for i := range e {
					if extra := e[i].Minus(h.nodeFull); !extra.Empty() {
						t.Logf("expected %s names %v, which this node cannot grant; compared within the node's set", setNames[i], extra.Names())
					}
					e[i] = e[i].Intersect(h.nodeFull)
				}
				checkSets(t, "report's expected sets (within the node's full set) vs the runtime's rules", exp, e)
			} else {
				checkExpected(t, row, exp)
			}
			if row.Expected != nil && row.Expected.NoNewPrivs != c.noNewPrivs {
				t.Errorf("expected.noNewPrivs = %v, want %v", row.Expected.NoNewPrivs, c.noNewPrivs)
			}
			checkFindings(t, row, c.want, c.forbid)
		})
	}
	checkNodeMode(t, ns, &s)
}

// Scenario 1: no securityContext: the runtime's 14 defaults, as root and as uid 1025 (for whom
// they stay only in the bounding set).
func TestScenario01RuntimeDefaults(t *testing.T) {
	t.Parallel()
	runSpecCases(t, "s01", []specCase{{
		name: "root", podSC: "{}", ctrSC: "{}",
		live: sets(none, defaults, defaults, defaults, none),
		want: []string{fDefaultsKept, fEscalation, fSeccompUnconf}, forbid: []string{fPrivileged, fNotEffective, fLiveDiffers},
	}, {
		name: "uid1025", podSC: "{runAsUser: 1025}", ctrSC: "{}",
		live: sets(none, none, none, defaults, none),
		want: []string{fDefaultsKept, fEscalation, fSeccompUnconf}, forbid: []string{fPrivileged, fNotEffective, fLiveDiffers},
	}})
}

// Scenario 2: privileged: the node's full set in the bounding set; for uid 1025 nothing effective.
func TestScenario02Privileged(t *testing.T) {
	t.Parallel()
	full := h.nodeFull
	runSpecCases(t, "s02", []specCase{{
		name: "root", podSC: "{}", ctrSC: "{privileged: true}",
		live: sets(none, full, full, full, none), nodeBound: true,
		want: []string{fPrivileged, fEscalation}, forbid: []string{fNotEffective, fLiveDiffers},
	}, {
		name: "uid1025", podSC: "{runAsUser: 1025}", ctrSC: "{privileged: true, allowPrivilegeEscalation: true}",
		live: sets(none, none, none, full, none), nodeBound: true,
		want: []string{fPrivileged, fEscalation}, forbid: []string{fLiveDiffers},
	}})
}

// Scenario 3: privileged: false + allowPrivilegeEscalation: false is not "unprivileged": the
// runtime defaults stay, only no_new_privs is set.
func TestScenario03NoEscalation(t *testing.T) {
	t.Parallel()
	runSpecCases(t, "s03", []specCase{{
		name: "root", podSC: "{}", ctrSC: "{privileged: false, allowPrivilegeEscalation: false}",
		live: sets(none, defaults, defaults, defaults, none), noNewPrivs: true,
		want: []string{fDefaultsKept}, forbid: []string{fPrivileged, fEscalation, fNotEffective, fLiveDiffers},
	}, {
		name: "uid1025", podSC: "{runAsUser: 1025}", ctrSC: "{privileged: false, allowPrivilegeEscalation: false}",
		live: sets(none, none, none, defaults, none), noNewPrivs: true,
		want: []string{fDefaultsKept}, forbid: []string{fPrivileged, fEscalation, fNotEffective, fLiveDiffers},
	}})
}

// Scenario 4: drop ALL empties every set; drop ALL + add SYS_TIME gives SYS_TIME to root, and to
// uid 1025 only in the bounding set (added-not-effective).
func TestScenario04DropAll(t *testing.T) {
	t.Parallel()
	runSpecCases(t, "s04", []specCase{{
		name: "drop-all", podSC: "{}", ctrSC: "{capabilities: {drop: [ALL]}}",
		live:   sets(none, none, none, none, none),
		forbid: []string{fDefaultsKept, fEscalation, fPrivileged, fNotEffective, fLiveDiffers},
	}, {
		name: "systime-root", podSC: "{}", ctrSC: "{capabilities: {drop: [ALL], add: [SYS_TIME]}}",
		live: sets(none, sysTime, sysTime, sysTime, none),
		want: []string{fEscalation}, forbid: []string{fDefaultsKept, fPrivileged, fNotEffective, fLiveDiffers},
	}, {
		name: "systime-uid1025", podSC: "{runAsUser: 1025}", ctrSC: "{capabilities: {drop: [ALL], add: [SYS_TIME]}}",
		live: sets(none, none, none, sysTime, none),
		want: []string{fNotEffective, fEscalation}, forbid: []string{fDefaultsKept, fPrivileged, fLiveDiffers},
	}})
}

// Scenario 5: seccompProfile RuntimeDefault (Seccomp: 2, filter) against Unconfined (0).
func TestScenario05Seccomp(t *testing.T) {
	t.Parallel()
	runSpecCases(t, "s05", []specCase{{
		name: "runtime-default", podSC: "{seccompProfile: {type: RuntimeDefault}}", ctrSC: "{capabilities: {drop: [ALL]}}",
		live: sets(none, none, none, none, none), seccomp: 2,
		forbid: []string{fSeccompUnconf, fLiveDiffers},
	}, {
		name: "unconfined", podSC: "{seccompProfile: {type: Unconfined}}", ctrSC: "{capabilities: {drop: [ALL]}}",
		live: sets(none, none, none, none, none), seccomp: 0,
		want: []string{fSeccompUnconf}, forbid: []string{fLiveDiffers},
	}})
}
