//go:build e2e

package e2e

import (
	"fmt"
	"testing"
)

// Scenario 11: targets resolved as kubectl does: deploy/, sts/, ds/, job/, -l, -A across two
// namespaces, -c, several targets at once. Each must give exactly the containers of the pods the
// workload owns.
func TestScenario11Targets(t *testing.T) {
	t.Parallel()
	nsA := namespace(t, "s11a")
	nsB := namespace(t, "s11b")
	tmpl := func(app string) string {
		return fmt.Sprintf(`    metadata: {labels: {app: %s, suite: s11}}
    spec:
      terminationGracePeriodSeconds: 1
      automountServiceAccountToken: false
      containers:
      - {name: main, image: %s, imagePullPolicy: Never}`, app, capshImage)
	}
	manifest := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
%s
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
%s
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
%s
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  backoffLimit: 0
  template:
    metadata: {labels: {app: batch, suite: s11}}
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      automountServiceAccountToken: false
      containers:
      - {name: main, image: %s, imagePullPolicy: Never}
---
apiVersion: v1
kind: Pod
metadata: {name: two, labels: {app: two, suite: s11}}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  containers:
  - {name: left, image: %s, imagePullPolicy: Never}
  - {name: right, image: %s, imagePullPolicy: Never, securityContext: {capabilities: {drop: [ALL]}}}
`, tmpl("web"), tmpl("db"), tmpl("agent"), capshImage, capshImage, capshImage)
	apply(t, nsA, manifest)
	apply(t, nsB, podSpec("other", capshImage, "{}", "{}"))
	must(t, "label", "pod", "-n", nsB, "other", "suite=s11")
	for app, n := range map[string]int{"web": 2, "db": 1, "agent": 1, "batch": 1, "two": 1} {
		waitSelectorReady(t, nsA, "app="+app, n)
	}
	waitReady(t, nsB, "other")

	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"deploy", []string{"-n", nsA, "deploy/web"}, podsOf(t, nsA, "app=web")},
		{"deployment-long", []string{"-n", nsA, "deployment/web"}, podsOf(t, nsA, "app=web")},
		{"sts", []string{"-n", nsA, "sts/db"}, podsOf(t, nsA, "app=db")},
		{"ds", []string{"-n", nsA, "ds/agent"}, podsOf(t, nsA, "app=agent")},
		{"job", []string{"-n", nsA, "job/batch"}, podsOf(t, nsA, "app=batch")},
		{"pod-name", []string{"-n", nsA, "two"}, podsOf(t, nsA, "app=two")},
		{"label", []string{"-n", nsA, "-l", "app=web"}, podsOf(t, nsA, "app=web")},
		{"several", []string{"-n", nsA, "deploy/web", "sts/db"}, append(podsOf(t, nsA, "app=web"), podsOf(t, nsA, "app=db")...)},
		{"container", []string{"-n", nsA, "pod/two", "-c", "right"}, []string{key(nsA, "two", "right")}},
		{"all-namespaces-label", []string{"-A", "-l", "suite=s11"}, append(podsOf(t, nsA, "suite=s11"), podsOf(t, nsB, "suite=s11")...)},
		{"namespace-default-all-pods", []string{"-n", nsB}, podsOf(t, nsB, "suite=s11")},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := show(t, c.args...)
			if s.code != 0 {
				t.Errorf("exit code %d, want 0\n%s", s.code, s.result)
			}
			s.checkKeys(t, fmt.Sprintf("kubectl caps show %v", c.args), c.want)
			for _, r := range s.rep.Containers {
				if r.Namespace != nsA && r.Namespace != nsB {
					continue
				}
				if r.Live == nil {
					t.Errorf("%s: no live reading (error %q, skipped %q)", key(r.Namespace, r.Pod, r.Container), r.Error, r.Skipped)
				}
			}
		})
	}
	t.Run("all-namespaces", func(t *testing.T) {
		// Plain -A sees other tests' pods too: only require that both namespaces are complete.
		s := show(t, "-A")
		want := append(podsOf(t, nsA, ""), podsOf(t, nsB, "")...)
		got := map[string]bool{}
		for _, k := range s.keys("") {
			got[k] = true
		}
		for _, k := range want {
			if !got[k] {
				t.Errorf("-A: missing %s", k)
			}
		}
	})
	t.Run("container-values", func(t *testing.T) {
		s := show(t, "-n", nsA, "pod/two", "-c", "right")
		row := s.row(t, nsA, "two", "right")
		checkLive(t, row, truth(t, nsA, "two", "right", 1))
		checkExpected(t, row, sets(none, none, none, none, none))
	})
}
