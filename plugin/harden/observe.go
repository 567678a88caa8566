package harden

import "context"

// WorkloadRef names an object whose running pods can be observed.
type WorkloadRef struct {
	APIVersion string
	Kind       string
	Namespace  string // already defaulted to the current namespace when the manifest has none
	Name       string
	// Template is the pod template's metadata and spec as the manifest declares them (plain
	// values), for observers that match pods by labels.
	TemplateMeta map[string]any
	TemplateSpec map[string]any
}

// Observer reads running pods and returns evidence per container name. An error means no
// evidence at all for that workload; hardening then goes on from the spec alone and says so.
type Observer interface {
	Observe(ctx context.Context, w WorkloadRef) (map[string]Evidence, error)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, w WorkloadRef) (map[string]Evidence, error)

func (f ObserverFunc) Observe(ctx context.Context, w WorkloadRef) (map[string]Evidence, error) {
	return f(ctx, w)
}
