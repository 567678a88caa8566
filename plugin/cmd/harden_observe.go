package cmd

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
)

// pipelineObserver gives harden the same live readings show takes: the workload's live object is
// read, its pods are those its selector matches (as for `show TYPE/NAME`), and every running
// container is read once through the shared pipeline.
type pipelineObserver struct {
	builder  func() *resource.Builder
	pipeline *scan.Pipeline
}

func (o *pipelineObserver) Observe(ctx context.Context, w harden.WorkloadRef) (map[string]policy.Evidence, error) {
	what := fmt.Sprintf("%s %s/%s", w.Kind, w.Namespace, w.Name)
	obj, err := scan.WorkloadObject(o.builder, scan.Workload{APIVersion: w.APIVersion, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name})
	if err != nil {
		return nil, err
	}
	pods, err := scan.PodsFor(ctx, o.pipeline.Client, []runtime.Object{obj})
	if err != nil {
		return nil, err
	}
	s, err := o.pipeline.Run(ctx, pods)
	if err != nil {
		return nil, err
	}
	if len(s.Results) == 0 {
		return nil, fmt.Errorf("no running pods of %s to observe", what)
	}
	byContainer := s.Observations()
	if len(byContainer) == 0 {
		lines, _ := s.Problems()
		return nil, fmt.Errorf("could not read any container of %s: %s", what, strings.Join(lines, "; "))
	}
	out := make(map[string]policy.Evidence, len(byContainer))
	for name, obs := range byContainer {
		out[name] = policy.Infer(obs)
	}
	return out, nil
}
