//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Scenario 12: a user allowed to get/list pods but not to create pods/exec gets one clear line
// naming the missing permission and the namespace, not an error per container.
func TestScenario12NoExecPermission(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "s12")
	apply(t, ns, podSpec("one", capshImage, "{}", "{}")+podSpec("two", capshImage, "{}", "{}")+`apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer-reads-pods}
subjects:
- {kind: ServiceAccount, name: viewer, namespace: `+ns+`}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
`)
	waitReady(t, ns, "one", "two")

	token := strings.TrimSpace(must(t, "create", "token", "viewer", "-n", ns, "--duration=1h"))
	server := strings.TrimSpace(must(t, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"))
	ca := strings.TrimSpace(must(t, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority}"))
	kc := filepath.Join(t.TempDir(), "viewer.kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- {name: local, cluster: {server: \"" + server + "\", certificate-authority: \"" + ca + "\"}}\n" +
		"users:\n- {name: viewer, user: {token: \"" + token + "\"}}\n" +
		"contexts:\n- {name: viewer, context: {cluster: local, user: viewer, namespace: " + ns + "}}\ncurrent-context: viewer\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// The premise: this user can list pods and cannot exec.
	if r := kubectlAs(t, kc, "", "auth", "can-i", "create", "pods/exec", "-n", ns); strings.TrimSpace(r.stdout) != "no" {
		t.Fatalf("premise: viewer can-i create pods/exec = %q", r.stdout)
	}
	if r := kubectlAs(t, kc, "", "get", "pods", "-n", ns); r.code != 0 {
		t.Fatalf("premise: viewer cannot list pods:\n%s", r)
	}

	r := kubectlAs(t, kc, "", "caps", "show", "-n", ns)
	t.Logf("as a user without pods/exec:\n%s", r)
	if r.code == 0 {
		t.Errorf("exit code 0 although no container could be read")
	}
	var lines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "pods/exec") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Errorf("want exactly one line on stderr naming pods/exec, got %d:\n%s", len(lines), r.stderr)
	} else if !strings.Contains(lines[0], ns) {
		t.Errorf("the pods/exec line does not name the namespace %s: %q", ns, lines[0])
	}
	if strings.Contains(r.stderr, "panic:") {
		t.Errorf("crashed:\n%s", r.stderr)
	}

	// JSON still reports both pods, each with a reason.
	s := showAs(t, kc, "-n", ns)
	for _, p := range []string{"one", "two"} {
		row := s.row(t, ns, p, "main")
		if row.Error == "" || row.Live != nil {
			t.Errorf("%s: want an error and no live reading, got error %q live %v", p, row.Error, row.Live)
		}
	}
}
