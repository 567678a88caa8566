package fakeapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// DefaultNode is the node generated pods run on.
const DefaultNode = "node-1"

// Node returns a ready node whose nodeInfo reports the given runtime, e.g. "containerd://2.1.4"
// or "cri-o://1.33.0", which decides the runtime's default capabilities.
func Node(name, containerRuntimeVersion string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			NodeInfo: corev1.NodeSystemInfo{ContainerRuntimeVersion: containerRuntimeVersion, KubeletVersion: "v1.37.2",
				OperatingSystem: "linux", Architecture: "amd64", KernelVersion: "6.12.0"},
		},
	}
}

// Namespace returns a namespace object.
func Namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
}

// Pod returns a running pod on DefaultNode with one running container per name (image
// "busybox:1.37"), the way the API server shows a healthy pod.
func Pod(namespace, name string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app": name}},
		Spec:       corev1.PodSpec{NodeName: DefaultNode, RestartPolicy: corev1.RestartPolicyAlways},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.10", HostIP: "172.18.0.2"},
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "busybox:1.37"})
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c, Image: "docker.io/library/busybox:1.37", Ready: true, Started: ptr.To(true),
			ContainerID: ContainerID(namespace, name, c),
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		})
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	return p
}

// ContainerID is the runtime ID Pod gives a container: unique per pod and container, as a
// runtime's random IDs are, so a node reader can tell every container on a node apart.
func ContainerID(namespace, pod, container string) string {
	sum := sha256.Sum256([]byte(namespace + "/" + pod + "/" + container))
	return "containerd://" + hex.EncodeToString(sum[:])
}

// Pods generates n running pods with containersPerPod containers each ("c0", "c1", ...), spread
// over namespaces of 100 pods ("scale-0", "scale-1", ...) for all-namespaces scans.
func Pods(n, containersPerPod int) []*corev1.Pod {
	names := make([]string, containersPerPod)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	pods := make([]*corev1.Pod, n)
	for i := range pods {
		pods[i] = Pod(fmt.Sprintf("scale-%d", i/100), fmt.Sprintf("pod-%05d", i), names...)
	}
	return pods
}

// Namespaces returns the namespace objects the pods live in, each once.
func Namespaces(pods []*corev1.Pod) []*corev1.Namespace {
	var out []*corev1.Namespace
	seen := map[string]bool{}
	for _, p := range pods {
		if !seen[p.Namespace] {
			seen[p.Namespace] = true
			out = append(out, Namespace(p.Namespace))
		}
	}
	return out
}

// Deployment returns a deployment with its current replicaset and replicas running pods, linked
// by labels and owner references as the controllers would, each pod with the given containers.
func Deployment(namespace, name string, replicas int, containers ...string) (*appsv1.Deployment, *appsv1.ReplicaSet, []*corev1.Pod) {
	labels := map[string]string{"app": name}
	tmpl := Pod(namespace, "", containers...)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels, UID: uid("Deployment", namespace, name)},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(replicas)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: tmpl.Spec}},
		Status: appsv1.DeploymentStatus{Replicas: int32(replicas), ReadyReplicas: int32(replicas), AvailableReplicas: int32(replicas)},
	}
	d.Spec.Template.Spec.NodeName = ""
	rsName := name + "-5d8f9c7b6"
	rsLabels := map[string]string{"app": name, "pod-template-hash": "5d8f9c7b6"}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: rsName, Labels: rsLabels, UID: uid("ReplicaSet", namespace, rsName),
			OwnerReferences: []metav1.OwnerReference{controllerRef("apps/v1", "Deployment", name, d.UID)}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To(int32(replicas)), Selector: &metav1.LabelSelector{MatchLabels: rsLabels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: rsLabels}, Spec: d.Spec.Template.Spec}},
		Status: appsv1.ReplicaSetStatus{Replicas: int32(replicas), ReadyReplicas: int32(replicas)},
	}
	pods := make([]*corev1.Pod, replicas)
	for i := range pods {
		p := Pod(namespace, fmt.Sprintf("%s-%05x", rsName, i), containers...)
		p.Labels = map[string]string{"app": name, "pod-template-hash": "5d8f9c7b6"}
		p.OwnerReferences = []metav1.OwnerReference{controllerRef("apps/v1", "ReplicaSet", rsName, rs.UID)}
		pods[i] = p
	}
	return d, rs, pods
}

func controllerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
}

// uid derives a stable, unique-enough UID from a kind and name so owner references line up.
func uid(kind, namespace, name string) types.UID {
	sum := sha256.Sum256([]byte(kind + "/" + namespace + "/" + name))
	h := hex.EncodeToString(sum[:16])
	return types.UID(h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32])
}

// Objects converts a typed slice to runtime objects for New and Add.
func Objects[T runtime.Object](list []T) []runtime.Object {
	out := make([]runtime.Object, len(list))
	for i, o := range list {
		out[i] = o
	}
	return out
}
