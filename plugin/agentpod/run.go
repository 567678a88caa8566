package agentpod

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// Runner runs agent pods.
type Runner struct {
	Client kubernetes.Interface
	// Timeout bounds one agent from create to exit (image pull, start and reading).
	Timeout time.Duration
	// MaxLog bounds what is read of the agent's log.
	MaxLog int
	// DeleteTimeout bounds the final delete, which runs even when the caller's context is
	// cancelled (an interrupt must not leave the pod behind).
	DeleteTimeout time.Duration
	// Started, when set, is called once the agent container runs (trace: it records from then).
	Started func()
}

// Output is what one agent pod printed, and how it ended.
type Output struct {
	// Pod is the name the API server gave the pod.
	Pod string
	Log []byte
	// Truncated: the log was longer than MaxLog; the rest was not read.
	Truncated bool
	// Exit is the container's termination, nil when it was not seen (interrupted, or the pod
	// went away before the kubelet reported it).
	Exit *corev1.ContainerStateTerminated
	// Interrupted: the caller's context ended while the agent ran. With StopGrace the log may
	// still hold what the agent printed on SIGTERM.
	Interrupted bool
	// LeftBehind is set when the pod could not be deleted: it names the pod, and its deadline
	// will stop it (the next run deletes it).
	LeftBehind error
}

// Run creates the pod of s, waits for its container to start, follows its log until it exits and
// deletes it, whatever happens. Errors are the typed ones of this package when the cause is known
// (Pod Security, a missing permission, an image that cannot be pulled, a pod that did not start
// or finish in time); the Output is returned even with an error when there is one.
func (r *Runner) Run(ctx context.Context, s Spec) (*Output, error) {
	pods := r.Client.CoreV1().Pods(s.Namespace)
	created, err := pods.Create(ctx, s.Pod(), metav1.CreateOptions{})
	if err != nil {
		return nil, createError(err, s)
	}
	out := &Output{Pod: created.Name}
	defer func() { out.LeftBehind = r.delete(created, 0) }()

	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	w := &podWatch{pods: r.Client.CoreV1().Pods(s.Namespace), name: created.Name, rv: created.ResourceVersion}
	defer w.stop()

	started, err := w.untilStarted(runCtx, s)
	if err != nil {
		out.Interrupted = ctx.Err() != nil
		if apierrors.IsForbidden(err) {
			err = &ForbiddenError{Verb: "watch", Resource: "pods", Namespace: s.Namespace}
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = &TimeoutError{Node: s.Node, Pod: created.Name, After: timeout, Phase: "start", Last: w.lastState()}
		}
		return out, err
	}
	if t := started.State.Terminated; t != nil {
		out.Exit = t
	} else if r.Started != nil {
		r.Started()
	}

	// The log stream gets a context of its own: on an interrupt a graceful mode keeps reading
	// while the agent prints its summary after SIGTERM.
	streamCtx, stopStream := context.WithCancel(context.Background())
	defer stopStream()
	interrupted := make(chan struct{})
	go func() {
		select {
		case <-runCtx.Done():
		case <-streamCtx.Done():
			return
		}
		if ctx.Err() != nil {
			close(interrupted)
		}
		if s.StopGrace > 0 && ctx.Err() != nil {
			_ = r.delete(created, s.StopGrace)
			t := time.NewTimer(s.StopGrace + 5*time.Second)
			defer t.Stop()
			select {
			case <-t.C:
			case <-streamCtx.Done():
			}
		}
		stopStream()
	}()
	max := r.MaxLog
	if max <= 0 {
		max = 16 << 20
	}
	log, truncated, lerr := r.readLog(streamCtx, s.Namespace, created.Name, max)
	out.Log, out.Truncated = log, truncated
	select {
	case <-interrupted:
		out.Interrupted = true
	default:
	}
	if lerr != nil && !out.Interrupted {
		if runCtx.Err() != nil && ctx.Err() == nil {
			return out, &TimeoutError{Node: s.Node, Pod: created.Name, After: timeout, Phase: "read", Last: w.lastState()}
		}
		return out, logError(lerr, s, created.Name)
	}
	if out.Interrupted {
		return out, ctx.Err()
	}
	// The log ends when the container exits; its exit status follows on the watch.
	if out.Exit == nil {
		exitCtx, c := context.WithTimeout(ctx, 3*time.Second)
		out.Exit = w.untilTerminated(exitCtx)
		c()
	}
	return out, nil
}

// readLog follows the agent's log to its end, keeping at most max bytes.
func (r *Runner) readLog(ctx context.Context, ns, name string, max int) ([]byte, bool, error) {
	req := r.Client.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{Container: ContainerName, Follow: true})
	stream, err := req.Stream(ctx)
	if err != nil {
		return nil, false, err
	}
	defer stream.Close()
	data, err := io.ReadAll(io.LimitReader(stream, int64(max)+1))
	if len(data) > max {
		return data[:max], true, nil
	}
	return data, false, err
}

// delete removes the pod with the given grace, with a context of its own.
func (r *Runner) delete(pod *corev1.Pod, grace time.Duration) error {
	d := r.DeleteTimeout
	if d <= 0 {
		d = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	secs := int64(grace / time.Second)
	err := r.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &secs})
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("agent pod %s/%s was not deleted (%v); its activeDeadlineSeconds stops it and the next run removes it", pod.Namespace, pod.Name, err)
}

// podWatch follows one pod's status.
type podWatch struct {
	pods interface {
		Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
	}
	name string
	rv   string
	w    watch.Interface
	last *corev1.Pod
}

func (p *podWatch) stop() {
	if p.w != nil {
		p.w.Stop()
	}
}

// next returns the pod's next state, re-opening the watch when the server closes it.
func (p *podWatch) next(ctx context.Context) (*corev1.Pod, error) {
	for {
		if p.w == nil {
			w, err := p.pods.Watch(ctx, metav1.ListOptions{
				FieldSelector:   fields.OneTermEqualSelector("metadata.name", p.name).String(),
				ResourceVersion: p.rv,
			})
			if err != nil {
				return nil, err
			}
			p.w = w
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case ev, ok := <-p.w.ResultChan():
			if !ok {
				p.w = nil
				continue
			}
			switch ev.Type {
			case watch.Deleted:
				return nil, fmt.Errorf("agent pod %s was deleted while it ran (by someone else)", p.name)
			case watch.Error:
				p.w.Stop()
				p.w = nil
				if st, ok := ev.Object.(*metav1.Status); ok && st.Code == 410 {
					p.rv = "" // too old: start over from the current state
					continue
				}
				return nil, fmt.Errorf("watching agent pod %s: %v", p.name, apierrors.FromObject(ev.Object))
			}
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			p.rv, p.last = pod.ResourceVersion, pod
			return pod, nil
		}
	}
}

// Waiting reasons after which the container will not start by itself.
var fatalWaiting = map[string]bool{
	"ErrImagePull": true, "ImagePullBackOff": true, "ErrImageNeverPull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true,
}

// untilStarted waits until the agent container runs or has already exited.
func (p *podWatch) untilStarted(ctx context.Context, s Spec) (*corev1.ContainerStatus, error) {
	for {
		pod, err := p.next(ctx)
		if err != nil {
			return nil, err
		}
		st := agentStatus(pod)
		switch {
		case st != nil && (st.State.Running != nil || st.State.Terminated != nil):
			return st, nil
		case st != nil && st.State.Waiting != nil && fatalWaiting[st.State.Waiting.Reason]:
			w := st.State.Waiting
			if strings.Contains(w.Reason, "Image") {
				return nil, &ImageError{Image: s.Image, Node: s.Node, Reason: w.Reason, Message: w.Message}
			}
			return nil, &StartError{Node: s.Node, Pod: pod.Name, Reason: w.Reason, Message: w.Message}
		case pod.Status.Phase == corev1.PodFailed:
			// The kubelet refused it (OutOfmemory, NodeAffinity, ...) or the deadline passed.
			return nil, &StartError{Node: s.Node, Pod: pod.Name, Reason: pod.Status.Reason, Message: pod.Status.Message}
		}
	}
}

// untilTerminated waits for the container's exit status; nil when it does not come in time.
func (p *podWatch) untilTerminated(ctx context.Context) *corev1.ContainerStateTerminated {
	if st := agentStatus(p.last); st != nil && st.State.Terminated != nil {
		return st.State.Terminated
	}
	for {
		pod, err := p.next(ctx)
		if err != nil {
			return nil
		}
		if st := agentStatus(pod); st != nil && st.State.Terminated != nil {
			return st.State.Terminated
		}
	}
}

// lastState describes the pod's last known state for a timeout message.
func (p *podWatch) lastState() string {
	if p.last == nil || agentStatus(p.last) == nil {
		return "the pod stayed Pending: the node's kubelet created no container (still pulling the image, or not running pods)"
	}
	st := agentStatus(p.last)
	switch {
	case st.State.Waiting != nil:
		return "waiting: " + st.State.Waiting.Reason
	case st.State.Running != nil:
		return "running"
	}
	return "phase " + string(p.last.Status.Phase)
}

func agentStatus(pod *corev1.Pod) *corev1.ContainerStatus {
	if pod == nil {
		return nil
	}
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == ContainerName {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	return nil
}
