package kubectl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKubectlHarden runs `kubectl caps harden` through the real kubectl: files in, exit codes
// for CI, the report on stderr, and files written in place. No cluster is involved.
func TestKubectlHarden(t *testing.T) {
	dir := pluginDir(t)
	work := t.TempDir()
	soft := filepath.Join(work, "web.yaml")
	manifest := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web # front\nspec:\n  containers:\n  - name: httpd\n    image: busybox\n    ports:\n    - containerPort: 80\n"
	if err := os.WriteFile(soft, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	noConfig := filepath.Join(work, "no-kubeconfig")

	out, errOut, code := kubectl(t, dir, noConfig, "caps", "harden", "-f", soft)
	if code != 0 || !strings.HasPrefix(out, manifest) || !strings.Contains(out, "    securityContext:\n      capabilities:\n        drop:\n        - ALL\n        add:\n        - NET_BIND_SERVICE\n") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "+ NET_BIND_SERVICE added (spec): containerPort 80 below 1024") {
		t.Errorf("stderr lacks the reason:\n%s", errOut)
	}
	if _, _, code := kubectl(t, dir, noConfig, "caps", "harden", "-f", soft, "--check"); code != 1 {
		t.Errorf("--check on a soft manifest: exit %d, want 1", code)
	}
	if _, errOut, code := kubectl(t, dir, noConfig, "caps", "harden", "-f", soft, "-i"); code != 0 {
		t.Fatalf("-i: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := kubectl(t, dir, noConfig, "caps", "harden", "-f", soft, "--check"); code != 0 {
		t.Errorf("--check after -i: exit %d, want 0\n%s", code, errOut)
	}
	if st, err := os.Stat(soft); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("-i must keep the file mode: %v %v", st.Mode(), err)
	}
	if _, errOut, code := kubectl(t, dir, noConfig, "caps", "harden", "-f", filepath.Join(work, "missing.yaml"), "--check"); code != 2 {
		t.Errorf("a missing file: exit %d, want 2\n%s", code, errOut)
	}
}

// TestKubectlHardenPatchesApplyWithKustomize checks that -o patch output is what Kustomize takes:
// the manifest plus the patches (a Component), built by kubectl's own kustomize, is hardened.
func TestKubectlHardenPatchesApplyWithKustomize(t *testing.T) {
	dir := pluginDir(t)
	work := t.TempDir()
	manifest := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      initContainers:\n      - name: init\n        image: busybox\n      containers:\n      - name: httpd\n        image: busybox\n        ports:\n        - containerPort: 80\n        securityContext:\n          capabilities:\n            add: [SYS_ADMIN]\n"
	for name, content := range map[string]string{
		"deploy.yaml":        manifest,
		"kustomization.yaml": "resources:\n- deploy.yaml\ncomponents:\n- caps\n",
	} {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	noConfig := filepath.Join(work, "no-kubeconfig")
	patches, errOut, code := kubectl(t, dir, noConfig, "caps", "harden", "-f", filepath.Join(work, "deploy.yaml"), "-o", "patch", "--strict")
	if code != 0 {
		t.Fatalf("-o patch: exit %d\n%s", code, errOut)
	}
	if err := os.MkdirAll(filepath.Join(work, "caps"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "caps", "kustomization.yaml"), []byte(patches), 0o644); err != nil {
		t.Fatal(err)
	}
	built, errOut, code := kubectl(t, dir, noConfig, "kustomize", work)
	if code != 0 {
		t.Fatalf("kubectl kustomize: exit %d\n%s\npatches:\n%s", code, errOut, patches)
	}
	if strings.Contains(built, "SYS_ADMIN") {
		t.Errorf("--strict patch must remove SYS_ADMIN:\n%s", built)
	}
	hardened := filepath.Join(work, "built.yaml")
	if err := os.WriteFile(hardened, []byte(built), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := kubectl(t, dir, noConfig, "caps", "harden", "-f", hardened, "--check", "--strict"); code != 0 {
		t.Errorf("the kustomized output is not hardened (exit %d):\n%s\n%s", code, errOut, built)
	}
}
