//go:build unix

package kubectl_test

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// TestInterruptLargeScan: Ctrl-C during a 1,000-pod scan stops promptly; a table shows what was
// read so far, JSON prints nothing rather than half a document.
func TestInterruptLargeScan(t *testing.T) {
	dir := pluginDir(t)
	var objs []runtime.Object
	for _, p := range fakeapi.Pods(1000, 1) {
		objs = append(objs, p)
	}
	objs = append(objs, fakeapi.Node(fakeapi.DefaultNode, "containerd://1.6.20"))
	s, err := fakeapi.New(fakeapi.Options{Exec: fakeapi.Delay(300*time.Millisecond, fakeapi.Canned(map[string]string{"/bin/sh": probe}))}, objs...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kc, err := s.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "table"} {
		t.Run(format, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(dir, "kubectl-caps"), "--kubeconfig", kc, "show", "-A", "-o", format)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second) // the scan needs ~20 s at concurrency 16
			sent := time.Now()
			cmd.Process.Signal(syscall.SIGINT)
			err := cmd.Wait()
			took := time.Since(sent)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Errorf("exit %v, want 130; stderr %q", err, errOut.String())
			}
			t.Logf("stopped %s after SIGINT", took)
			if took > 10*time.Second { // a guard against hanging, not a speed assertion
				t.Errorf("took %s to stop", took)
			}
			switch format {
			case "json":
				if out.Len() != 0 {
					t.Errorf("JSON after interrupt should be empty, got %d bytes", out.Len())
				}
			case "table":
				if !strings.Contains(out.String(), "pod-00000") || !strings.Contains(errOut.String(), "partial") {
					t.Errorf("table should show what was read and say it is partial; stderr %q", errOut.String())
				}
			}
		})
	}
}
