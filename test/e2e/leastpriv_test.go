//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serviceAccountKubeconfig writes a kubeconfig that authenticates as ServiceAccount sa of ns with
// a short-lived token, against the same API server as the admin kubeconfig.
func serviceAccountKubeconfig(t *testing.T, ns, sa string) string {
	t.Helper()
	token := strings.TrimSpace(must(t, "create", "token", sa, "-n", ns, "--duration=1h"))
	server := strings.TrimSpace(must(t, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"))
	ca := strings.TrimSpace(must(t, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority}"))
	kc := filepath.Join(t.TempDir(), sa+".kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- {name: local, cluster: {server: \"" + server + "\", certificate-authority: \"" + ca + "\"}}\n" +
		"users:\n- {name: " + sa + ", user: {token: \"" + token + "\"}}\n" +
		"contexts:\n- {name: " + sa + ", context: {cluster: local, user: " + sa + ", namespace: " + ns + "}}\ncurrent-context: " + sa + "\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}

// applyRepoRBAC applies rbac/kubectl-caps.yaml itself (cluster-scoped ClusterRoles; applying it
// again is a no-op, so parallel tests and reused clusters do not matter).
func applyRepoRBAC(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile("../../rbac/kubectl-caps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := kubectlAs(t, h.kubeconfig, string(data), "apply", "-f", "-"); r.code != 0 {
		t.Fatalf("apply rbac/kubectl-caps.yaml:\n%s", r)
	}
}

// bindShowRole makes ServiceAccount sa in ns and binds exactly the ClusterRole kubectl-caps-show
// to it with a RoleBinding in ns: nothing cluster-wide, no nodes.
func bindShowRole(t *testing.T, ns, sa string) string {
	t.Helper()
	applyRepoRBAC(t)
	apply(t, ns, `apiVersion: v1
kind: ServiceAccount
metadata: {name: `+sa+`}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: `+sa+`-show}
subjects:
- {kind: ServiceAccount, name: `+sa+`, namespace: `+ns+`}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubectl-caps-show}
`)
	return serviceAccountKubeconfig(t, ns, sa)
}

// TestLeastPrivilegeShow: under exactly the repo's kubectl-caps-show ClusterRole bound in one
// namespace, show reads every container there, warns once that nodes are not readable, and -A
// fails with a clear message.
func TestLeastPrivilegeShow(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "leastpriv")
	apply(t, ns, podSpec("one", capshImage, "{}", "{}")+podSpec("two", capshImage, "{}", `{capabilities: {drop: [ALL]}}`)+
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      automountServiceAccountToken: false
      containers:
      - {name: web, image: `+capshImage+`, imagePullPolicy: Never}
`)
	waitReady(t, ns, "one", "two")
	web := waitSelectorReady(t, ns, "app=web", 1)
	kc := bindShowRole(t, ns, "caps-reader")
	if r := kubectlAs(t, kc, "", "auth", "can-i", "list", "nodes"); strings.TrimSpace(r.stdout) != "no" {
		t.Fatalf("premise: the ServiceAccount can list nodes (%q)", r.stdout)
	}

	s := showAs(t, kc, "-n", ns)
	t.Logf("as kubectl-caps-show in %s:\n%s", ns, s.result.stderr)
	if s.code != 0 {
		t.Errorf("exit code %d, want 0\n%s", s.code, s.result)
	}
	want := []string{key(ns, "one", "main"), key(ns, "two", "main"), key(ns, web[0], "web")}
	s.checkKeys(t, "rows", want)
	for _, c := range s.rep.Containers {
		if c.Live == nil || c.Error != "" {
			t.Errorf("%s: no live reading (error %q)", key(c.Namespace, c.Pod, c.Container), c.Error)
		}
	}
	checkLive(t, s.row(t, ns, "two", "main"), truth(t, ns, "two", "main", 1))
	if n := strings.Count(s.stderr, "cannot read nodes"); n != 1 {
		t.Errorf("want exactly one warning that nodes are not readable, got %d:\n%s", n, s.stderr)
	}
	// A workload target resolves under the same role (get on deployments).
	if r := kubectlAs(t, kc, "", "caps", "show", "-n", ns, "deploy/web"); r.code != 0 || !strings.Contains(r.stdout, web[0]) {
		t.Errorf("deploy/web under kubectl-caps-show:\n%s", r)
	}

	all := kubectlAs(t, kc, "", "caps", "show", "-A")
	t.Logf("-A:\n%s", all)
	if all.code == 0 {
		t.Errorf("-A succeeded without permission to list pods cluster-wide")
	}
	if !strings.Contains(all.stderr, "forbidden") || !strings.Contains(all.stderr, "pods") {
		t.Errorf("-A: the error does not say that listing pods is forbidden:\n%s", all.stderr)
	}
	if strings.Contains(all.stderr, "panic:") || strings.Count(strings.TrimSpace(all.stderr), "\n") > 3 {
		t.Errorf("-A: want a short clear error, got:\n%s", all.stderr)
	}
}

// auditLog is where test/e2e/cluster/up.sh makes the API server write its audit log (metadata of
// every request).
func auditLog() string {
	if p := os.Getenv("E2E_AUDIT_LOG"); p != "" {
		return p
	}
	run := os.Getenv("K8S_RUN")
	if run == "" {
		run = "/tmp/k8s-run"
	}
	return filepath.Join(run, "logs", "audit.log")
}

// auditEvent is the part of an audit.k8s.io/v1 Event the test reads.
type auditEvent struct {
	Stage      string `json:"stage"`
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	Response   *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
	} `json:"objectRef"`
}

// requestsBy reads every audit event of one user.
func requestsBy(t *testing.T, user string) []auditEvent {
	t.Helper()
	f, err := os.Open(auditLog())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []auditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if !strings.Contains(sc.Text(), user) {
			continue
		}
		var e auditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line: %v", err)
		}
		if e.User.Username == user {
			evs = append(evs, e)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestShowNeverWrites reads the API server's audit log for a run of show by a user of its own: the
// only verbs are get/list/watch (a WebSocket exec is a GET), plus create on pods/exec (an exec
// over SPDY). If harden exists,
// harden TYPE/NAME of a live object is checked the same way: reads only.
func TestShowNeverWrites(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(auditLog()); err != nil {
		t.Skipf("no audit log at %s (the cluster was started before up.sh enabled auditing; restart it with down.sh + up.sh): %v", auditLog(), err)
	}
	ns := namespace(t, "nowrite")
	apply(t, ns, podSpec("one", capshImage, "{}", "{}")+podSpec("two", noshellImage, "{}", "{}"))
	waitReady(t, ns, "one", "two")
	sa := "caps-audited"
	kc := bindShowRole(t, ns, sa)
	user := "system:serviceaccount:" + ns + ":" + sa

	for _, args := range [][]string{{"caps", "show", "-n", ns}, {"caps", "show", "-n", ns, "-o", "json"}, {"caps", "show", "-n", ns, "pod/one", "--procs"}} {
		if r := kubectlAs(t, kc, "", args...); r.code != 0 && r.code != 1 {
			t.Fatalf("show failed:\n%s", r)
		}
	}
	if r := kubectlAs(t, kc, "", "caps", "harden", "--help"); r.code == 0 {
		if r := kubectlAs(t, kc, "", "caps", "harden", "-n", ns, "pod/one"); r.code != 0 {
			t.Errorf("harden pod/one as %s:\n%s", user, r)
		}
	} else {
		t.Logf("no harden subcommand in this build; only show is checked")
	}

	// The API server writes an event when a request completes; give the last ones a moment.
	var evs []auditEvent
	waitFor(t, 30*time.Second, "audit events of "+user+" including pods/exec", func() (bool, string) {
		evs = requestsBy(t, user)
		for _, e := range evs {
			if e.ObjectRef != nil && e.ObjectRef.Subresource == "exec" && e.Stage == "ResponseComplete" {
				return true, ""
			}
		}
		return false, "no completed pods/exec event yet"
	})
	seen := map[string]int{}
	for _, e := range evs {
		what := e.Verb
		if e.ObjectRef != nil {
			what += " " + e.ObjectRef.Resource
			if e.ObjectRef.Subresource != "" {
				what += "/" + e.ObjectRef.Subresource
			}
		}
		seen[what]++
		switch {
		case e.Verb == "get" || e.Verb == "list" || e.Verb == "watch":
		case e.Verb == "create" && e.ObjectRef != nil && e.ObjectRef.Resource == "pods" && e.ObjectRef.Subresource == "exec":
		default:
			t.Errorf("%s made a request that is not a read: %s %s (stage %s)", user, e.Verb, e.RequestURI, e.Stage)
		}
	}
	t.Logf("requests by %s (audit log, every stage): %v", user, seen)
	// The role is enough for the execs: none was refused (with create alone on pods/exec, every
	// WebSocket exec would be refused and retried over SPDY). Nodes are refused on purpose.
	for _, e := range evs {
		if e.Response != nil && e.Response.Code == 403 && e.ObjectRef != nil && e.ObjectRef.Resource == "pods" {
			t.Errorf("%s was refused under kubectl-caps-show: %s %s", user, e.Verb, e.RequestURI)
			break
		}
	}
	if len(evs) == 0 {
		t.Errorf("no audit events for %s: is the audit policy logging every request?", user)
	}
}
