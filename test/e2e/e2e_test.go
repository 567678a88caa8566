//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// harness is what every scenario needs to know about the cluster and the binaries under test.
type harness struct {
	kubectl    string // the real kubectl binary
	kubeconfig string // admin kubeconfig of the e2e cluster
	pluginDir  string // holds only kubectl-caps
	home       string // private HOME, so kubectl's caches stay out of the user's ~/.kube
	runID      string // suffix of this run's namespaces
	// nodeFull is the node's full capability set, what a privileged container gets. This VM lacks
	// CAP_SYS_RESOURCE, so it is read from the container runtime's own process, not a constant.
	nodeFull capset.Set
}

var h harness

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	h.kubeconfig = os.Getenv("KUBECONFIG")
	plugin := os.Getenv("E2E_PLUGIN")
	h.kubectl = os.Getenv("E2E_KUBECTL")
	if h.kubectl == "" {
		h.kubectl = "/usr/bin/kubectl"
	}
	if h.kubeconfig == "" || plugin == "" {
		fmt.Fprintln(os.Stderr, "e2e: KUBECONFIG and E2E_PLUGIN must be set; run `make e2e` (test/e2e/run.sh)")
		return 2
	}
	tmp, err := os.MkdirTemp("", "kubectl-caps-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	defer os.RemoveAll(tmp)
	h.pluginDir = filepath.Join(tmp, "plugins")
	h.home = filepath.Join(tmp, "home")
	for _, d := range []string{h.pluginDir, h.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 2
		}
	}
	// A copy, not a symlink: kubectl must find exactly this binary as a plugin on PATH.
	if out, err := exec.Command("cp", plugin, filepath.Join(h.pluginDir, "kubectl-caps")).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: copy plugin: %v %s\n", err, out)
		return 2
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	h.runID = hex.EncodeToString(b)
	h.nodeFull, err = nodeFullSet()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	fmt.Fprintf(os.Stderr, "e2e: kubectl %s, plugin %s, node full set %s (%d caps), run %s\n",
		h.kubectl, plugin, h.nodeFull.Hex(), h.nodeFull.Len(), h.runID)
	return m.Run()
}

// nodeFullSet reads the bounding set of the cluster's containerd (runc inherits it, and privileged
// containers get exactly it); outside the harness's own cluster, this process's.
func nodeFullSet() (capset.Set, error) {
	runDir := os.Getenv("K8S_RUN")
	if runDir == "" {
		runDir = "/tmp/k8s-run"
	}
	status := "/proc/self/status"
	if pid, err := os.ReadFile(filepath.Join(runDir, "pids", "containerd.pid")); err == nil {
		status = "/proc/" + strings.TrimSpace(string(pid)) + "/status"
	}
	data, err := os.ReadFile(status)
	if err != nil {
		return 0, err
	}
	ps, err := parseStatus(string(data))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", status, err)
	}
	return ps.Bnd, nil
}

// pathEnv is the environment every kubectl call gets: only the plugin's directory and the system
// directories on PATH, so the plugin found is the one under test and no other.
func (hh *harness) env(kubeconfig string) []string {
	return []string{
		"PATH=" + hh.pluginDir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"KUBECONFIG=" + kubeconfig,
		"HOME=" + hh.home,
		"LANG=C",
	}
}
