//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// shown is one `kubectl caps show -o json` run.
type shown struct {
	result
	rep *report.Report
}

// show runs `kubectl caps show ARGS -o json` through the real kubectl and decodes the report.
// Exit codes 0 and 1 are both answers (1: some container could not be read); anything else, or
// output that is not a report, fails the test.
func show(t *testing.T, args ...string) shown {
	t.Helper()
	return showAs(t, h.kubeconfig, args...)
}

func showAs(t *testing.T, kubeconfig string, args ...string) shown {
	t.Helper()
	full := append([]string{"caps", "show"}, args...)
	full = append(full, "-o", "json")
	r := kubectlAs(t, kubeconfig, "", full...)
	s := shown{result: r}
	if r.code != 0 && r.code != 1 {
		t.Fatalf("kubectl caps show failed:\n%s", r)
	}
	s.rep = new(report.Report)
	if err := json.Unmarshal([]byte(r.stdout), s.rep); err != nil {
		t.Fatalf("kubectl caps show -o json: output is not a report: %v\n%s", err, r)
	}
	if s.rep.APIVersion != report.APIVersion || s.rep.Kind != report.Kind {
		t.Errorf("report apiVersion/kind = %q/%q, want %q/%q", s.rep.APIVersion, s.rep.Kind, report.APIVersion, report.Kind)
	}
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("kubectl caps show crashed:\n%s", r)
	}
	return s
}

// row returns the report's row for one container, failing with the rows there are.
func (s shown) row(t *testing.T, ns, podName, ctr string) *report.Container {
	t.Helper()
	for i := range s.rep.Containers {
		c := &s.rep.Containers[i]
		if c.Namespace == ns && c.Pod == podName && c.Container == ctr {
			return c
		}
	}
	t.Fatalf("no row for %s in the report; rows: %v\n%s", key(ns, podName, ctr), s.keys(""), s.result)
	return nil
}

// keys lists namespace/pod/container of every row (in namespace ns only, when ns is not empty).
func (s shown) keys(ns string) []string {
	var out []string
	for _, c := range s.rep.Containers {
		if ns == "" || c.Namespace == ns {
			out = append(out, key(c.Namespace, c.Pod, c.Container))
		}
	}
	sort.Strings(out)
	return out
}

// checkKeys fails unless the report's rows (of the namespaces in want) are exactly want.
func (s shown) checkKeys(t *testing.T, what string, want []string) {
	t.Helper()
	nss := map[string]bool{}
	for _, k := range want {
		nss[strings.SplitN(k, "/", 2)[0]] = true
	}
	var got []string
	for _, k := range s.keys("") {
		if nss[strings.SplitN(k, "/", 2)[0]] {
			got = append(got, k)
		}
	}
	want = append([]string(nil), want...)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s: rows differ\n  want %v\n  got  %v", what, want, got)
	}
}

// Finding IDs of the show contract.
const (
	fDefaultsKept  = "runtime-defaults-kept"
	fNotEffective  = "added-not-effective"
	fEscalation    = "escalation-possible"
	fPrivileged    = "privileged"
	fLiveDiffers   = "live-differs-from-spec"
	fSeccompUnconf = "seccomp-unconfined"
)

func findingIDs(c *report.Container) []string {
	var ids []string
	for _, f := range c.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

// checkFindings fails when a finding in want is missing or one in forbid is present. IDs in
// neither list are not judged (the contract leaves them to the implementation).
func checkFindings(t *testing.T, c *report.Container, want, forbid []string) {
	t.Helper()
	have := map[string]string{}
	for _, f := range c.Findings {
		have[f.ID] = f.Message
	}
	var bad []string
	for _, id := range want {
		if _, ok := have[id]; !ok {
			bad = append(bad, "missing "+id)
		}
	}
	for _, id := range forbid {
		if m, ok := have[id]; ok {
			bad = append(bad, fmt.Sprintf("unexpected %s (%q)", id, m))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s findings: %s; all findings: %v", key(c.Namespace, c.Pod, c.Container), strings.Join(bad, ", "), findingIDs(c))
	}
}

// checkExpected compares the report's expected sets for a container with the suite's model.
func checkExpected(t *testing.T, c *report.Container, want fiveSets) {
	t.Helper()
	what := key(c.Namespace, c.Pod, c.Container)
	if c.Expected == nil {
		t.Errorf("%s: no expected sets in the report", what)
		return
	}
	checkSets(t, what+": report's expected sets vs the runtime's rules", want, fromReport(t, what, c.Expected.Sets))
}

// checkLive compares the row's main process with ground truth and requires a live reading.
func checkLive(t *testing.T, c *report.Container, want procStatus) {
	t.Helper()
	what := key(c.Namespace, c.Pod, c.Container)
	if c.Error != "" || c.Skipped != "" {
		t.Errorf("%s: no live reading: error %q, skipped %q", what, c.Error, c.Skipped)
	}
	if c.Live != nil && c.Live.PID != want.PID {
		t.Errorf("%s: main process reported as pid %d (%s), ground truth pid %d (%s)", what, c.Live.PID, c.Live.Name, want.PID, want.Name)
	}
	checkProcess(t, what+" live", c.Live, want)
}

// checkTruth checks the suite's own belief about what the kernel gave a container, so that a
// runtime that behaves differently shows up as such and not as a plugin bug.
func checkTruth(t *testing.T, what string, gt procStatus, want fiveSets) {
	t.Helper()
	if d := diffSets(want, gt.sets()); d != "" {
		t.Fatalf("%s: the runtime gave other capabilities than the suite assumes (ground truth, not the plugin):%s", what, d)
	}
}

var (
	none     = capset.Set(0)
	defaults = capset.RuntimeDefaultContainerd
	sysTime  = capset.Of(25)
	netBind  = capset.Of(10)
	netRaw   = capset.Of(13)
	chown    = capset.Of(0)
)
