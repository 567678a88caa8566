package inspect

import (
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/probe"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// BenchmarkPlanAndComplete is the pure model of a 1,000-container scan once readings are in:
// plan rows from pods and nodes, predict expected sets, compare with the live reading, evaluate
// findings and Pod Security. ns/op is per scan; divide by 1,000 for one container.
func BenchmarkPlanAndComplete(b *testing.B) {
	data, err := os.ReadFile("../../test/bench/scale/testdata/probe-default-container.txt")
	if err != nil {
		b.Fatal(err)
	}
	out, err := probe.Parse(reading.MethodProc, data)
	if err != nil {
		b.Fatal(err)
	}
	pods := fakeapi.Pods(500, 2)
	nodes := map[string]*corev1.Node{fakeapi.DefaultNode: fakeapi.Node(fakeapi.DefaultNode, "containerd://1.6.20")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plans := Plan(pods, nodes, "")
		readings := make([]Reading, len(plans))
		for j := range readings {
			readings[j] = Reading{Snapshot: out}
		}
		full := NodeFullSets(plans, readings)
		for j, p := range plans {
			if c := Complete(p, readings[j], full); c.Live == nil {
				b.Fatal("no live reading")
			}
		}
	}
}
