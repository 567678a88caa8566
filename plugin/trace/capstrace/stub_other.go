//go:build !linux

package capstrace

import "github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"

// Tracer is inert outside Linux: Start never returns one.
type Tracer struct{}

// Start returns ErrNeedsLinux: capability checks can only be traced in a Linux kernel.
func Start(Options) (*Tracer, error) { return nil, ErrNeedsLinux }

// Path is empty: nothing is attached.
func (*Tracer) Path() capcheck.Path { return "" }

// Records returns ErrNeedsLinux.
func (*Tracer) Records() (capcheck.Snapshot, error) { return capcheck.Snapshot{}, ErrNeedsLinux }

// SetCgroups returns ErrNeedsLinux.
func (*Tracer) SetCgroups([]uint64) error { return ErrNeedsLinux }

// Close does nothing.
func (*Tracer) Close() error { return nil }

// CgroupID returns ErrNeedsLinux.
func CgroupID(string) (uint64, error) { return 0, ErrNeedsLinux }

// CgroupV1 returns ErrNeedsLinux.
func CgroupV1() (bool, error) { return false, ErrNeedsLinux }
