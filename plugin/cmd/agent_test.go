package cmd

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
)

func runAgentCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	root := NewCmdCaps(streams)
	root.SetArgs(append([]string{"agent"}, args...))
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func TestAgentReadRefusesAnyOtherID(t *testing.T) {
	hex := strings.Repeat("0f", 32)
	for _, id := range []string{
		"", "x", hex[:63], hex + "0", strings.ToUpper(hex), "containerd://" + hex[:10],
		"containerd://" + hex + " --privileged", "rkt://" + hex, "../" + hex, "containerd://" + hex + "\n",
	} {
		out, _, err := runAgentCmd(t, "read", "--container-id", id)
		if err == nil || out != "" {
			t.Errorf("--container-id %q: accepted (output %q)", id, out)
		}
	}
	if _, _, err := runAgentCmd(t, "read"); err == nil || !strings.Contains(err.Error(), "no --container-id") {
		t.Errorf("no id: %v", err)
	}
	many := make([]string, nodereading.MaxContainers+1)
	for i := range many {
		many[i] = hex
	}
	if _, _, err := runAgentCmd(t, "read", "--container-id", strings.Join(many, ",")); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many ids: %v", err)
	}
}

func TestAgentReadPrintsOneDocument(t *testing.T) {
	hex := strings.Repeat("0f", 32)
	out, _, err := runAgentCmd(t, "read", "--node", "n1", "--container-id", "containerd://"+hex, "--container-id", hex+",cri-o://"+strings.Repeat("1e", 32))
	if runtime.GOOS != "linux" {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(out, "runs only on Linux") {
			t.Fatalf("off Linux: %v %q", err, out)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got %q", out)
	}
	doc, err := nodereading.Decode([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	// The same container given twice (with and without its runtime) is read once.
	if doc.Node != "n1" || len(doc.Containers) != 2 || doc.Containers[0].ID != "containerd://"+hex || len(doc.Containers[0].Processes) != 0 {
		t.Fatalf("document %+v", doc)
	}
	if doc.Scanned == 0 || doc.Others != doc.Scanned {
		t.Fatalf("scanned %d others %d", doc.Scanned, doc.Others)
	}
}

func TestAgentIsHidden(t *testing.T) {
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	root := NewCmdCaps(streams)
	root.SetArgs([]string{"--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "agent") {
		t.Errorf("help lists the agent:\n%s", out)
	}
}
