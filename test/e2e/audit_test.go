//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// auditNamespace is namespace() for issue 14's scenarios, named audit-NAME-RUNID.
func auditNamespace(t *testing.T, name string) string {
	t.Helper()
	ns := "audit-" + name + "-" + h.runID
	must(t, "create", "namespace", ns)
	must(t, "label", "namespace", ns, "kubectl-caps-e2e=true")
	t.Cleanup(func() { kubectl(t, "delete", "namespace", ns, "--wait=false") })
	waitFor(t, 2*time.Minute, "ServiceAccount default in "+ns, func() (bool, string) {
		r := kubectl(t, "get", "serviceaccount", "default", "-n", ns)
		return r.code == 0, r.stderr
	})
	return ns
}

var embeddedReport = regexp.MustCompile(`(?s)<script type="application/json" id="caps-report">\n(.*?)</script>`)

// TestAuditByWorkloadAndHTML (issue 14): a Deployment of 3 agreeing replicas is one row with a
// count; after a process that dropped NET_RAW is started by hand in one replica, that replica is
// flagged and named. `show -A -o html` embeds exactly the JSON report of the same scan, and
// --fail-on exits 3 on a listed finding.
func TestAuditByWorkloadAndHTML(t *testing.T) {
	t.Parallel()
	ns := auditNamespace(t, "grp")
	apply(t, ns, fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      automountServiceAccountToken: false
      containers:
      - {name: main, image: %s, imagePullPolicy: Never, command: [sleep, "2000014"]}
---
`, capshImage)+podSpec("priv", capshImage, "{}", "{privileged: true}", "sleep", "2000015"))
	pods := waitSelectorReady(t, ns, "app=web", 3)
	waitReady(t, ns, "priv")

	r := kubectl(t, "caps", "show", "-n", ns, "--by", "workload")
	if r.code != 0 || !regexp.MustCompile(`(?m)^deployment/web\s+main\s+3\s+0\s`).MatchString(r.stdout) || strings.Contains(r.stdout, "disagree") {
		t.Fatalf("3 agreeing replicas should be one row with a count of 3:\n%s", r)
	}
	t.Logf("agreeing replicas:\n%s", r.stdout)
	s := show(t, "-n", ns)
	for _, c := range s.rep.Containers {
		if strings.HasPrefix(c.Pod, "web-") && (c.Owner == nil || c.Owner.Kind != "Deployment" || c.Owner.Name != "web" || !strings.HasPrefix(c.Owner.Via, "ReplicaSet/web-")) {
			t.Errorf("%s: owner %+v, want Deployment web via its ReplicaSet", c.Pod, c.Owner)
		}
	}

	// One replica changed by hand: a process that dropped NET_RAW from its bounding set.
	changed := pods[1]
	must(t, "exec", "-n", ns, changed, "--", "sh", "-c",
		`setsid capsh --drop=cap_net_raw --shell=/bin/sh -- -c 'exec sleep 2000016' </dev/null >/dev/null 2>&1 &`)
	var out result
	waitFor(t, time.Minute, "the changed replica to be flagged", func() (bool, string) {
		out = kubectl(t, "caps", "show", "-n", ns, "--by", "workload")
		return strings.Contains(out.stdout, "1/3 differs"), out.stdout
	})
	for _, want := range []string{
		"Replicas that disagree (--by pod shows every pod):",
		"  " + ns + " deployment/web, container main:",
		"    1/3  " + changed + ": pid ",
		"(sleep) uid 0: effective runtime default -NET_RAW, bounding runtime default -NET_RAW; also live-differs-from-spec",
	} {
		if !strings.Contains(out.stdout, want) {
			t.Errorf("--by workload lacks %q:\n%s", want, out.stdout)
		}
	}
	t.Logf("one replica changed by hand:\n%s", out.stdout)

	// -o html and --report from one scan of the whole cluster: the page's report is the JSON.
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.json")
	page := kubectl(t, "caps", "show", "-A", "-o", "html", "--report", path)
	if page.code != 0 && page.code != 1 {
		t.Fatalf("show -A -o html:\n%s", page)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := embeddedReport.FindStringSubmatch(page.stdout)
	if m == nil {
		t.Fatalf("no embedded report in the page:\n%s", clip(page.stdout, 3000))
	}
	if m[1] != string(file) {
		t.Errorf("the page's embedded report differs from --report's JSON of the same scan")
	}
	var rep report.Report
	if err := json.Unmarshal(file, &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("show -A -o html: %d bytes, embedded report of %d containers equals --report byte for byte", len(page.stdout), len(rep.Containers))
	if err := os.WriteFile(filepath.Join(os.TempDir(), "kubectl-caps-e2e-audit.html"), []byte(page.stdout), 0o644); err == nil {
		t.Logf("page kept at %s", filepath.Join(os.TempDir(), "kubectl-caps-e2e-audit.html"))
	}

	// A second, separate `show -A -o json`: the cluster's other namespaces change between two
	// runs (other tests come and go), this one does not: its containers read the same.
	js := kubectl(t, "caps", "show", "-A", "-o", "json")
	var rep2 report.Report
	if err := json.Unmarshal([]byte(js.stdout), &rep2); err != nil {
		t.Fatalf("show -A -o json: %v\n%s", err, js)
	}
	mine := func(r *report.Report) string {
		var keep []report.Container
		for _, c := range r.Containers {
			if c.Namespace == ns {
				keep = append(keep, c)
			}
		}
		b, _ := json.MarshalIndent(keep, "", "  ")
		return string(b)
	}
	if a, b := mine(&rep), mine(&rep2); a != b || !strings.Contains(a, changed) {
		t.Errorf("namespace %s differs between the page's report and a later show -A -o json:\n--- page\n%s\n--- json\n%s", ns, clip(a, 3000), clip(b, 3000))
	}

	// --fail-on: exit 3 for a listed finding, 0 when none is met.
	if r := kubectl(t, "caps", "show", "-n", ns, "--fail-on", "privileged"); r.code != 3 || !strings.Contains(r.stderr, "--fail-on: found privileged (1 container)") {
		t.Errorf("--fail-on privileged: want exit 3\n%s", r)
	}
	if r := kubectl(t, "caps", "show", "-n", ns, "-l", "app=web", "--fail-on", "privileged"); r.code != 0 {
		t.Errorf("--fail-on privileged without a privileged container: want exit 0\n%s", r)
	}
}
