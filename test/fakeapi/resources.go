package fakeapi

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// resource describes one served resource: enough for discovery, routing and typed lists.
type resource struct {
	gvr        schema.GroupVersionResource
	kind       string
	singular   string
	namespaced bool
	shortNames []string
	categories []string
	// subresources served or advertised (exec is the only one with behaviour).
	subresources []string
	newList      func() runtime.Object
}

var readVerbs = metav1.Verbs{"get", "list", "watch"}

// resources is what the server knows. Order matters only for discovery output.
var resources = []resource{
	{gvr: corev1.SchemeGroupVersion.WithResource("pods"), kind: "Pod", singular: "pod", namespaced: true,
		shortNames: []string{"po"}, categories: []string{"all"}, subresources: []string{"exec", "log", "status"},
		newList: func() runtime.Object { return &corev1.PodList{} }},
	{gvr: corev1.SchemeGroupVersion.WithResource("nodes"), kind: "Node", singular: "node",
		shortNames: []string{"no"}, subresources: []string{"status"},
		newList: func() runtime.Object { return &corev1.NodeList{} }},
	{gvr: corev1.SchemeGroupVersion.WithResource("namespaces"), kind: "Namespace", singular: "namespace",
		shortNames: []string{"ns"}, subresources: []string{"status"},
		newList: func() runtime.Object { return &corev1.NamespaceList{} }},
	{gvr: appsv1.SchemeGroupVersion.WithResource("deployments"), kind: "Deployment", singular: "deployment", namespaced: true,
		shortNames: []string{"deploy"}, categories: []string{"all"}, subresources: []string{"scale", "status"},
		newList: func() runtime.Object { return &appsv1.DeploymentList{} }},
	{gvr: appsv1.SchemeGroupVersion.WithResource("statefulsets"), kind: "StatefulSet", singular: "statefulset", namespaced: true,
		shortNames: []string{"sts"}, categories: []string{"all"}, subresources: []string{"scale", "status"},
		newList: func() runtime.Object { return &appsv1.StatefulSetList{} }},
	{gvr: appsv1.SchemeGroupVersion.WithResource("daemonsets"), kind: "DaemonSet", singular: "daemonset", namespaced: true,
		shortNames: []string{"ds"}, categories: []string{"all"}, subresources: []string{"status"},
		newList: func() runtime.Object { return &appsv1.DaemonSetList{} }},
	{gvr: appsv1.SchemeGroupVersion.WithResource("replicasets"), kind: "ReplicaSet", singular: "replicaset", namespaced: true,
		shortNames: []string{"rs"}, categories: []string{"all"}, subresources: []string{"scale", "status"},
		newList: func() runtime.Object { return &appsv1.ReplicaSetList{} }},
	{gvr: batchv1.SchemeGroupVersion.WithResource("jobs"), kind: "Job", singular: "job", namespaced: true,
		categories: []string{"all"}, subresources: []string{"status"},
		newList: func() runtime.Object { return &batchv1.JobList{} }},
	{gvr: batchv1.SchemeGroupVersion.WithResource("cronjobs"), kind: "CronJob", singular: "cronjob", namespaced: true,
		shortNames: []string{"cj"}, categories: []string{"all"}, subresources: []string{"status"},
		newList: func() runtime.Object { return &batchv1.CronJobList{} }},
}

func findResource(group, version, name string) *resource {
	for i := range resources {
		r := &resources[i]
		if r.gvr.Group == group && r.gvr.Version == version && r.gvr.Resource == name {
			return r
		}
	}
	return nil
}

func resourceForKind(gvk schema.GroupVersionKind) *resource {
	for i := range resources {
		r := &resources[i]
		if r.gvr.GroupVersion() == gvk.GroupVersion() && r.kind == gvk.Kind {
			return r
		}
	}
	return nil
}

// groupVersions lists served group versions in discovery order; "" is the legacy core group.
func groupVersions() []schema.GroupVersion {
	var out []schema.GroupVersion
	seen := map[schema.GroupVersion]bool{}
	for _, r := range resources {
		gv := r.gvr.GroupVersion()
		if !seen[gv] {
			seen[gv] = true
			out = append(out, gv)
		}
	}
	return out
}

// apiResourceList is the legacy discovery document of one group version.
func apiResourceList(gv schema.GroupVersion) *metav1.APIResourceList {
	list := &metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: gv.String(),
	}
	for _, r := range resources {
		if r.gvr.GroupVersion() != gv {
			continue
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: r.gvr.Resource, SingularName: r.singular, Namespaced: r.namespaced, Kind: r.kind,
			Verbs: readVerbs, ShortNames: r.shortNames, Categories: r.categories,
		})
		for _, sub := range r.subresources {
			sr := metav1.APIResource{Name: r.gvr.Resource + "/" + sub, Namespaced: r.namespaced, Kind: r.kind,
				Verbs: metav1.Verbs{"get"}}
			switch sub {
			case "exec":
				sr.Kind, sr.Verbs = "PodExecOptions", metav1.Verbs{"create", "get"}
			case "log":
				sr.Kind = "Pod"
			case "scale":
				sr.Group, sr.Version, sr.Kind = "autoscaling", "v1", "Scale"
			}
			list.APIResources = append(list.APIResources, sr)
		}
	}
	return list
}
