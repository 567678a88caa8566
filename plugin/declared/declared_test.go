package declared

import (
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
	corev1 "k8s.io/api/core/v1"
)

func ptr[T any](v T) *T { return &v }

func TestOfCombinesPodAndContainer(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	spec := &corev1.PodSpec{
		HostPID:               true,
		ShareProcessNamespace: ptr(true),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsUser: ptr[int64](1000), RunAsGroup: ptr[int64](3000), RunAsNonRoot: ptr(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		InitContainers: []corev1.Container{{Name: "init"}, {Name: "proxy", RestartPolicy: &always}},
		Containers: []corev1.Container{{Name: "app", SecurityContext: &corev1.SecurityContext{
			RunAsUser: ptr[int64](0), AllowPrivilegeEscalation: ptr(false),
			Capabilities:   &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"all"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr("my.json")},
		}}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug"}}},
	}
	refs := containers.List(spec)
	var types []string
	for _, r := range refs {
		types = append(types, r.Name+":"+r.Type)
	}
	if got := types; len(got) != 4 || got[0] != "init:init" || got[1] != "proxy:sidecar" || got[2] != "app:container" || got[3] != "debug:ephemeral" {
		t.Fatalf("containers %v", got)
	}
	app := Of(spec, refs[2])
	if *app.RunAsUser != 0 || *app.RunAsGroup != 3000 || !*app.RunAsNonRoot || *app.AllowPrivilegeEscalation ||
		app.Seccomp != "Localhost/my.json" || app.Add[0] != "NET_BIND_SERVICE" || app.Drop[0] != "all" || !app.HostPID || !app.ShareProcessNamespace {
		t.Errorf("container fields should override the pod's: %+v", app)
	}
	init := Of(spec, refs[0])
	if *init.RunAsUser != 1000 || init.Seccomp != "RuntimeDefault" || init.AllowPrivilegeEscalation != nil || init.Privileged {
		t.Errorf("pod defaults should apply: %+v", init)
	}
}
