package inspect

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPlanStates(t *testing.T) {
	term := func(code int32, reason string) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}
	}
	pod := func(policy corev1.RestartPolicy, st corev1.ContainerState, restarts int32) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"},
			Spec:       corev1.PodSpec{RestartPolicy: policy, Containers: []corev1.Container{{Name: "c"}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "c", State: st, RestartCount: restarts}}},
		}
	}
	now := metav1.Now()
	terminating := pod(corev1.RestartPolicyAlways, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, 0)
	terminating.DeletionTimestamp = &now
	tests := []struct {
		name string
		pod  *corev1.Pod
		exec bool
		skip string
	}{
		{"running", pod(corev1.RestartPolicyAlways, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, 0), true, ""},
		{"crash loop between two crashes", pod(corev1.RestartPolicyAlways, term(3, "Error"), 4), false, "CrashLoopBackOff, 4 restarts"},
		{"crash loop backoff", pod(corev1.RestartPolicyAlways, corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}, 5), false, "CrashLoopBackOff"},
		{"job that succeeded", pod(corev1.RestartPolicyOnFailure, term(0, "Completed"), 0), false, "not running (terminated: Completed)"},
		{"never restarted", pod(corev1.RestartPolicyNever, term(1, "Error"), 0), false, "not running (terminated: Error)"},
		{"terminating", terminating, false, "pod is terminating"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Plan([]*corev1.Pod{tt.pod}, nil, "")
			if len(p) != 1 || p[0].Read != tt.exec || !strings.Contains(p[0].Row.Skipped, tt.skip) {
				t.Errorf("exec=%v skipped=%q, want exec=%v skipped containing %q", p[0].Read, p[0].Row.Skipped, tt.exec, tt.skip)
			}
			if tt.name == "never restarted" && strings.Contains(p[0].Row.Skipped, "CrashLoop") {
				t.Errorf("a container that will not restart is not crash-looping")
			}
		})
	}
}
