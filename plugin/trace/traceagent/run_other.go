//go:build !linux

package traceagent

import (
	"context"
	"runtime"

	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// Run cannot trace outside Linux: every row says so.
func Run(_ context.Context, o Options) *tracereport.Trace {
	out := tracereport.New()
	for _, id := range o.IDs {
		out.Containers = append(out.Containers, tracereport.Failed(tracereport.Meta{ContainerID: id.String(), Node: o.Node},
			"the trace agent runs only on Linux, not on "+runtime.GOOS))
	}
	return out
}
