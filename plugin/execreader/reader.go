package execreader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/exec"

	"github.com/kubectl-caps/kubectl-caps/plugin/probe"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// Defaults sized for large clusters on a laptop: enough parallel execs to hide API server and
// kubelet latency, few enough not to overload one kubelet.
const (
	DefaultConcurrency = 16
	DefaultTimeout     = 20 * time.Second
	DefaultMaxBytes    = 8 << 20
)

// Reader reads containers over the pod exec API, once per container, with bounded concurrency,
// time and bytes. It is the scan.Reader every verb uses unless told to read from the node.
type Reader struct {
	Exec        Executor
	Concurrency int
	Timeout     time.Duration
	MaxBytes    int
	// Recheck, when set, explains an exec that failed for no reason the exec itself gave (see
	// PodRecheck); it returns nil when it cannot tell.
	Recheck func(ctx context.Context, t scan.Target, err error) error
}

var _ scan.Reader = (*Reader)(nil)

// Read reads every target and calls done (from any goroutine, serialised) as each finishes.
// It returns when all are done or ctx is cancelled; cancelled targets get ctx's error.
func (c *Reader) Read(ctx context.Context, targets []scan.Target, done func(i int, r scan.Result)) []scan.Result {
	n := c.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	results := make([]scan.Result, len(targets))
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < n && w < len(targets); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := c.readOne(ctx, targets[i])
				mu.Lock()
				results[i] = r
				if done != nil {
					done(i, r)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range targets {
		select {
		case work <- i:
		case <-ctx.Done():
			for j := i; j < len(targets); j++ {
				results[j] = scan.Result{Target: targets[j], Err: ctx.Err()}
			}
			break feed
		}
	}
	close(work)
	wg.Wait()
	return results
}

// readOne tries each method in order, falling back only when the image lacks the binary.
func (c *Reader) readOne(ctx context.Context, t scan.Target) scan.Result {
	r := scan.Result{Target: t}
	for _, m := range probe.Methods {
		if m == reading.MethodPID1 && t.HostPID {
			r.Attempts = append(r.Attempts, "proc-pid1: skipped (hostPID: PID 1 is the node's init)")
			continue
		}
		out, err := c.try(ctx, t, m)
		if err == nil {
			r.Reading = out
			return r
		}
		r.Attempts = append(r.Attempts, fmt.Sprintf("%s: %s", m, termsafe.Clip(termsafe.Clean(err.Error()), 200)))
		if isForbidden(err) {
			r.Err = &scan.SharedError{Message: fmt.Sprintf("cannot exec into pods in namespace %q: missing permission on \"pods/exec\" (verbs get and create: WebSocket exec is authorized as get, SPDY as create); ask for a Role granting them, e.g. the kubectl-caps-show ClusterRole in rbac/kubectl-caps.yaml", t.Namespace), Err: err}
			return r
		}
		if !isMissingBinary(err) || errors.Is(err, errOverflow) || ctx.Err() != nil {
			r.Err = explainGone(err)
			if r.Err == err && c.Recheck != nil && ctx.Err() == nil && !errors.Is(err, errOverflow) && !errors.Is(err, errNoAnswer) {
				if why := c.Recheck(ctx, t, err); why != nil {
					r.Err = fmt.Errorf("%w: %v", why, err)
				}
			}
			return r
		}
	}
	r.Err = errNoReader
	return r
}

// errNoReader is the message for shell-less images (distroless, scratch). The hint names a
// command for the user to run; we never run it ourselves.
var errNoReader = errors.New("no /bin/sh, cat or capsh in the image, so /proc cannot be read from inside it; " +
	"read it from the node instead: kubectl caps show --via node (one agent pod per node), " +
	"or from a debug container: kubectl debug -it POD --image=busybox --target=CONTAINER -- cat /proc/1/status")

// ErrNoReader reports whether err means the image has none of the binaries a reading needs.
func ErrNoReader(err error) bool { return errors.Is(err, errNoReader) }

func (c *Reader) try(parent context.Context, t scan.Target, m reading.Method) (*reading.Snapshot, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	max := c.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	stdout := &boundedBuffer{max: max, onLimit: cancel}
	stderr := &boundedBuffer{max: 16 << 10}
	err := c.Exec.Exec(ctx, t.Namespace, t.Pod, t.Container, probe.Command(m), stdout, stderr)
	data := stdout.Bytes()
	if stdout.Overflowed() {
		out, perr := probe.Parse(m, data)
		if perr != nil {
			return nil, fmt.Errorf("%w (%d bytes) and was not a probe answer: %v", errOverflow, max, perr)
		}
		out.Truncated = true
		out.Problems = append(out.Problems, fmt.Sprintf("output exceeded %d bytes; the rest was not read", max))
		return out, nil
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
			return nil, fmt.Errorf("%w within %s (--timeout)", errNoAnswer, timeout)
		}
		if msg := strings.TrimSpace(string(stderr.Bytes())); msg != "" && isExitError(err) {
			return nil, fmt.Errorf("%v: %s", err, msg)
		}
		return nil, err
	}
	return probe.Parse(m, data)
}

var errNoAnswer = errors.New("no answer")

// errOverflow marks output that hit --max-bytes without being a readable answer: a binary that
// floods is there, so falling back to the next method would only misreport the image as having
// no shell (and read the flood once more).
var errOverflow = errors.New("output exceeded --max-bytes")

func isExitError(err error) bool {
	var ee exec.ExitError
	return errors.As(err, &ee)
}

// isMissingBinary recognises the runtime's "no such executable" answer. containerd/runc say
// `exec: "sh": executable file not found in $PATH`; CRI-O and others exit 126/127 or report
// "no such file or directory".
func isMissingBinary(err error) bool {
	var ee exec.ExitError
	if errors.As(err, &ee) && (ee.ExitStatus() == 126 || ee.ExitStatus() == 127) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "executable file not found") ||
		strings.Contains(s, "no such file or directory") ||
		strings.Contains(s, "not found in $PATH") ||
		strings.Contains(s, "output does not start with the probe header")
}

func isForbidden(err error) bool {
	if apierrors.IsForbidden(err) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "forbidden") && strings.Contains(s, "pods/exec")
}

// explainGone turns the API server's terse answers for containers that went away between listing
// and exec into something a person can act on.
func explainGone(err error) error {
	s := err.Error()
	switch {
	case apierrors.IsNotFound(err) || strings.Contains(s, "pods \"") && strings.Contains(s, "not found"):
		return fmt.Errorf("%w: %w", errPodDeleted, err)
	case strings.Contains(s, "container not found"):
		return fmt.Errorf("%w: %w", errContainerStopped, err)
	case strings.Contains(s, "cannot exec into a container in a completed pod"):
		return fmt.Errorf("the pod completed during the scan: %w", err)
	}
	return err
}
