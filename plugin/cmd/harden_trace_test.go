package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
	"github.com/kubectl-caps/kubectl-caps/test/fakeagent"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

const workerDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: test
spec:
  template:
    spec:
      containers:
      - name: app
        image: local/capworker:v1
      - name: untraced
        image: example/sidecar
`

// workerTraceFile is `trace deploy/worker -o json` of two replicas running the e2e workload.
func workerTraceFile(t *testing.T) string {
	t.Helper()
	tr := tracereport.New()
	tr.Duration = "1m0s"
	for _, pod := range []string{"worker-5d8f9c7b6-abcde", "worker-5d8f9c7b6-fghij"} {
		checks := fakeagent.WorkerChecks(7, 4242)
		snap := capcheck.Snapshot{Path: capcheck.PathTracepoint, Arch: "amd64", Checks: checks}
		c := tracereport.Summarize(tracereport.Meta{Namespace: "test", Pod: pod, Container: "app", Node: "node-1"}, snap, checks)
		c.Workload = &tracereport.Workload{APIVersion: "apps/v1", Kind: "Deployment", Name: "worker"}
		tr.Containers = append(tr.Containers, c)
	}
	var b strings.Builder
	if err := tracereportJSON(&b, tr); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "worker.trace.json")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHardenWithEvidence(t *testing.T) {
	ev := workerTraceFile(t)
	out, stderr, code := runHarden(t, workerDeployment, "-f", "-", "--evidence", ev)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := `      - name: app
        image: local/capworker:v1
        securityContext:
          capabilities:
            drop:
            - ALL
            add:
            - CHOWN
            - NET_BIND_SERVICE
          allowPrivilegeEscalation: false
`
	if !strings.Contains(out, want) {
		t.Errorf("hardened manifest lacks\n%s\ngot:\n%s", want, out)
	}
	for _, s := range []string{
		"+ CHOWN added (traced): used by capworker (pid 4242, uid 0) in fchownat from setattr_prepare, 10 checks (in 2 of 2 traced pods)",
		"+ NET_BIND_SERVICE added (traced): used by capworker (pid 4242, uid 0) in bind from __inet_bind, 5 checks (in 2 of 2 traced pods)",
		"SYS_TIME was refused in the trace and is not added: the workload ran without it",
		"traced in 2 pods for 1m0s (kernel path tp_btf/cap_capable)",
	} {
		if !strings.Contains(stderr, s) {
			t.Errorf("report lacks %q:\n%s", s, stderr)
		}
	}
	// The container no trace covers is hardened as without a trace.
	if _, plain, _ := runHarden(t, workerDeployment, "-f", "-"); !strings.Contains(stderr, untracedBlock(plain)) {
		t.Errorf("the untraced container is decided differently with the trace:\n%s\nwithout:\n%s", stderr, plain)
	}
}

// untracedBlock is the report's lines of the container "untraced".
func untracedBlock(report string) string {
	i := strings.Index(report, "container untraced")
	if i < 0 {
		return "(no untraced container in the report)"
	}
	return report[i:]
}

func TestHardenWithEvidenceAddDenied(t *testing.T) {
	out, stderr, code := runHarden(t, workerDeployment, "-f", "-", "--evidence", workerTraceFile(t), "--add-denied")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "add:\n            - CHOWN\n            - NET_BIND_SERVICE\n            - SYS_TIME\n") || !strings.Contains(stderr, "SYS_TIME added (--add-denied): the original spec never grants it") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, stderr)
	}
}

func TestHardenEvidenceNotCovering(t *testing.T) {
	other := strings.ReplaceAll(workerDeployment, "name: worker", "name: other")
	_, stderr, code := runHarden(t, other, "-f", "-", "--evidence", workerTraceFile(t))
	if code != 0 || !strings.Contains(stderr, "no trace in --evidence covers Deployment test/other") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

func TestHardenTraceFlags(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"apiVersion":"caps.kubectl.io/v1alpha1","kind":"CapabilityReport"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", "-", "--evidence", bad}, `not a capability trace: apiVersion "caps.kubectl.io/v1alpha1" kind "CapabilityReport"`},
		{[]string{"-f", "-", "--evidence", "/nonexistent.json"}, "--evidence: open /nonexistent.json"},
		{[]string{"-f", "-", "--add-denied"}, "--add-denied needs --trace or --evidence"},
		{[]string{"-f", "-", "--agent-namespace", "x"}, "--agent-namespace applies to --trace and --via node only"},
		{[]string{"-f", "-", "--trace", "0.5s"}, "--trace: --for must be between 1s"},
		{[]string{"-f", "-", "--trace", "1m", "--evidence", bad}, "not both"},
	} {
		_, stderr, code := runHarden(t, workerDeployment, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, stderr, tc.want)
		}
	}
}

// harden --trace on a manifest of a bare pod: the pod is traced live (one privileged agent on its
// node, deleted after), and what it used is added.
func TestHardenWithLiveTrace(t *testing.T) {
	s := startTrace(t, fakeapi.Options{RunPod: fakeagent.TracePodFunc(workerEverywhere, tracepointEverywhere, fakeagent.Options{Read: 50 * time.Millisecond})})
	manifest := `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec:
  containers:
  - name: app
    image: local/capworker:v1
`
	p := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(p, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCaps(t, s, "harden", "-f", p, "--trace", "1s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "add:\n        - CHOWN\n        - NET_BIND_SERVICE\n") || !strings.Contains(stderr, "+ CHOWN added (traced): used by capworker (pid 4242, uid 0) in fchownat") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, stderr)
	}
	if left := agentPodsLeft(t, s, "default"); len(left) > 0 {
		t.Errorf("agent pods left: %v", left)
	}
}

func tracereportJSON(w *strings.Builder, tr *tracereport.Trace) error {
	return printer.TraceJSON(w, tr)
}
