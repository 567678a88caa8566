package cmd

import (
	"io"
	"os"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// BenchmarkShowAllNamespaces runs the whole `show -A -o json` in-process against test/fakeapi
// holding 1,000 containers that answer at once with the real probe output of a default
// container: the plugin's own cost per scan (list, resolve, exec, parse, model, print) with no
// simulated latency. Divide ns/op and B/op by 1,000 for the per-container cost. Run with
// -memprofile to see what a scan keeps.
func BenchmarkShowAllNamespaces(b *testing.B) {
	probeOut, err := os.ReadFile("../../test/bench/scale/testdata/probe-default-container.txt")
	if err != nil {
		b.Fatal(err)
	}
	pods := fakeapi.Pods(500, 2)
	objs := append(fakeapi.Objects(pods), fakeapi.Objects(fakeapi.Namespaces(pods))...)
	objs = append(objs, fakeapi.Node(fakeapi.DefaultNode, "containerd://1.6.20"))
	s := fakeapi.Start(b, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": string(probeOut)})}, objs...)
	kc, err := s.WriteKubeconfig(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		root := NewCmdCaps(genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard})
		root.SetArgs([]string{"--kubeconfig", kc, "show", "-A", "-o", "json"})
		if err := root.Execute(); err != nil {
			b.Fatal(err)
		}
	}
}
