//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

// Scenario 8: an image with no shell, no cat and no capsh: a clear message for that container,
// exit code 1, and the other pods still reported.
func TestScenario08NoShell(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "s08")
	apply(t, ns, podSpec("noshell", noshellImage, "{}", "{}")+podSpec("withshell", capshImage, "{}", "{}"))
	waitReady(t, ns, "noshell", "withshell")

	s := show(t, "-n", ns)
	if s.code != 1 {
		t.Errorf("exit code %d, want 1 (one container could not be read)\n%s", s.code, s.result)
	}
	bad := s.row(t, ns, "noshell", "main")
	t.Logf("message for the image without shell: %q", bad.Error)
	if bad.Error == "" {
		t.Errorf("no error for the container without shell/cat/capsh; row: %+v", *bad)
	}
	low := strings.ToLower(bad.Error)
	if !strings.Contains(low, "shell") && !strings.Contains(low, "cat") && !strings.Contains(low, "capsh") {
		t.Errorf("the message does not say what is missing (shell, cat, capsh): %q", bad.Error)
	}
	if bad.Live != nil {
		t.Errorf("a live reading for a container that cannot be read: %+v", *bad.Live)
	}
	checkExpected(t, bad, sets(none, defaults, defaults, defaults, none))
	checkLive(t, s.row(t, ns, "withshell", "main"), truth(t, ns, "withshell", "main", 1))

	// The table says it too, once, and still lists the other pod.
	tbl := kubectl(t, "caps", "show", "-n", ns)
	t.Logf("table output:\n%s", tbl)
	if tbl.code != 1 {
		t.Errorf("table: exit code %d, want 1", tbl.code)
	}
	if !strings.Contains(tbl.stdout, "withshell") || !strings.Contains(tbl.stdout+tbl.stderr, "noshell") {
		t.Errorf("table output does not list both pods:\n%s", tbl)
	}
	// The image with no shell and no cat is read completely from the node.
	if n := checkNodeMode(t, ns, &s); n.rep != nil {
		if r := n.row(t, ns, "noshell", "main"); r.Live == nil || r.Live.Name != "sleeper" || r.Error != "" {
			t.Errorf("noshell via node: %+v", r)
		}
		if n.code != 0 {
			t.Errorf("via node: exit %d, want 0: every container can be read from the node", n.code)
		}
	}
}

// Scenario 9: a finished init container, a restartable sidecar, a CrashLoopBackOff container and a
// Pending pod: a row each with its state, no crash; running containers still read.
func TestScenario09Lifecycle(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "s09")
	manifest := `apiVersion: v1
kind: Pod
metadata: {name: lifecycle}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  initContainers:
  - {name: init, image: ` + capshImage + `, imagePullPolicy: Never, command: ["true"]}
  - name: sidecar
    image: ` + capshImage + `
    imagePullPolicy: Never
    restartPolicy: Always
    command: [sleep, "2147483647"]
    securityContext: {capabilities: {drop: [ALL], add: [NET_RAW]}}
  containers:
  - {name: main, image: ` + capshImage + `, imagePullPolicy: Never}
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  containers:
  - {name: main, image: ` + capshImage + `, imagePullPolicy: Never, command: ["false"]}
---
apiVersion: v1
kind: Pod
metadata: {name: pending}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  nodeSelector: {kubectl-caps-e2e/no-such-node: "true"}
  containers:
  - {name: main, image: ` + capshImage + `, imagePullPolicy: Never}
`
	apply(t, ns, manifest)
	waitReady(t, ns, "lifecycle")
	waitFor(t, 4*time.Minute, "crash in CrashLoopBackOff", func() (bool, string) {
		p := getPod(t, ns, "crash")
		for _, c := range p.Status.ContainerStatuses {
			if c.State.Waiting != nil && c.State.Waiting.Reason == "CrashLoopBackOff" {
				return true, ""
			}
		}
		return false, "phase " + p.Status.Phase
	})

	s := show(t, "-n", ns)
	t.Logf("exit %d, rows %v\nstderr: %s", s.code, s.keys(ns), s.stderr)
	s.checkKeys(t, "lifecycle rows", []string{
		key(ns, "lifecycle", "init"), key(ns, "lifecycle", "sidecar"), key(ns, "lifecycle", "main"),
		key(ns, "crash", "main"), key(ns, "pending", "main"),
	})

	t.Run("init-finished", func(t *testing.T) {
		row := s.row(t, ns, "lifecycle", "init")
		t.Logf("type %q state %q skipped %q error %q", row.Type, row.State, row.Skipped, row.Error)
		if row.Type != "init" || !strings.HasPrefix(row.State, "terminated") {
			t.Errorf("type %q state %q, want init / terminated: Completed", row.Type, row.State)
		}
		if row.Live != nil || (row.Skipped == "" && row.Error == "") {
			t.Errorf("a finished init container must have a reason and no live reading: %+v", *row)
		}
	})
	t.Run("sidecar", func(t *testing.T) {
		row := s.row(t, ns, "lifecycle", "sidecar")
		if row.Type != "sidecar" || row.State != "running" {
			t.Errorf("type %q state %q, want sidecar / running", row.Type, row.State)
		}
		gt := truth(t, ns, "lifecycle", "sidecar", 1)
		checkTruth(t, "sidecar", gt, sets(none, netRaw, netRaw, netRaw, none))
		checkLive(t, row, gt)
		checkExpected(t, row, sets(none, netRaw, netRaw, netRaw, none))
	})
	t.Run("main", func(t *testing.T) {
		checkLive(t, s.row(t, ns, "lifecycle", "main"), truth(t, ns, "lifecycle", "main", 1))
	})
	for _, name := range []string{"crash", "pending"} {
		t.Run(name, func(t *testing.T) {
			row := s.row(t, ns, name, "main")
			t.Logf("state %q skipped %q error %q", row.State, row.Skipped, row.Error)
			if row.Live != nil {
				t.Errorf("a live reading for a container that is not running: %+v", *row.Live)
			}
			if row.Skipped == "" && row.Error == "" {
				t.Errorf("no reason given for the missing reading: %+v", *row)
			}
			if name == "crash" && !strings.Contains(row.State+row.Skipped+row.Error, "CrashLoopBackOff") {
				t.Errorf("the row does not say CrashLoopBackOff: state %q skipped %q error %q", row.State, row.Skipped, row.Error)
			}
			if name == "pending" && !strings.Contains(strings.ToLower(row.State+row.Skipped+row.Error), "pending") {
				t.Errorf("the row does not say Pending: state %q skipped %q error %q", row.State, row.Skipped, row.Error)
			}
			checkExpected(t, row, sets(none, defaults, defaults, defaults, none))
		})
	}
}
