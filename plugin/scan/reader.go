package scan

import (
	"context"

	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

// Target is one running container to read, with the identity it had when it was listed.
type Target struct {
	Namespace, Pod, Container string
	// Node is the node the pod runs on.
	Node string
	// HostPID: PID 1 is the node's init and the node's processes are visible; a reader must read
	// only the container's own.
	HostPID bool
	// PodUID and ContainerID (as the pod status lists it: "containerd://<id>") let a reader find
	// the container on its node and tell a replaced pod or a restarted container from other
	// failures.
	PodUID      types.UID
	ContainerID string
}

// Result is one container's reading, or why there is none.
type Result struct {
	Target
	Reading *reading.Snapshot
	// Attempts says what was tried, for people: "proc: sh not found", ...
	Attempts []string
	Err      error
}

// Reader reads the live state of running containers: over exec today (package execreader),
// from the node tomorrow. Read returns one Result per target, in the targets' order, and calls
// done (serialised, from any goroutine; it may be nil) as each target finishes. When ctx is
// cancelled it returns promptly; targets not read get ctx's error.
type Reader interface {
	Read(ctx context.Context, targets []Target, done func(i int, r Result)) []Result
}

// SharedError is one cause behind many containers' failures: a missing permission, an agent
// pod that could not start. Readers return the same message for every container it costs, and
// the pipeline says it once with the count, not once per container.
type SharedError struct {
	Message string
	Err     error
}

func (e *SharedError) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

func (e *SharedError) Unwrap() error { return e.Err }
