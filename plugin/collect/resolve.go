package collect

import (
	"context"
	"fmt"
	"sort"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/polymorphichelpers"
)

// PodsFor expands the objects the resource builder resolved (pods, workloads, cronjobs) into the
// pods they run, each pod once, in a stable order. A workload's pods are those its selector
// matches, as `kubectl get pods -l` would show them; a CronJob's are its Jobs' pods.
func PodsFor(ctx context.Context, client kubernetes.Interface, objs []runtime.Object) ([]*corev1.Pod, error) {
	seen := map[types.UID]bool{}
	var pods []*corev1.Pod
	add := func(p *corev1.Pod) {
		if !seen[p.UID] || p.UID == "" {
			seen[p.UID] = true
			pods = append(pods, p)
		}
	}
	for _, obj := range objs {
		switch o := obj.(type) {
		case *corev1.Pod:
			add(o)
		case *corev1.PodList:
			for i := range o.Items {
				add(&o.Items[i])
			}
		case *batchv1.CronJob:
			jobs, err := client.BatchV1().Jobs(o.Namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, fmt.Errorf("listing jobs of cronjob %s/%s: %w", o.Namespace, o.Name, err)
			}
			for i := range jobs.Items {
				j := &jobs.Items[i]
				if !ownedBy(j.OwnerReferences, o.UID) {
					continue
				}
				list, err := podsBySelector(ctx, client, j)
				if err != nil {
					return nil, err
				}
				for k := range list {
					add(list[k])
				}
			}
		default:
			list, err := podsBySelector(ctx, client, obj)
			if err != nil {
				return nil, err
			}
			for k := range list {
				add(list[k])
			}
		}
	}
	sort.SliceStable(pods, func(i, j int) bool {
		if pods[i].Namespace != pods[j].Namespace {
			return pods[i].Namespace < pods[j].Namespace
		}
		return pods[i].Name < pods[j].Name
	})
	return pods, nil
}

func podsBySelector(ctx context.Context, client kubernetes.Interface, obj runtime.Object) ([]*corev1.Pod, error) {
	ns, sel, err := polymorphichelpers.SelectorsForObject(obj)
	if err != nil {
		return nil, fmt.Errorf("cannot find the pods of %T: %w", obj, err)
	}
	list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, err
	}
	out := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

// Nodes fetches the nodes the pods run on. Reading nodes is optional: without permission the
// runtime is unknown and predictions say so; the returned warning tells the user once.
func Nodes(ctx context.Context, client kubernetes.Interface, pods []*corev1.Pod) (map[string]*corev1.Node, string) {
	nodes := map[string]*corev1.Node{}
	names := map[string]bool{}
	for _, p := range pods {
		if p.Spec.NodeName != "" {
			names[p.Spec.NodeName] = true
		}
	}
	if len(names) == 0 {
		return nodes, ""
	}
	// One list is cheaper than many gets on big clusters; fall back to gets when list is denied
	// but get is allowed.
	if list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		for i := range list.Items {
			n := &list.Items[i]
			if names[n.Name] {
				nodes[n.Name] = n
			}
		}
		return nodes, ""
	}
	var lastErr error
	for name := range names {
		n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			lastErr = err
			continue
		}
		nodes[name] = n
	}
	if lastErr != nil {
		if apierrors.IsForbidden(lastErr) {
			return nodes, "cannot read nodes (get nodes is forbidden): the container runtime is unknown, expected sets assume containerd/Docker defaults"
		}
		return nodes, fmt.Sprintf("cannot read nodes: %v; expected sets assume containerd/Docker defaults", lastErr)
	}
	return nodes, ""
}
