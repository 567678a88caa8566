package cmd

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

func TestAgentTraceRefusesBadFlags(t *testing.T) {
	hex := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trace"}, "no --container-id"},
		{[]string{"trace", "--container-id", hex + " --privileged"}, "want 64 lowercase hex"},
		{[]string{"trace", "--container-id", hex, "--for", "0s"}, "--for must be between 1s and 24h0m0s"},
		{[]string{"trace", "--container-id", hex, "--for", "25h"}, "--for must be between"},
		{[]string{"trace", "--container-id", hex, "--kernel-path", "fentry/cap_capable"}, `unknown --kernel-path "fentry/cap_capable"`},
	} {
		out, _, err := runAgentCmd(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || out != "" {
			t.Errorf("%v: err %v, out %q; want %q", tc.args, err, out, tc.want)
		}
	}
}

// A container that does not run here gives one document whose row says so, and exit 2. (The
// tracing itself is tested on real processes in package traceagent and on the e2e cluster.)
func TestAgentTracePrintsOneDocument(t *testing.T) {
	hex := strings.Repeat("0f", 32)
	out, _, err := runAgentCmd(t, "trace", "--node", "n1", "--for", "1s", "--container-id", "containerd://"+hex)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 2 {
		t.Fatalf("exit: %v", err)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got %q", out)
	}
	tr, derr := tracereport.Decode(strings.NewReader(out))
	if derr != nil || len(tr.Containers) != 1 {
		t.Fatalf("%v %q", derr, out)
	}
	c := tr.Containers[0]
	want := "is not running on node n1"
	if runtime.GOOS != "linux" {
		want = "runs only on Linux"
	}
	if c.ContainerID != "containerd://"+hex || c.Node != "n1" || !strings.Contains(c.Error, want) {
		t.Errorf("row %+v, want an error with %q", c, want)
	}
}
