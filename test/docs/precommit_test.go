package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestPreCommitHook runs the hook's entry the way pre-commit does (`sh -c ENTRY NAME FILES...`
// through its argument split, with the built plugin first on PATH) on a hardened and an
// unhardened manifest: exit 0 for the first alone, 1 when the second is among the files.
func TestPreCommitHook(t *testing.T) {
	bin := os.Getenv("KUBECTL_CAPS_BIN")
	if bin == "" {
		t.Skip("KUBECTL_CAPS_BIN not set (make unit sets it to the built plugin)")
	}
	var hooks []struct {
		ID, Entry, Language, Files string
	}
	if err := yaml.Unmarshal([]byte(read(t, ".pre-commit-hooks.yaml")), &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 1 || hooks[0].ID != "kubectl-caps-harden-check" || hooks[0].Language != "system" {
		t.Fatalf("hooks: %+v", hooks)
	}
	dir := t.TempDir()
	pathDir := filepath.Join(dir, "bin")
	if err := os.MkdirAll(pathDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(pathDir, "kubectl-caps")); err != nil {
		t.Fatal(err)
	}
	hardened := filepath.Join(dir, "with space.yaml")
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(hardened, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities: {drop: [ALL]}\n      allowPrivilegeEscalation: false\n"), 0o644)
	os.WriteFile(plain, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: b\n"), 0o644)
	// pre-commit splits entry with shlex: here it is sh, -c, the script, the name.
	entry := hooks[0].Entry
	script := entry[strings.Index(entry, "'")+1 : strings.LastIndex(entry, "'")]
	run := func(files ...string) int {
		cmd := exec.Command("sh", append([]string{"-c", script, "kubectl-caps-harden"}, files...)...)
		cmd.Env = append(os.Environ(), "PATH="+pathDir+":/usr/bin:/bin")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return 0
	}
	if code := run(hardened); code != 0 {
		t.Errorf("hardened file: exit %d, want 0", code)
	}
	if code := run(hardened, plain); code != 1 {
		t.Errorf("with an unhardened file: exit %d, want 1", code)
	}
}
