// Package containers is the one place that knows a pod's three container lists (init, regular,
// ephemeral): the type each container has in kubectl-caps' reports, the order kubectl shows
// them in, and where each one's status is.
package containers

import corev1 "k8s.io/api/core/v1"

// Container types, as reports name them.
const (
	Regular   = "container"
	Init      = "init"
	Sidecar   = "sidecar" // an init container with restartPolicy: Always
	Ephemeral = "ephemeral"
)

// InitType is the type of an init container with the given restartPolicy: a restartable one
// (Always) is a sidecar that runs beside the regular containers.
func InitType(restartPolicy string) string {
	if restartPolicy == string(corev1.ContainerRestartPolicyAlways) {
		return Sidecar
	}
	return Init
}

// Ref names one container of a pod spec with its type.
type Ref struct {
	Name string
	Type string
	SC   *corev1.SecurityContext
}

// List returns every container of the spec in the order kubectl shows them: init containers
// (sidecars among them), regular containers, then ephemeral containers.
func List(spec *corev1.PodSpec) []Ref {
	out := make([]Ref, 0, len(spec.InitContainers)+len(spec.Containers)+len(spec.EphemeralContainers))
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		rp := ""
		if c.RestartPolicy != nil {
			rp = string(*c.RestartPolicy)
		}
		out = append(out, Ref{Name: c.Name, Type: InitType(rp), SC: c.SecurityContext})
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		out = append(out, Ref{Name: c.Name, Type: Regular, SC: c.SecurityContext})
	}
	for i := range spec.EphemeralContainers {
		c := &spec.EphemeralContainers[i]
		out = append(out, Ref{Name: c.Name, Type: Ephemeral, SC: c.SecurityContext})
	}
	return out
}

// Status returns the status of the container named name, whichever list it is in (the API server
// keeps names unique across all three), or nil when the kubelet has not reported it yet.
func Status(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}
