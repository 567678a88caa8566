// Package nodereader is the scan.Reader of `show --via node`: instead of exec'ing into every
// container, it starts one short-lived agent pod per node that runs target pods (package
// agentpod), which reads the node's /proc for exactly those containers (package hostscan) and
// prints a NodeReading (package nodereading); the reader turns it into one reading per container.
//
// It costs one pod per node rather than one exec per container, reads images with no shell at
// all, and the image cannot forge what it reports. Failures are said once per cause (a namespace
// whose Pod Security refuses the agent, a missing permission, an image that cannot be pulled) or
// per node (not Ready, Windows, the agent timing out), and never leave a pod behind.
package nodereader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/agentpod"
	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// Method marks readings taken from the node.
const Method reading.Method = "node"

// Defaults: enough agents at once to hide pod start latency, few enough not to flood the API
// server with creates; a timeout that leaves room for a first image pull.
const (
	DefaultConcurrency = 16
	DefaultTimeout     = 2 * time.Minute
	// idsPerArg keeps each --container-id argument far below the kernel's 128 KiB per argument.
	idsPerArg = 100
)

// Reader reads containers through one agent pod per node.
type Reader struct {
	Client kubernetes.Interface
	// Namespace is where agent pods are created; Image is the agent image.
	Namespace, Image string
	// Concurrency bounds the agent pods running at once; Timeout bounds one agent.
	Concurrency int
	Timeout     time.Duration
	// Warn, when set, is told things the user should know that are not failures (an agent pod
	// that could not be deleted, what an agent could not read on its node).
	Warn func(string)
	// Now is the clock for stale-pod cleanup (tests set it).
	Now func() time.Time
}

var _ scan.Reader = (*Reader)(nil)

// Read starts the agents, one per node, and returns one result per target.
func (r *Reader) Read(ctx context.Context, targets []scan.Target, done func(i int, res scan.Result)) []scan.Result {
	results := make([]scan.Result, len(targets))
	var mu sync.Mutex
	finish := func(i int, res scan.Result) {
		mu.Lock()
		defer mu.Unlock()
		results[i] = res
		if done != nil {
			done(i, res)
		}
	}
	placed := make([]agentpod.Placed, len(targets))
	for i, t := range targets {
		placed[i] = agentpod.Placed{Node: t.Node, ContainerID: t.ContainerID}
	}
	jobs := agentpod.ByNode(placed, func(i int, why string) {
		finish(i, scan.Result{Target: targets[i], Err: errors.New(why)})
	})
	if len(jobs) == 0 {
		return results
	}
	n := r.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	agents := agentpod.PerNode{Client: r.Client, Namespace: r.Namespace, Concurrency: n, Now: r.Now, Warn: r.warn}
	agents.Run(ctx, jobs, func(ctx context.Context, j *agentpod.NodeJob, runID string) error {
		if err := r.readNode(ctx, j, targets, runID, finish); isFatal(err) {
			return err
		}
		return nil
	}, func(j *agentpod.NodeJob, err error) { r.failAll(j, targets, err, finish) })
	return results
}

// readNode runs the agent on one node and finishes its targets. It returns the agent's error.
func (r *Reader) readNode(ctx context.Context, j *agentpod.NodeJob, targets []scan.Target, runID string, finish func(int, scan.Result)) error {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	spec := agentpod.Spec{
		Namespace: r.Namespace, Node: j.Node, Image: r.Image, Args: Args(j.Node, j.IDs), Mode: "read", RunID: runID,
		Capabilities: agentpod.ReadCapabilities,
		// The kubelet's own safety net, should the plugin be killed: the timeout plus a margin for
		// the image pull the timeout already covers.
		Deadline: timeout + 30*time.Second,
	}
	runner := &agentpod.Runner{Client: r.Client, Timeout: timeout, MaxLog: nodereading.MaxBytes}
	out, err := runner.Run(ctx, spec)
	if out != nil && out.LeftBehind != nil {
		r.warn(out.LeftBehind.Error())
	}
	if err != nil {
		r.failAll(j, targets, shared(err), finish)
		return err
	}
	doc, derr := nodereading.Decode(out.Log)
	if derr != nil {
		r.failAll(j, targets, errors.New(out.Unexpected("agent", j.Node, "a reading", derr)), finish)
		return derr
	}
	if doc.Error != "" {
		r.failAll(j, targets, fmt.Errorf("the agent on node %s could not read: %s", j.Node, termsafe.Clean(doc.Error)), finish)
		return nil
	}
	for _, p := range doc.Problems {
		r.warn(fmt.Sprintf("node %s: %s", j.Node, termsafe.Clip(termsafe.Clean(p), 300)))
	}
	snaps := Snapshots(doc, j.IDs)
	for k, i := range j.Targets {
		t := targets[i]
		s := snaps[k]
		if s == nil || len(s.Procs) == 0 {
			finish(i, scan.Result{Target: t, Attempts: []string{"node: agent on " + j.Node},
				Err: fmt.Errorf("no process of this container was found on node %s (it exited or restarted since it was listed)", j.Node)})
			continue
		}
		finish(i, scan.Result{Target: t, Reading: s, Attempts: []string{"node: agent on " + j.Node}})
	}
	return nil
}

// Args are the agent's arguments for a node's containers.
func Args(node string, ids []containerid.ID) []string {
	args := []string{"agent", "read", "--node", node}
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

func (r *Reader) failAll(j *agentpod.NodeJob, targets []scan.Target, err error, finish func(int, scan.Result)) {
	for _, i := range j.Targets {
		finish(i, scan.Result{Target: targets[i], Err: err})
	}
}

func (r *Reader) warn(s string) {
	if r.Warn != nil {
		r.Warn(s)
	}
}

// isFatal: the cause would fail every other node the same way.
func isFatal(err error) bool {
	var ps *agentpod.PodSecurityError
	var fb *agentpod.ForbiddenError
	return errors.As(err, &ps) || errors.As(err, &fb)
}

// shared turns the causes that cost many containers into one line for the user (see
// scan.SharedError); a cancelled context stays itself so the pipeline counts it as interrupted.
func shared(err error) error {
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	var ps *agentpod.PodSecurityError
	var fb *agentpod.ForbiddenError
	var im *agentpod.ImageError
	if errors.As(err, &ps) || errors.As(err, &fb) || errors.As(err, &im) {
		return &scan.SharedError{Message: err.Error()}
	}
	return err
}
