package scan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kubectl/pkg/polymorphichelpers"
)

// Selection is what the user asked to read, in kubectl get's terms.
type Selection struct {
	Namespace     string
	AllNamespaces bool
	LabelSelector string
	// Args are TYPE[/NAME] or TYPE NAME... arguments as the resource builder takes them.
	Args []string
}

// Objects resolves a selection with the resource builder into typed objects (pods, workloads,
// cronjobs). Errors for single arguments (not found, forbidden) are returned beside what did
// resolve, so one bad name never hides the rest.
func Objects(newBuilder func() *resource.Builder, sel Selection) ([]runtime.Object, []error) {
	r := newBuilder().
		WithScheme(scheme.Scheme, scheme.Scheme.PrioritizedVersionsAllGroups()...).
		NamespaceParam(sel.Namespace).DefaultNamespace().AllNamespaces(sel.AllNamespaces).
		LabelSelectorParam(sel.LabelSelector).
		ResourceTypeOrNameArgs(true, sel.Args...).
		ContinueOnError().
		Flatten().
		Do()
	var objs []runtime.Object
	err := r.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		objs = append(objs, info.Object)
		return nil
	})
	if err == nil {
		return objs, nil
	}
	if agg, ok := err.(utilerrors.Aggregate); ok {
		return objs, agg.Errors()
	}
	return objs, []error{err}
}

// Workload names one object whose pods are wanted: a manifest's Deployment, a custom resource
// with a pod template, a Pod.
type Workload struct {
	APIVersion, Kind, Namespace, Name string
}

// WorkloadObject reads the live object a manifest names, so that its pods are found by its
// live selector exactly as `show TYPE/NAME` finds them. Kinds the client-go scheme knows come
// back typed; others (Argo Rollouts, ...) as unstructured objects.
func WorkloadObject(newBuilder func() *resource.Builder, w Workload) (runtime.Object, error) {
	gv, err := schema.ParseGroupVersion(w.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("apiVersion %q: %v", w.APIVersion, err)
	}
	arg := strings.ToLower(w.Kind)
	if gv.Group != "" {
		arg += "." + gv.Version + "." + gv.Group
	}
	infos, err := newBuilder().Unstructured().
		NamespaceParam(w.Namespace).DefaultNamespace().
		ResourceTypeOrNameArgs(true, arg+"/"+w.Name).
		Flatten().Do().Infos()
	if err != nil {
		return nil, err
	}
	if len(infos) != 1 {
		return nil, fmt.Errorf("%s %s/%s: %d objects found", w.Kind, w.Namespace, w.Name, len(infos))
	}
	return typed(infos[0].Object), nil
}

// typed converts an unstructured object of a kind the scheme knows into its Go type, so
// PodsFor can use the kind's own selector rules.
func typed(obj runtime.Object) runtime.Object {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj
	}
	gvk := u.GroupVersionKind()
	if !scheme.Scheme.Recognizes(gvk) {
		return u
	}
	out, err := scheme.Scheme.New(gvk)
	if err != nil || runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out) != nil {
		return u
	}
	return out
}

// PodsFor expands objects (pods, workloads, cronjobs) into the pods they run, each pod once, in
// a stable order. A workload's pods are those its selector matches, as `kubectl get pods -l`
// would show them; a CronJob's are its Jobs' pods; a custom resource's those its spec.selector
// matches.
func PodsFor(ctx context.Context, client kubernetes.Interface, objs []runtime.Object) ([]*corev1.Pod, error) {
	seen := map[types.UID]bool{}
	var pods []*corev1.Pod
	add := func(list ...*corev1.Pod) {
		for _, p := range list {
			if !seen[p.UID] || p.UID == "" {
				seen[p.UID] = true
				pods = append(pods, p)
			}
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
			list, err := cronJobPods(ctx, client, o)
			if err != nil {
				return nil, err
			}
			add(list...)
		case *unstructured.Unstructured:
			list, err := customResourcePods(ctx, client, o)
			if err != nil {
				return nil, err
			}
			add(list...)
		default:
			ns, sel, err := polymorphichelpers.SelectorsForObject(obj)
			if err != nil {
				return nil, fmt.Errorf("cannot find the pods of %T: %w", obj, err)
			}
			list, err := podsMatching(ctx, client, ns, sel.String())
			if err != nil {
				return nil, err
			}
			add(list...)
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

func cronJobPods(ctx context.Context, client kubernetes.Interface, cj *batchv1.CronJob) ([]*corev1.Pod, error) {
	jobs, err := client.BatchV1().Jobs(cj.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing jobs of cronjob %s/%s: %w", cj.Namespace, cj.Name, err)
	}
	var out []*corev1.Pod
	for i := range jobs.Items {
		j := &jobs.Items[i]
		if !ownedBy(j.OwnerReferences, cj.UID) {
			continue
		}
		ns, sel, err := polymorphichelpers.SelectorsForObject(j)
		if err != nil {
			return nil, fmt.Errorf("cannot find the pods of job %s/%s: %w", j.Namespace, j.Name, err)
		}
		list, err := podsMatching(ctx, client, ns, sel.String())
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// customResourcePods finds the pods of a kind client-go does not know by its spec.selector, the
// convention every pod-template custom resource (Argo Rollouts, OpenKruise, ...) follows.
func customResourcePods(ctx context.Context, client kubernetes.Interface, u *unstructured.Unstructured) ([]*corev1.Pod, error) {
	raw, found, err := unstructured.NestedMap(u.Object, "spec", "selector")
	if err != nil || !found {
		return nil, fmt.Errorf("cannot find the pods of %s %s/%s: it has no spec.selector", u.GetKind(), u.GetNamespace(), u.GetName())
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
		return nil, fmt.Errorf("%s %s/%s: spec.selector: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: spec.selector: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	if sel.Empty() {
		return nil, fmt.Errorf("cannot find the pods of %s %s/%s: its spec.selector is empty", u.GetKind(), u.GetNamespace(), u.GetName())
	}
	return podsMatching(ctx, client, u.GetNamespace(), sel.String())
}

func podsMatching(ctx context.Context, client kubernetes.Interface, namespace, selector string) ([]*corev1.Pod, error) {
	list, err := client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
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
