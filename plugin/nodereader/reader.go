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
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
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

// nodeJob is the targets of one node.
type nodeJob struct {
	node    string
	targets []int // indexes into the targets
	ids     []containerid.ID
}

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
	jobs := r.plan(targets, finish)
	if len(jobs) == 0 {
		return results
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	// Leftovers of a killed run: best effort, a refused list only means no cleanup.
	if n, err := agentpod.CleanStale(ctx, r.Client, r.Namespace, now()); err == nil && n > 0 {
		r.warn(fmt.Sprintf("deleted %d agent pods an earlier run left in namespace %q", n, r.Namespace))
	}
	nodes := r.nodes(ctx)
	runID := rand.String(8)

	// A cause that fails every node the same way (Pod Security, RBAC) stops further creates.
	var fatalMu sync.Mutex
	var fatal error
	work := make(chan *nodeJob)
	var wg sync.WaitGroup
	n := r.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	for w := 0; w < n && w < len(jobs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				fatalMu.Lock()
				f := fatal
				fatalMu.Unlock()
				if f != nil {
					r.failAll(j, targets, f, finish)
					continue
				}
				if why := UnreadableNode(nodes[j.node]); why != "" {
					r.failAll(j, targets, errors.New(why), finish)
					continue
				}
				err := r.readNode(ctx, j, targets, runID, finish)
				if isFatal(err) {
					fatalMu.Lock()
					if fatal == nil {
						fatal = err
					}
					fatalMu.Unlock()
				}
			}
		}()
	}
feed:
	for k, j := range jobs {
		select {
		case work <- j:
		case <-ctx.Done():
			for _, rest := range jobs[k:] {
				r.failAll(rest, targets, ctx.Err(), finish)
			}
			break feed
		}
	}
	close(work)
	wg.Wait()
	return results
}

// plan validates every target's container ID and groups the targets by node; a target that
// cannot be read from its node is finished at once.
func (r *Reader) plan(targets []scan.Target, finish func(int, scan.Result)) []*nodeJob {
	byNode := map[string]*nodeJob{}
	for i, t := range targets {
		if t.Node == "" {
			finish(i, scan.Result{Target: t, Err: errors.New("the pod is not on a node yet")})
			continue
		}
		if t.ContainerID == "" {
			finish(i, scan.Result{Target: t, Err: errors.New("the pod status lists no container ID yet")})
			continue
		}
		id, err := containerid.Parse(t.ContainerID)
		if err != nil {
			finish(i, scan.Result{Target: t, Err: fmt.Errorf("the node agent reads containers of containerd, CRI-O and Docker only: %w", err)})
			continue
		}
		j := byNode[t.Node]
		if j == nil {
			j = &nodeJob{node: t.Node}
			byNode[t.Node] = j
		}
		j.targets = append(j.targets, i)
		j.ids = append(j.ids, id)
	}
	jobs := make([]*nodeJob, 0, len(byNode))
	for _, j := range byNode {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].node < jobs[b].node })
	return jobs
}

// nodes lists the nodes once to tell NotReady and Windows nodes; without permission every node
// is tried.
func (r *Reader) nodes(ctx context.Context) map[string]*corev1.Node {
	out := map[string]*corev1.Node{}
	list, err := r.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return out
	}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

// UnreadableNode says why no agent should start on a node, "" when it can be tried (a nil node,
// unknown because nodes cannot be listed, is tried). The trace agent skips the same nodes.
func UnreadableNode(n *corev1.Node) string {
	if n == nil {
		return ""
	}
	if n.Labels["kubernetes.io/os"] == "windows" || strings.EqualFold(n.Status.NodeInfo.OperatingSystem, "windows") {
		return fmt.Sprintf("node %s runs Windows: the node agent reads Linux /proc", n.Name)
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
			why := c.Reason
			if why == "" {
				why = "Ready=" + string(c.Status)
			}
			return fmt.Sprintf("node %s is not Ready (%s): no agent was started there", n.Name, why)
		}
	}
	return ""
}

// readNode runs the agent on one node and finishes its targets. It returns the agent's error.
func (r *Reader) readNode(ctx context.Context, j *nodeJob, targets []scan.Target, runID string, finish func(int, scan.Result)) error {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	spec := agentpod.Spec{
		Namespace: r.Namespace, Node: j.node, Image: r.Image, Args: Args(j.node, j.ids), Mode: "read", RunID: runID,
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
		r.failAll(j, targets, answerError(j.node, out, derr), finish)
		return derr
	}
	if doc.Error != "" {
		r.failAll(j, targets, fmt.Errorf("the agent on node %s could not read: %s", j.node, termsafe.Clean(doc.Error)), finish)
		return nil
	}
	for _, p := range doc.Problems {
		r.warn(fmt.Sprintf("node %s: %s", j.node, termsafe.Clip(termsafe.Clean(p), 300)))
	}
	snaps := Snapshots(doc, j.ids)
	for k, i := range j.targets {
		t := targets[i]
		s := snaps[k]
		if s == nil || len(s.Procs) == 0 {
			finish(i, scan.Result{Target: t, Attempts: []string{"node: agent on " + j.node},
				Err: fmt.Errorf("no process of this container was found on node %s (it exited or restarted since it was listed)", j.node)})
			continue
		}
		finish(i, scan.Result{Target: t, Reading: s, Attempts: []string{"node: agent on " + j.node}})
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

func (r *Reader) failAll(j *nodeJob, targets []scan.Target, err error, finish func(int, scan.Result)) {
	for _, i := range j.targets {
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

// answerError explains output that is not a reading, with how the agent ended.
func answerError(node string, out *agentpod.Output, err error) error {
	how := ""
	if e := out.Exit; e != nil {
		how = fmt.Sprintf(" (exit code %d", e.ExitCode)
		if e.Reason != "" {
			how += ", " + e.Reason
		}
		how += ")"
	}
	head := string(out.Log)
	if i := strings.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	return fmt.Errorf("the agent on node %s%s did not print a reading: %v; its output starts %q", node, how, err, termsafe.Clip(termsafe.Clean(head), 120))
}
