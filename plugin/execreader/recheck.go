package execreader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/exec"
)

// PodGetter reads one pod from the API server.
type PodGetter func(ctx context.Context, namespace, name string) (*corev1.Pod, error)

var (
	errPodDeleted       = errors.New("the pod was deleted during the scan")
	errContainerStopped = errors.New("the container stopped or restarted during the scan")
)

// PodRecheck explains an exec that failed mid-stream by looking at the pod again. The real API
// server and kubelet say only "command terminated with exit code 137" when the container's PID 1
// exits or the pod is deleted while the exec runs (the kernel kills every process of the PID
// namespace); the pod's own state tells which. The kubelet reports a container's exit about a
// second late, so a SIGKILLed exec is looked at up to three times.
func PodRecheck(get PodGetter) func(ctx context.Context, t scan.Target, err error) error {
	return func(ctx context.Context, t scan.Target, err error) error {
		tries := 1
		if killed(err) {
			tries = 3
		}
		for i := 0; i < tries; i++ {
			if i > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
				}
			}
			pod, gerr := get(ctx, t.Namespace, t.Pod)
			if why := goneReason(t, pod, gerr); why != nil {
				return why
			}
		}
		return nil
	}
}

func goneReason(t scan.Target, pod *corev1.Pod, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return errPodDeleted
	case err != nil:
		return nil // cannot tell; the exec's own error stands
	case t.PodUID != "" && pod.UID != t.PodUID:
		return fmt.Errorf("%w (a new pod of the same name replaced it)", errPodDeleted)
	case pod.DeletionTimestamp != nil:
		return errPodDeleted
	}
	if st := containers.Status(pod, t.Container); st != nil && (st.State.Running == nil || t.ContainerID != "" && st.ContainerID != t.ContainerID) {
		return errContainerStopped
	}
	return nil
}

// killed reports an exec ended by SIGKILL (128+9), which is what a process gets when its
// container's PID 1 exits or the pod is torn down.
func killed(err error) bool {
	var ee exec.ExitError
	return errors.As(err, &ee) && ee.ExitStatus() == 137
}
