package cmd

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// observedProbe is what the probe prints for a web server: a root master listening on :80 (tcp6
// LISTEN, state 0A) that started a worker as uid 1025.
const observedProbe = "@@kubectl-caps 1\n@@portstart 1024\n@@scope cgroup\n" +
	"@@pid 1\nName:\thttpd\nPid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\n" +
	"CapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n" +
	"@@pid 8\nName:\tworker\nPid:\t8\nPPid:\t1\nUid:\t1025\t1025\t1025\t1025\nGid:\t1025\t1025\t1025\t1025\nCapInh:\t0000000000000000\n" +
	"CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n" +
	"@@others 0\n@@net tcp6\n  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
	"   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 106740 1 0000000000000000 100 0 0 10 0\n" +
	"@@end\n"

// TestHardenObserveUsesTheCollector: --observe execs into the workload's running pods (found by
// the live workload's selector, as show finds them) through the same pipeline as show, and turns
// what they do into reasons.
func TestHardenObserveUsesTheCollector(t *testing.T) {
	deploy, _, _ := fakeapi.Deployment("shop", "web", 0, "web")
	pod := fakeapi.Pod("shop", "web-1", "web")
	pod.Labels = map[string]string{"app": "web"}
	other := fakeapi.Pod("shop", "db-1", "db")
	s := start(t, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": observedProbe})}, deploy, pod, other)
	manifest := filepath.Join(t.TempDir(), "web.yaml")
	os.WriteFile(manifest, []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: httpd
`), 0o644)
	stdout, stderr, code := runCaps(t, s, "harden", "--observe", "-f", manifest)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"- SETGID", "- SETUID", "- NET_BIND_SERVICE", "drop:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("hardened manifest lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"SETUID added (observed)", "listening on port 80", "pid 8 (worker)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("report lacks %q:\n%s", want, stderr)
		}
	}
	execs := s.Execs()
	if len(execs) != 1 {
		t.Errorf("%d execs, want exactly one (the web pod's container)", len(execs))
	}
	assertReadOnly(t, s)
}

// TestShowAndHardenReadTheSamePods: a Deployment whose selector (app=web) is wider than its
// template's labels (app=web, tier=front) owns a pod an older template made (web-old, without
// tier). show deploy/web reads the pods the selector matches; harden deploy/web --observe must
// read exactly the same pods and containers, through the real exec protocol.
func TestShowAndHardenReadTheSamePods(t *testing.T) {
	deploy, _, _ := fakeapi.Deployment("shop", "web", 0, "web", "sidecar")
	deploy.Spec.Template.Labels = map[string]string{"app": "web", "tier": "front"}
	current := fakeapi.Pod("shop", "web-new", "web", "sidecar")
	current.Labels = map[string]string{"app": "web", "tier": "front"}
	old := fakeapi.Pod("shop", "web-old", "web", "sidecar")
	old.Labels = map[string]string{"app": "web"}
	other := fakeapi.Pod("shop", "db-1", "db")
	s := start(t, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": observedProbe})}, deploy, current, old, other)

	execed := func() []string {
		var out []string
		for _, e := range s.Execs() {
			out = append(out, e.Namespace+"/"+e.Pod+"/"+e.Container)
		}
		sort.Strings(out)
		return out
	}
	if _, stderr, code := runCaps(t, s, "show", "deploy/web", "-n", "shop"); code != 0 {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	shown := execed()
	s.ResetLogs()
	if _, stderr, code := runCaps(t, s, "harden", "deploy/web", "-n", "shop", "--observe"); code != 0 {
		t.Fatalf("harden: exit %d: %s", code, stderr)
	}
	observed := execed()
	want := []string{"shop/web-new/sidecar", "shop/web-new/web", "shop/web-old/sidecar", "shop/web-old/web"}
	if strings.Join(shown, " ") != strings.Join(want, " ") {
		t.Errorf("show read %v, want %v", shown, want)
	}
	if strings.Join(observed, " ") != strings.Join(shown, " ") {
		t.Errorf("harden --observe read %v, show read %v: they must read the same containers", observed, shown)
	}
	assertReadOnly(t, s)
}
