package cmd

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-caps/kubectl-caps/plugin/collect"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/inspect"
)

func init() {
	NewObserver = newCollectorObserver
}

// collectorObserver gives harden the same live readings show takes: it finds a workload's running
// pods by its pod template's labels and reads each container once, in parallel.
type collectorObserver struct {
	client    kubernetes.Interface
	collector *collect.Collector
}

func newCollectorObserver(f cmdutil.Factory, _ genericiooptions.IOStreams) (harden.Observer, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &collectorObserver{client: client, collector: &collect.Collector{
		Exec: &collect.RemoteExecutor{Config: cfg, Client: client.CoreV1().RESTClient()},
	}}, nil
}

func (o *collectorObserver) Observe(ctx context.Context, w harden.WorkloadRef) (map[string]harden.Evidence, error) {
	pods, err := o.pods(ctx, w)
	if err != nil {
		return nil, err
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("no running pods of %s %s/%s to observe", w.Kind, w.Namespace, w.Name)
	}
	plans := inspect.Plan(pods, nil, "")
	var targets []collect.Target
	var planned []inspect.Planned
	for _, p := range plans {
		if p.Exec {
			targets = append(targets, collect.Target{Namespace: p.Row.Namespace, Pod: p.Row.Pod, Container: p.Row.Container, HostPID: p.Row.Declared.HostPID})
			planned = append(planned, p)
		}
	}
	results := o.collector.Collect(ctx, targets, nil)
	byContainer := map[string][]harden.Observation{}
	var lastErr error
	for i, r := range results {
		if r.Err != nil || r.Output == nil {
			lastErr = r.Err
			continue
		}
		pod := planned[i].Pod
		byContainer[r.Container] = append(byContainer[r.Container], harden.Observation{
			Pod:                   pod.Name,
			Processes:             r.Output.Procs,
			Sockets:               r.Output.Sockets,
			UnprivilegedPortStart: r.Output.PortStart,
			HostNetwork:           pod.Spec.HostNetwork,
		})
	}
	if len(byContainer) == 0 && lastErr != nil {
		return nil, fmt.Errorf("could not read any container of %s %s/%s: %w", w.Kind, w.Namespace, w.Name, lastErr)
	}
	out := map[string]harden.Evidence{}
	for name, obs := range byContainer {
		out[name] = harden.Infer(obs)
	}
	return out, nil
}

// pods lists the workload's pods by its template labels (a Pod manifest: by name).
func (o *collectorObserver) pods(ctx context.Context, w harden.WorkloadRef) ([]*corev1.Pod, error) {
	if w.Kind == "Pod" {
		p, err := o.client.CoreV1().Pods(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return []*corev1.Pod{p}, nil
	}
	lbls := map[string]string{}
	if l, ok := w.TemplateMeta["labels"].(map[string]any); ok {
		for k, v := range l {
			if s, ok := v.(string); ok {
				lbls[k] = s
			}
		}
	}
	if len(lbls) == 0 {
		return nil, fmt.Errorf("%s %s/%s has no pod template labels to find its pods by", w.Kind, w.Namespace, w.Name)
	}
	list, err := o.client.CoreV1().Pods(w.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(lbls).String()})
	if err != nil {
		return nil, err
	}
	var pods []*corev1.Pod
	for i := range list.Items {
		if list.Items[i].Status.Phase == corev1.PodRunning {
			pods = append(pods, &list.Items[i])
		}
	}
	return pods, nil
}
