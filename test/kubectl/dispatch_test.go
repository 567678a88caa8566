// Package kubectl_test runs the built plugin the way users meet it: the real kubectl binary on
// PATH finds kubectl-caps and dispatches `kubectl caps ...` to it. The cluster is test/fakeapi (a
// real HTTPS API server with the real exec protocols); the real-cluster suite is test/e2e.
package kubectl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// pluginDir builds the plugin once into a directory that becomes the only extra PATH entry.
func pluginDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	name := "kubectl-caps"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	// `make test` passes the binary it built, so this tests exactly that artifact.
	if bin := os.Getenv("KUBECTL_CAPS_BIN"); bin != "" {
		if err := os.Symlink(bin, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../../cmd/kubectl-caps")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return dir
}

func kubectl(t *testing.T, dir, kubeconfig string, args ...string) (string, string, int) {
	t.Helper()
	kc, _ := exec.LookPath("kubectl")
	cmd := exec.Command(kc, args...)
	cmd.Env = []string{
		"PATH=" + dir + string(os.PathListSeparator) + "/usr/local/bin:/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"KUBECONFIG=" + kubeconfig,
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

const probe = "@@kubectl-caps 1\n@@portstart 1024\n@@scope cgroup\n@@pid 1\nName:\tsleep\nPid:\t1\nPPid:\t0\n" +
	"Uid:\t1025\t1025\t1025\t1025\nGid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n" +
	"CapEff:\t0000000000000000\nCapBnd:\t0000000002000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n" +
	"Seccomp:\t0\nSeccomp_filters:\t0\n@@others 0\n@@end\n"

func TestKubectlDispatchesToPlugin(t *testing.T) {
	dir := pluginDir(t)
	s, err := fakeapi.New(fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": probe})},
		fakeapi.Pod("default", "web", "app"), fakeapi.Node(fakeapi.DefaultNode, "containerd://1.6.20"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kc, err := s.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	out, stderr, code := kubectl(t, dir, kc, "plugin", "list")
	if code != 0 || !strings.Contains(out, filepath.Join(dir, "kubectl-caps")) || strings.Contains(stderr, "warning") {
		t.Errorf("kubectl plugin list: exit %d\n%s%s", code, out, stderr)
	}

	out, stderr, code = kubectl(t, dir, kc, "caps", "--help")
	if code != 0 || !strings.Contains(out, "kubectl caps [command]") {
		t.Errorf("help should read as kubectl caps: exit %d\n%s%s", code, out, stderr)
	}

	out, _, code = kubectl(t, dir, kc, "caps", "decode", "00000000a80425fb")
	if code != 0 || !strings.Contains(out, "cap_chown,cap_dac_override") {
		t.Errorf("decode: %d %s", code, out)
	}

	out, stderr, code = kubectl(t, dir, kc, "caps", "show", "-o", "json")
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Containers) != 1 {
		t.Fatalf("show -o json: %v\n%s", err, out)
	}
	c := r.Containers[0]
	if c.Live == nil || c.Live.Sets.Bounding.Mask != "0000000002000000" || c.Method != "proc" {
		t.Errorf("live reading through kubectl: %+v", c)
	}

	// kubectl passes the plugin's exit code through: a container that cannot be read is exit 1.
	s.SetExec(fakeapi.Canned(map[string]string{}))
	_, stderr, code = kubectl(t, dir, kc, "caps", "show")
	if code != 1 || !strings.Contains(stderr, "no /bin/sh, cat or capsh") {
		t.Errorf("unreadable container: exit %d, stderr %q", code, stderr)
	}

	_, stderr, code = kubectl(t, dir, kc, "caps", "show", "-o", "bogus")
	if code == 0 || !strings.Contains(stderr, `unknown output format "bogus"`) {
		t.Errorf("bad flag value: exit %d, %q", code, stderr)
	}
}
