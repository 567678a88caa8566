package scan

import (
	"context"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/owner"
)

// ownerListers bounds how many ReplicaSet/Job lists run at once (one per namespace and kind).
const ownerListers = 8

// Controllers lists the ReplicaSets and Jobs that control the pods, once per namespace and kind
// that has such pods (never one call per pod), and returns their owner references for owner.Of.
// A list that is refused or fails costs only precision: those pods fall back to owner.Of's rule,
// and one warning per kind says so.
func Controllers(ctx context.Context, client kubernetes.Interface, pods []*corev1.Pod) (owner.Controllers, []string) {
	ctl := owner.Controllers{Owners: map[owner.Ref]*metav1.OwnerReference{}, Listed: map[owner.Ref]bool{}}
	needs := owner.Needs(pods)
	var mu sync.Mutex
	failed := map[string][]string{} // kind → "namespace: reason"
	sem := make(chan struct{}, ownerListers)
	var wg sync.WaitGroup
	for _, need := range needs {
		wg.Add(1)
		sem <- struct{}{}
		go func(need owner.Ref) {
			defer func() { <-sem; wg.Done() }()
			metas, err := listControllers(ctx, client, need)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				why := err.Error()
				if apierrors.IsForbidden(err) {
					why = "forbidden"
				}
				failed[need.Kind] = append(failed[need.Kind], need.Namespace+": "+why)
				return
			}
			ctl.Listed[need] = true
			for i := range metas {
				m := &metas[i]
				ctl.Owners[owner.Ref{Kind: need.Kind, Namespace: need.Namespace, Name: m.Name}] = metav1.GetControllerOf(m)
			}
		}(need)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctl, nil // interrupted: the command says so; a failed list is no news then
	}
	var warnings []string
	for _, kind := range []string{owner.ReplicaSet, owner.Job} {
		list := failed[kind]
		if len(list) == 0 {
			continue
		}
		sort.Strings(list)
		what := "their Deployments are inferred from the pod-template-hash label"
		if kind == owner.Job {
			what = "their pods are grouped by Job, not by CronJob"
		}
		more := ""
		if len(list) > 1 {
			more = fmt.Sprintf(" (and %d more namespaces)", len(list)-1)
		}
		warnings = append(warnings, fmt.Sprintf("cannot list %ss in %s%s: %s", kind, list[0], more, what))
	}
	return ctl, warnings
}

func listControllers(ctx context.Context, client kubernetes.Interface, need owner.Ref) ([]metav1.ObjectMeta, error) {
	var out []metav1.ObjectMeta
	switch need.Kind {
	case owner.ReplicaSet:
		list, err := client.AppsV1().ReplicaSets(need.Namespace).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			out = append(out, list.Items[i].ObjectMeta)
		}
	case owner.Job:
		list, err := client.BatchV1().Jobs(need.Namespace).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			out = append(out, list.Items[i].ObjectMeta)
		}
	}
	return out, nil
}
