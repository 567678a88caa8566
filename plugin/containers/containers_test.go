package containers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestListAndStatus(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	pod := &corev1.Pod{
		Spec: corev1.PodSpec{
			InitContainers:      []corev1.Container{{Name: "setup"}, {Name: "proxy", RestartPolicy: &always}},
			Containers:          []corev1.Container{{Name: "app"}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger"}}},
		},
		Status: corev1.PodStatus{
			InitContainerStatuses:      []corev1.ContainerStatus{{Name: "setup", ContainerID: "containerd://1"}, {Name: "proxy", ContainerID: "containerd://2"}},
			ContainerStatuses:          []corev1.ContainerStatus{{Name: "app", ContainerID: "containerd://3"}},
			EphemeralContainerStatuses: []corev1.ContainerStatus{{Name: "debugger", ContainerID: "containerd://4"}},
		},
	}
	want := []struct{ name, typ, id string }{
		{"setup", Init, "containerd://1"}, {"proxy", Sidecar, "containerd://2"},
		{"app", Regular, "containerd://3"}, {"debugger", Ephemeral, "containerd://4"},
	}
	got := List(&pod.Spec)
	if len(got) != len(want) {
		t.Fatalf("got %d containers, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Type != w.typ {
			t.Errorf("container %d: %s (%s), want %s (%s)", i, got[i].Name, got[i].Type, w.name, w.typ)
		}
		if st := Status(pod, w.name); st == nil || st.ContainerID != w.id {
			t.Errorf("status of %s: %+v, want container ID %s", w.name, st, w.id)
		}
	}
	if Status(pod, "missing") != nil {
		t.Errorf("a container the kubelet never reported has no status")
	}
}
