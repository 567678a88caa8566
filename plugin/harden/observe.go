package harden

import (
	"context"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
)

// WorkloadRef names an object whose running pods can be observed.
type WorkloadRef struct {
	APIVersion string
	Kind       string
	Namespace  string // already defaulted to the current namespace when the manifest has none
	Name       string
}

// Observer reads a workload's running pods and returns evidence per container name. An error
// means no evidence at all for that workload; hardening then goes on from the spec alone and
// says so. The command wires in the live pipeline (package scan), the same one show reads with.
type Observer interface {
	Observe(ctx context.Context, w WorkloadRef) (map[string]policy.Evidence, error)
}
