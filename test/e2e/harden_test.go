//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Scenario 13: harden round trip. A root workload that binds port 80 and one that needs nothing
// go through `kubectl caps harden -f`; the hardened manifests apply, the pods become Ready (the web
// server really listens: a TCP readiness probe on port 80), and they hold exactly the capabilities
// `show` predicts: NET_BIND_SERVICE for the web server, nothing for the other.
func TestScenario13HardenRoundTrip(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "s13")
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web80}
spec:
  replicas: 1
  selector: {matchLabels: {app: web80}}
  template:
    metadata: {labels: {app: web80}}
    spec:
      terminationGracePeriodSeconds: 1
      automountServiceAccountToken: false
      containers:
      - name: httpd
        image: ` + capshImage + `
        imagePullPolicy: Never
        command: [httpd, -f, -p, "80"]
        ports:
        - containerPort: 80
        readinessProbe:
          tcpSocket: {port: 80}
          periodSeconds: 2
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: idle}
spec:
  replicas: 1
  selector: {matchLabels: {app: idle}}
  template:
    metadata: {labels: {app: idle}}
    spec:
      terminationGracePeriodSeconds: 1
      automountServiceAccountToken: false
      containers:
      - name: main
        image: ` + capshImage + `
        imagePullPolicy: Never
`
	file := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	hr := kubectl(t, "caps", "harden", "-f", file)
	if hr.code != 0 {
		t.Fatalf("kubectl caps harden failed:\n%s", hr)
	}
	hardened := hr.stdout
	t.Logf("hardened manifest:\n%s\nreport (stderr):\n%s", hardened, hr.stderr)
	if !strings.Contains(hardened, "ALL") || !strings.Contains(hardened, "NET_BIND_SERVICE") {
		t.Errorf("hardened manifest lacks drop ALL or NET_BIND_SERVICE:\n%s", hardened)
	}
	apply(t, ns, hardened)
	web := waitSelectorReady(t, ns, "app=web80", 1)
	idle := waitSelectorReady(t, ns, "app=idle", 1)

	s := show(t, "-n", ns)
	if s.code != 0 {
		t.Errorf("exit code %d, want 0\n%s", s.code, s.result)
	}
	for _, c := range []struct {
		pod, ctr string
		eff      fiveSets
	}{
		{web[0], "httpd", sets(none, netBind, netBind, netBind, none)},
		{idle[0], "main", sets(none, none, none, none, none)},
	} {
		t.Run(c.ctr, func(t *testing.T) {
			row := s.row(t, ns, c.pod, c.ctr)
			gt := truth(t, ns, c.pod, c.ctr, 1)
			checkLive(t, row, gt)
			// Exactly what show predicts...
			if row.Expected != nil {
				checkSets(t, "live vs show's prediction", fromReport(t, "expected", row.Expected.Sets), gt.sets())
			} else {
				t.Errorf("no prediction in the report")
			}
			// ...and that is the minimum the workload needs.
			checkSets(t, "live vs the minimal set", c.eff, gt.sets())
			checkFindings(t, row, nil, []string{fDefaultsKept, fLiveDiffers, fPrivileged})
			if gt.NoNewPrivs != 1 {
				t.Errorf("hardened container runs without no_new_privs (allowPrivilegeEscalation: false not set)")
			}
		})
	}
}
