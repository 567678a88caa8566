package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// kustomizationFiles are the names kustomize reads a kustomization from.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// isKustomization reports whether dir is a kustomization root. Its files are bases, patches and
// generator inputs, not whole workloads: hardening them one by one would harden a patch as if it
// were a Deployment and miss the JSON 6902 patches, so such a directory is rendered instead.
func isKustomization(dir string) bool {
	for _, f := range kustomizationFiles {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// kustomizeTimeout bounds one rendering (remote bases are kustomize's to fetch).
const kustomizeTimeout = 2 * time.Minute

// renderKustomization runs `kubectl kustomize DIR` (or `kustomize build DIR` where there is no
// kubectl), the way the user would apply it, and returns what it prints, bounded like any input.
// The directory is passed as one argument: no shell is involved.
func renderKustomization(ctx context.Context, dir string) ([]byte, error) {
	bin, args := "kubectl", []string{"kustomize", dir}
	if _, err := exec.LookPath(bin); err != nil {
		if _, kerr := exec.LookPath("kustomize"); kerr != nil {
			return nil, fmt.Errorf("%s is a kustomization, and rendering it needs kubectl or kustomize on PATH", dir)
		}
		bin, args = "kustomize", []string{"build", dir}
	}
	ctx, cancel := context.WithTimeout(ctx, kustomizeTimeout)
	defer cancel()
	stdout := &boundedBuffer{max: maxInputBytes}
	stderr := &boundedBuffer{max: 64 << 10}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if stdout.over {
		return nil, fmt.Errorf("%s: %s %s prints more than %d MiB", dir, bin, strings.Join(args, " "), maxInputBytes>>20)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = fmt.Sprintf("no answer in %s", kustomizeTimeout)
		}
		return nil, fmt.Errorf("%s: %s %s failed: %s", dir, bin, strings.Join(args, " "), termsafe.Clean(firstLines(msg, 5)))
	}
	return stdout.Bytes(), nil
}

// kustomizeInPlace is the refusal for --in-place on a kustomization, with the commands that do
// the job instead.
func kustomizeInPlace(dir string) error {
	comp := filepath.Join(dir, "caps-harden")
	return fmt.Errorf(`%s is a kustomization: its files are bases and patches, not whole workloads, so harden does not rewrite them. Add the hardening to it as a component instead:
  kubectl kustomize %s | kubectl caps harden -f - -o patch > %s
  and list caps-harden under components: in %s`, dir, dir, filepath.Join(comp, "kustomization.yaml"), filepath.Join(dir, "kustomization.yaml"))
}

// boundedBuffer keeps at most max bytes and notes that more came.
type boundedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}
