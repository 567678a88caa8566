package probe

import (
	"os"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

// BenchmarkParseShellOutput parses one container's whole probe answer: the real output of the
// shell probe in a default container (three processes, empty socket tables), as every container
// of a scan sends it.
func BenchmarkParseShellOutput(b *testing.B) {
	data, err := os.ReadFile("../../test/bench/scale/testdata/probe-default-container.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(reading.MethodProc, data); err != nil {
			b.Fatal(err)
		}
	}
}
