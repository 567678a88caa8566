package agentpod

import (
	"context"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// staleGrace is how long past its deadline a still-running agent pod is left alone: the kubelet
// stops it at the deadline, then reports the phase.
const staleGrace = time.Minute

// CleanStale deletes the agent pods in namespace that an earlier run left behind (a plugin killed
// before it could delete them): those that have finished, and those past their deadline. Agent
// pods of a run still in progress (another user's, in the same namespace) are not touched. It
// returns how many it deleted; a refused list or delete is returned as is, for the caller to
// ignore or report.
func CleanStale(ctx context.Context, client kubernetes.Interface, namespace string, now time.Time) (int, error) {
	sel := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy, LabelComponent: Component})
	list, err := client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return 0, err
	}
	n := 0
	zero := int64(0)
	for i := range list.Items {
		p := &list.Items[i]
		if !Stale(p, now) {
			continue
		}
		err := client.CoreV1().Pods(namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Stale reports whether an agent pod is a leftover: it finished and was created more than
// staleGrace ago (a pod of a run in progress elsewhere that has just finished is still being
// read), or it is older than its deadline (counted from creation, before the kubelet's start)
// plus staleGrace.
func Stale(p *corev1.Pod, now time.Time) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	age := now.Sub(p.CreationTimestamp.Time)
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return age > staleGrace
	}
	deadline := time.Hour
	if p.Spec.ActiveDeadlineSeconds != nil {
		deadline = time.Duration(*p.Spec.ActiveDeadlineSeconds) * time.Second
	} else if v, err := strconv.Atoi(p.Annotations["caps.kubectl.io/deadline-secs"]); err == nil {
		deadline = time.Duration(v) * time.Second
	}
	return age > deadline+staleGrace
}
