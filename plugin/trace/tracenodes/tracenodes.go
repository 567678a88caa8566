// Package tracenodes runs `kubectl caps trace` on a cluster: one privileged trace agent pod per
// node that runs a target container (package agentpod runs it: create, watch, follow the log,
// delete on every path), all nodes at once up to a bound, each recording for the same time. It
// maps the rows every agent prints (a CapabilityTrace, package tracereport) back to the targets'
// pods and containers, and says each cause of failure once.
//
// An interrupt (Ctrl-C) ends the recording early with the summary: each running agent is deleted
// gracefully, prints its trace on SIGTERM, and that log is read to its end. An agent that had not
// started yet is deleted at once. Either way no agent pod is left behind, and the kernel unloads
// the program when the agent exits.
package tracenodes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/agentpod"
	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereader"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// Defaults: every node of a usual selection records at once; the API server sees four requests
// per node (create, watch, log, delete).
const (
	DefaultConcurrency = 32
	// StopGrace is how long an interrupted agent has to print its trace after SIGTERM.
	StopGrace = 30 * time.Second
	// summaryMargin is the time after --for that an agent gets to read its map, name the stack
	// frames and print.
	summaryMargin = 30 * time.Second
	idsPerArg     = 100
)

// Mode labels the trace agent's pods (agentpod.LabelMode).
const Mode = "trace"

// Target is one running container to trace.
type Target struct {
	Namespace, Pod, Container string
	Node                      string
	// ContainerID is as the pod status lists it: "containerd://<64 hex>".
	ContainerID string
	// Workload runs the pod; it is copied into the row (harden --evidence matches by it).
	Workload *tracereport.Workload
}

// Runner traces targets through one agent pod per node.
type Runner struct {
	Client kubernetes.Interface
	// Namespace is where agent pods are created (its Pod Security must admit privileged pods);
	// Image is the agent image.
	Namespace, Image string
	// Concurrency bounds the agents running at once: nodes beyond it are traced after others end.
	Concurrency int
	// StartTimeout bounds an agent's image pull and start (--agent-timeout).
	StartTimeout time.Duration
	// For is how long every agent records.
	For time.Duration
	// KernelPath, when set, forces the agents' kernel path (agent trace --kernel-path).
	KernelPath string
	// Warn is told what the user should know that is not a failure (a pod left behind).
	Warn func(string)
	// Recording, when set, is told when a node's agent runs (it records from then on).
	Recording func(node string)
	// Now is the clock for stale-pod cleanup (tests set it).
	Now func() time.Time
}

// Failure is one cause that cost targets their trace, said once.
type Failure struct {
	Message string
	// Shared: the cause is the same on every node (Pod Security, a missing permission, an image
	// that cannot be pulled); tables leave its rows out since the line says it all.
	Shared bool
	// Targets are the indexes of the targets it cost.
	Targets []int
}

// Result is a whole trace run.
type Result struct {
	// Trace has one row per target, in the targets' order; rows not traced carry Error.
	Trace *tracereport.Trace
	// Failures group the rows not traced by cause, in the order of their first target.
	Failures []Failure
	// Interrupted: the run was stopped (Ctrl-C) before every agent had finished its time.
	Interrupted bool
}

// fatalOutcome carries the outcome of a cause that stops further agents (agentpod.PerNode).
type fatalOutcome struct{ outcome }

func (f fatalOutcome) Error() string { return f.err }

// outcome is how one target ended, before grouping.
type outcome struct {
	row    tracereport.Container
	err    string
	shared bool
}

// Run traces every target and returns one row per target.
func (r *Runner) Run(ctx context.Context, targets []Target) *Result {
	outcomes := make([]outcome, len(targets))
	var mu sync.Mutex
	set := func(i int, o outcome) {
		mu.Lock()
		defer mu.Unlock()
		outcomes[i] = o
	}
	placed := make([]agentpod.Placed, len(targets))
	for i, t := range targets {
		placed[i] = agentpod.Placed{Node: t.Node, ContainerID: t.ContainerID}
	}
	jobs := agentpod.ByNode(placed, func(i int, why string) { set(i, outcome{err: why}) })
	res := &Result{Trace: tracereport.New()}
	var longest time.Duration
	if len(jobs) > 0 {
		n := r.Concurrency
		if n <= 0 {
			n = DefaultConcurrency
		}
		agents := agentpod.PerNode{Client: r.Client, Namespace: r.Namespace, Concurrency: n, Now: r.Now, Warn: r.warn}
		agents.Run(ctx, jobs, func(ctx context.Context, j *agentpod.NodeJob, runID string) error {
			d, fail := r.traceNode(ctx, j, targets, runID, set)
			mu.Lock()
			longest = max(longest, d)
			mu.Unlock()
			if fail != nil && fail.shared {
				return fatalOutcome{*fail}
			}
			return nil
		}, func(j *agentpod.NodeJob, err error) {
			var f fatalOutcome
			switch {
			case errors.As(err, &f):
				r.failAll(j, targets, f.outcome, set)
			case ctx.Err() != nil && errors.Is(err, ctx.Err()):
				r.failAll(j, targets, outcome{err: "interrupted before the agent started on node " + j.Node}, set)
			default:
				r.failAll(j, targets, outcome{err: err.Error()}, set)
			}
		})
		res.Interrupted = ctx.Err() != nil
	}
	if longest > 0 {
		res.Trace.Duration = longest.String()
	}
	byMessage := map[string]int{}
	for i, o := range outcomes {
		row := o.row
		t := targets[i]
		row.Namespace, row.Pod, row.Container, row.Node, row.Workload = t.Namespace, t.Pod, t.Container, t.Node, t.Workload
		if row.ContainerID == "" {
			row.ContainerID = t.ContainerID
		}
		if row.Used == nil {
			row.Used, row.Denied, row.Noise = []tracereport.Capability{}, []tracereport.Capability{}, []tracereport.Noise{}
		}
		if o.err != "" {
			row.Error = o.err
		}
		res.Trace.Containers = append(res.Trace.Containers, row)
		if row.Error == "" {
			continue
		}
		k, ok := byMessage[row.Error]
		if !ok {
			k = len(res.Failures)
			byMessage[row.Error] = k
			res.Failures = append(res.Failures, Failure{Message: row.Error, Shared: o.shared})
		}
		res.Failures[k].Targets = append(res.Failures[k].Targets, i)
	}
	return res
}

// Args are the trace agent's arguments for a node's containers.
func Args(node string, ids []containerid.ID, d time.Duration, kernelPath string) []string {
	args := []string{"agent", "trace", "--node", node, "--for", d.String()}
	if kernelPath != "" {
		args = append(args, "--kernel-path", kernelPath)
	}
	for k := 0; k < len(ids); k += idsPerArg {
		end := min(k+idsPerArg, len(ids))
		parts := make([]string, 0, end-k)
		for _, id := range ids[k:end] {
			parts = append(parts, id.String())
		}
		args = append(args, "--container-id", strings.Join(parts, ","))
	}
	return args
}

// Timeouts of one agent: the runner's bound from create to exit, and the pod's own deadline, the
// kubelet's safety net should the plugin be killed (it stops the agent, which then prints its
// trace and exits, unloading the program).
func (r *Runner) timeouts() (run, deadline time.Duration) {
	start := r.StartTimeout
	if start <= 0 {
		start = nodereader.DefaultTimeout
	}
	run = start + r.For + summaryMargin
	return run, run + 30*time.Second
}

// traceNode runs the agent of one node and sets its targets' outcomes. It returns how long the
// agent recorded, and the failure that cost every target of the node, if one did.
func (r *Runner) traceNode(ctx context.Context, j *agentpod.NodeJob, targets []Target, runID string, set func(int, outcome)) (time.Duration, *outcome) {
	run, deadline := r.timeouts()
	spec := agentpod.Spec{
		Namespace: r.Namespace, Node: j.Node, Image: r.Image, Args: Args(j.Node, j.IDs, r.For, r.KernelPath),
		Mode: Mode, RunID: runID, Privileged: true, Deadline: deadline, StopGrace: StopGrace,
	}
	runner := &agentpod.Runner{Client: r.Client, Timeout: run, MaxLog: traceMaxBytes}
	if r.Recording != nil {
		runner.Started = func() { r.Recording(j.Node) }
	}
	out, err := runner.Run(ctx, spec)
	if out != nil && out.LeftBehind != nil {
		r.warn(out.LeftBehind.Error())
	}
	// Interrupted (context.Canceled) still leaves the summary the agent printed on SIGTERM.
	if err != nil && !(errors.Is(err, context.Canceled) && out != nil && len(out.Log) > 0) {
		o := failure(err, r.Namespace, j.Node)
		r.failAll(j, targets, o, set)
		return 0, &o
	}
	tr, derr := tracereport.Decode(bytes.NewReader(out.Log))
	if derr != nil {
		o := outcome{err: out.Unexpected("trace agent", j.Node, "a trace", derr)}
		r.failAll(j, targets, o, set)
		return 0, &o
	}
	rows := map[string]tracereport.Container{}
	for _, c := range tr.Containers {
		if id, err := containerid.Parse(c.ContainerID); err == nil {
			if _, dup := rows[id.Hex]; !dup {
				rows[id.Hex] = c
			}
		}
	}
	for k, i := range j.Targets {
		c, ok := rows[j.IDs[k].Hex]
		if !ok {
			set(i, outcome{err: fmt.Sprintf("the trace agent on node %s printed no row for this container", j.Node)})
			continue
		}
		c.Error = termsafe.Clean(c.Error)
		set(i, outcome{row: c})
	}
	d, _ := time.ParseDuration(tr.Duration)
	return d, nil
}

// traceMaxBytes bounds what is read of one agent's log: the agent's own bound on its document
// (traceagent.MaxBytes), which this package does not import (it is the node side).
const traceMaxBytes = 32 << 20

func (r *Runner) failAll(j *agentpod.NodeJob, targets []Target, o outcome, set func(int, outcome)) {
	for _, i := range j.Targets {
		set(i, o)
	}
}

func (r *Runner) warn(s string) {
	if r.Warn != nil {
		r.Warn(termsafe.Clean(s))
	}
}

// failure words the agent's errors for trace: the agent pod is privileged, and the flags to
// change are trace's.
func failure(err error, ns, node string) outcome {
	var ps *agentpod.PodSecurityError
	var fb *agentpod.ForbiddenError
	var im *agentpod.ImageError
	switch {
	case errors.As(err, &ps):
		return outcome{shared: true, err: termsafe.Clean(fmt.Sprintf("namespace %q does not admit the privileged trace agent (%s); trace needs an agent namespace whose pod-security.kubernetes.io/enforce level is privileged: choose one with --agent-namespace", ps.Namespace, ps.Detail))}
	case errors.As(err, &fb):
		return outcome{shared: true, err: fmt.Sprintf("cannot %s %s in namespace %q: missing permission (trace needs create, get, list, watch and delete on pods and get on pods/log in the agent namespace: the kubectl-caps-trace ClusterRole in rbac/kubectl-caps.yaml, bound there with a RoleBinding); choose another namespace with --agent-namespace", fb.Verb, fb.Resource, fb.Namespace)}
	case errors.As(err, &im):
		return outcome{shared: true, err: termsafe.Clean(im.Error())}
	case errors.Is(err, context.Canceled):
		return outcome{err: "interrupted before the agent on node " + node + " started recording"}
	}
	return outcome{err: termsafe.Clean(err.Error())}
}
