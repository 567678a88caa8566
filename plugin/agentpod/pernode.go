package agentpod

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// PerNode runs one agent per node job, at most Concurrency at a time: the loop that show
// --via node and trace share. Before the first agent it deletes the agent pods a killed run left
// (best effort) and lists the nodes once.
type PerNode struct {
	Client      kubernetes.Interface
	Namespace   string
	Concurrency int
	// Now is the clock for stale-pod cleanup (tests set it); Warn is told how many were deleted.
	Now  func() time.Time
	Warn func(string)
}

// Run calls run for each job, with one run ID shared by all the agents of this run. A job is
// handed to skip instead, with the reason, when its node should get no agent (Unusable), when
// ctx is done before its turn, or when an earlier run returned a fatal error: a cause that would
// fail every other node the same way (Pod Security, a missing permission) stops further creates,
// and that error is the reason.
func (p PerNode) Run(ctx context.Context, jobs []*NodeJob, run func(ctx context.Context, j *NodeJob, runID string) (fatal error), skip func(j *NodeJob, err error)) {
	if len(jobs) == 0 {
		return
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	if n, err := CleanStale(ctx, p.Client, p.Namespace, now()); err == nil && n > 0 && p.Warn != nil {
		p.Warn(fmt.Sprintf("deleted %d agent pods an earlier run left in namespace %q", n, p.Namespace))
	}
	nodes := Nodes(ctx, p.Client)
	runID := rand.String(8)

	var mu sync.Mutex
	var fatal error
	work := make(chan *NodeJob)
	var wg sync.WaitGroup
	for w := 0; w < max(p.Concurrency, 1) && w < len(jobs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				mu.Lock()
				f := fatal
				mu.Unlock()
				switch {
				case f != nil:
					skip(j, f)
					continue
				case ctx.Err() != nil:
					skip(j, ctx.Err())
					continue
				}
				if why := Unusable(nodes[j.Node]); why != "" {
					skip(j, unusableError(why))
					continue
				}
				if err := run(ctx, j, runID); err != nil {
					mu.Lock()
					if fatal == nil {
						fatal = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j // the workers drain the queue even when ctx is done, skipping what is left
	}
	close(work)
	wg.Wait()
}

type unusableError string

func (e unusableError) Error() string { return string(e) }

// Unexpected explains an agent's log that is not the document its mode prints (what, e.g. "a
// reading"), with how the agent ended and the start of what it printed, both cleaned and clipped:
// the log comes from an image the user named.
func (o *Output) Unexpected(agent, node, what string, err error) string {
	how := ""
	if e := o.Exit; e != nil {
		how = fmt.Sprintf(" (exit code %d", e.ExitCode)
		if e.Reason != "" {
			how += ", " + e.Reason
		}
		how += ")"
	}
	head := string(o.Log)
	if i := strings.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	return fmt.Sprintf("the %s on node %s%s did not print %s: %s; its output starts %q", agent, node, how, what, termsafe.Clip(termsafe.Clean(err.Error()), 200), termsafe.Clip(termsafe.Clean(head), 120))
}
