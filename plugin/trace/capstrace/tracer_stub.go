//go:build !(linux && (amd64 || arm64))

package capstrace

import "github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"

// Tracer is inert where the program cannot run: Start never returns one.
type Tracer struct{}

// Start returns ErrNeedsLinux: capability checks can only be traced in a Linux kernel, with the
// program this build carries for amd64 and arm64.
func Start(Options) (*Tracer, error) { return nil, ErrNeedsLinux }

// Path is empty: nothing is attached.
func (*Tracer) Path() capcheck.Path { return "" }

// Records returns ErrNeedsLinux.
func (*Tracer) Records() (capcheck.Snapshot, error) { return capcheck.Snapshot{}, ErrNeedsLinux }

// SetCgroups returns ErrNeedsLinux.
func (*Tracer) SetCgroups([]uint64) error { return ErrNeedsLinux }

// Close does nothing.
func (*Tracer) Close() error { return nil }
