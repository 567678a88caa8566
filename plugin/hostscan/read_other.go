//go:build !linux

package hostscan

import (
	"context"
	"runtime"

	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
)

// Read cannot read anything outside Linux: there is no /proc to walk.
func Read(_ context.Context, o Options) *nodereading.Document {
	d := newDocument(o)
	d.Error = "the node agent reads Linux's /proc and runs only on Linux, not on " + runtime.GOOS
	return d
}
