package cmd

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// droppedRawProbe is rootProbe plus a process that dropped NET_RAW from its bounding set, as
// `capsh --drop=cap_net_raw -- -c 'sleep 1000'` leaves one.
var droppedRawProbe = strings.Replace(rootProbe, "@@others 0\n", "@@pid 40\nName:\tsleep\nPid:\t40\nPPid:\t1\n"+
	"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80405fb\n"+
	"CapEff:\t00000000a80405fb\nCapBnd:\t00000000a80405fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n"+
	"Seccomp:\t0\nSeccomp_filters:\t0\n@@others 0\n", 1)

// auditCluster: Deployment web with 3 replicas (the last one holding the process that dropped
// NET_RAW), a bare pod db.
func auditCluster(t *testing.T, opts fakeapi.Options) (*fakeapi.Server, []string) {
	t.Helper()
	dep, rs, pods := fakeapi.Deployment("shop", "web", 3, "nginx")
	db := fakeapi.Pod("shop", "db", "postgres")
	changed := pods[2].Name
	opts.Exec = func(ctx context.Context, req fakeapi.ExecRequest, stdout, stderr io.Writer) (int, error) {
		out := rootProbe
		if req.Pod == changed {
			out = droppedRawProbe
		}
		return fakeapi.Canned(map[string]string{"/bin/sh": out})(ctx, req, stdout, stderr)
	}
	s := start(t, opts, append(fakeapi.Objects(pods), dep, rs, db)...)
	names := []string{pods[0].Name, pods[1].Name, pods[2].Name}
	return s, names
}

func TestShowOwnersInTheReport(t *testing.T) {
	s, pods := auditCluster(t, fakeapi.Options{})
	stdout, stderr, code := runCaps(t, s, "show", "-n", "shop", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decode(t, stdout)
	if o := row(t, r, pods[0], "nginx").Owner; o == nil || *o != (report.Owner{Kind: "Deployment", Name: "web", APIVersion: "apps/v1", Via: "ReplicaSet/web-5d8f9c7b6"}) {
		t.Errorf("owner of %s: %+v", pods[0], o)
	}
	if o := row(t, r, "db", "postgres").Owner; o == nil || o.Kind != "Pod" || o.Name != "db" {
		t.Errorf("owner of db: %+v", o)
	}
	h := row(t, r, pods[0], "nginx").Hardening
	if h == nil || !h.Changed || h.SecurityContext == nil {
		t.Fatalf("hardening: %+v", h)
	}
	caps, _ := h.SecurityContext["capabilities"].(map[string]any)
	if drop, _ := caps["drop"].([]any); len(drop) != 1 || drop[0] != "ALL" {
		t.Errorf("harden would write %v", h.SecurityContext)
	}
	lists := 0
	for _, req := range s.Requests() {
		if req.Resource == "replicasets" && req.Verb == "list" {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("%d ReplicaSet lists, want 1 for the namespace (never one per pod)", lists)
	}
}

func TestShowOwnersWithoutPermissionToListReplicaSets(t *testing.T) {
	s, pods := auditCluster(t, fakeapi.Options{Authorize: fakeapi.Deny("list", "replicasets", "")})
	stdout, stderr, code := runCaps(t, s, "show", "-n", "shop", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "cannot list ReplicaSets in shop: forbidden: their Deployments are inferred from the pod-template-hash label") {
		t.Errorf("stderr should say once why owners are inferred:\n%s", stderr)
	}
	o := row(t, decode(t, stdout), pods[1], "nginx").Owner
	if o == nil || o.Kind != "Deployment" || o.Name != "web" || o.Inferred != "pod-template-hash" {
		t.Errorf("owner: %+v", o)
	}
}

func TestShowByWorkload(t *testing.T) {
	s, pods := auditCluster(t, fakeapi.Options{})
	stdout, stderr, code := runCaps(t, s, "show", "-A")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"NAMESPACE   WORKLOAD         CONTAINER   PODS          UID",
		"shop        deployment/web   nginx       2/3           0",
		"shop        deployment/web   nginx       1/3 differs   0",
		"shop        pod/db           postgres    1             0",
		"Replicas that disagree (--by pod shows every pod):",
		"    1/3  " + pods[2] + ": pid 40 (sleep) uid 0: effective runtime default -NET_RAW, bounding runtime default -NET_RAW",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("-A output lacks %q:\n%s", want, stdout)
		}
	}
	perPod, _, _ := runCaps(t, s, "show", "-A", "--by", "pod")
	if !strings.Contains(perPod, "NAMESPACE   POD") || strings.Count(perPod, "web-5d8f9c7b6-") != 3 {
		t.Errorf("--by pod should list every pod:\n%s", perPod)
	}
	ns, _, _ := runCaps(t, s, "show", "-n", "shop")
	if !strings.HasPrefix(ns, "POD ") {
		t.Errorf("one namespace is per pod by default:\n%s", ns)
	}
}

func TestShowByWorkloadAgreeing(t *testing.T) {
	dep, rs, pods := fakeapi.Deployment("shop", "web", 3, "nginx")
	s := start(t, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": rootProbe})}, append(fakeapi.Objects(pods), dep, rs)...)
	stdout, _, _ := runCaps(t, s, "show", "-n", "shop", "--by", "workload")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[1], "deployment/web   nginx       3      0") || strings.Contains(stdout, "disagree") {
		t.Errorf("three agreeing replicas are one row with a count:\n%s", stdout)
	}
}

func TestShowFailOn(t *testing.T) {
	s, _ := auditCluster(t, fakeapi.Options{})
	_, stderr, code := runCaps(t, s, "show", "-A", "--fail-on", "live-differs-from-spec,privileged", "-o", "json")
	if code != exitFindings || !strings.Contains(stderr, "--fail-on: found live-differs-from-spec (1 container)") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFindings, stderr)
	}
	_, stderr, code = runCaps(t, s, "show", "-A", "--fail-on", "privileged")
	if code != 0 {
		t.Errorf("no privileged container: exit %d\n%s", code, stderr)
	}
	_, stderr, code = runCaps(t, s, "show", "-A", "--fail-on", "privilegd")
	if code == 0 || code == exitFindings || !strings.Contains(stderr, `unknown finding "privilegd"; findings are privileged, runtime-defaults-kept`) {
		t.Errorf("a misspelt finding must be refused: exit %d\n%s", code, stderr)
	}
}

var embedded = regexp.MustCompile(`(?s)<script type="application/json" id="caps-report">\n(.*?)</script>`)

func TestShowHTMLEmbedsTheReportOfTheSameScan(t *testing.T) {
	s, _ := auditCluster(t, fakeapi.Options{})
	path := filepath.Join(t.TempDir(), "audit.json")
	page, stderr, code := runCaps(t, s, "show", "-A", "-o", "html", "--report", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := embedded.FindStringSubmatch(page)
	if m == nil || m[1] != string(file) {
		t.Fatalf("the page's report differs from --report's:\n%.2000s", page)
	}
	var r report.Report
	if err := json.Unmarshal(file, &r); err != nil || len(r.Containers) != 4 {
		t.Errorf("report: %v, %d containers", err, len(r.Containers))
	}
	js, _, _ := runCaps(t, s, "show", "-A", "-o", "json", "--report", path)
	again, _ := os.ReadFile(path)
	if js != string(again) || js != m[1] {
		t.Errorf("-o json and --report differ, or differ from the page's report")
	}
}
