package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/traceevidence"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracenodes"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// evidenceObserver gives harden what traces saved with `trace -o json` saw (--evidence): the
// workload's traced containers, matched by namespace, kind and name.
type evidenceObserver struct{ index *traceevidence.Index }

func (o *evidenceObserver) Observe(_ context.Context, w harden.WorkloadRef) (map[string]policy.Evidence, error) {
	ev, ok := o.index.For(traceevidence.Key{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name})
	if !ok {
		return nil, fmt.Errorf("no trace in --evidence covers %s %s/%s", w.Kind, w.Namespace, w.Name)
	}
	return ev, nil
}

// readEvidence decodes every --evidence file (the CapabilityTrace kind, bounded by Decode).
func readEvidence(paths []string) (*traceevidence.Index, error) {
	var traces []*tracereport.Trace
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("--evidence: %v", err)
		}
		t, err := tracereport.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--evidence %s: %v", p, err)
		}
		traces = append(traces, t)
	}
	ix := traceevidence.New(traces...)
	if ix.Len() == 0 {
		return nil, fmt.Errorf("--evidence: no container was traced in %s", strings.Join(paths, ", "))
	}
	return ix, nil
}

// traceObserver traces a workload's running pods for a while (--trace): its live object is read,
// its pods are those its selector matches (as for `trace TYPE/NAME`), and one privileged agent
// per node records their capability checks. Each workload is traced in turn.
type traceObserver struct {
	builder func() *resource.Builder
	client  kubernetes.Interface
	runner  func() *tracenodes.Runner
	warn    func(string)
}

func (o *traceObserver) Observe(ctx context.Context, w harden.WorkloadRef) (map[string]policy.Evidence, error) {
	what := fmt.Sprintf("%s %s/%s", w.Kind, w.Namespace, w.Name)
	obj, err := scan.WorkloadObject(o.builder, scan.Workload{APIVersion: w.APIVersion, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name})
	if err != nil {
		return nil, err
	}
	pods, err := scan.PodsFor(ctx, o.client, []runtime.Object{obj})
	if err != nil {
		return nil, err
	}
	targets, plans := traceTargets(ctx, o.client, pods, "")
	if len(targets) == 0 {
		why := notRunning(plans)
		if why == "" {
			why = "it has no pods"
		}
		return nil, fmt.Errorf("no running container of %s to trace: %s", what, why)
	}
	res := o.runner().Run(ctx, targets)
	for _, f := range res.Failures {
		o.warn(fmt.Sprintf("trace of %s: %s (%s)", what, f.Message, targetList(targets, f.Targets)))
	}
	ev, ok := traceevidence.New(res.Trace).For(traceevidence.Key{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name})
	if !ok {
		var msgs []string
		for _, f := range res.Failures {
			msgs = append(msgs, f.Message)
		}
		return nil, fmt.Errorf("no container of %s was traced: %s", what, strings.Join(msgs, "; "))
	}
	return ev, nil
}

// mergedObserver puts what the running pods were seen doing (--observe, and always for live
// objects) and what a trace saw into one evidence per container. One failing still leaves the
// other's evidence, with a note saying what is missing.
type mergedObserver struct {
	observers []harden.Observer
}

// mergeObservers returns nil when there is nothing to observe with, one observer as it is, or
// their merge.
func mergeObservers(list ...harden.Observer) harden.Observer {
	var keep []harden.Observer
	for _, o := range list {
		if o != nil {
			keep = append(keep, o)
		}
	}
	switch len(keep) {
	case 0:
		return nil
	case 1:
		return keep[0]
	}
	return &mergedObserver{observers: keep}
}

func (m *mergedObserver) Observe(ctx context.Context, w harden.WorkloadRef) (map[string]policy.Evidence, error) {
	out := map[string]policy.Evidence{}
	var errs []error
	got := false
	for _, o := range m.observers {
		ev, err := o.Observe(ctx, w)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = true
		names := make([]string, 0, len(ev))
		for name := range ev {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			out[name] = mergeEvidence(out[name], ev[name])
		}
	}
	if !got {
		return nil, errors.Join(errs...)
	}
	for name, ev := range out {
		for _, err := range errs {
			ev.Notes = append(ev.Notes, "not seen: "+termsafe.Clean(err.Error()))
		}
		out[name] = ev
	}
	return out, nil
}

// mergeEvidence adds b's findings to a's.
func mergeEvidence(a, b policy.Evidence) policy.Evidence {
	a.Pods = max(a.Pods, b.Pods)
	a.Traced = max(a.Traced, b.Traced)
	a.ListenPorts = append(a.ListenPorts, b.ListenPorts...)
	a.SwitchedUID = a.SwitchedUID || b.SwitchedUID
	a.SwitchedGID = a.SwitchedGID || b.SwitchedGID
	a.RawSockets = a.RawSockets || b.RawSockets
	a.FileCaps = a.FileCaps.Union(b.FileCaps)
	if a.UnprivilegedPortStart == nil {
		a.UnprivilegedPortStart = b.UnprivilegedPortStart
	}
	a.Notes = append(a.Notes, b.Notes...)
	a.Needs = append(a.Needs, b.Needs...)
	return a
}

// traceRunner is the runner of one trace run, shared by trace and harden --trace: agents in
// agent's namespace and image, warnings and (on a terminal) progress on errOut.
func traceRunner(client kubernetes.Interface, agent AgentOptions, d time.Duration, kernelPath string, concurrency int, errOut interface{ Write([]byte) (int, error) }, terminal bool) *tracenodes.Runner {
	var mu sync.Mutex
	say := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(errOut, s)
	}
	r := &tracenodes.Runner{
		Client: client, Namespace: agent.Namespace, Image: agent.Image, Concurrency: concurrency,
		StartTimeout: agent.Timeout, For: d, KernelPath: kernelPath,
		Warn: func(s string) { say("warning: " + s) },
	}
	if terminal {
		r.Recording = func(node string) {
			say(fmt.Sprintf("recording on node %s until %s (Ctrl-C ends it early, with the summary)", termsafe.Clean(node), time.Now().Add(d).Format("15:04:05")))
		}
	}
	return r
}
