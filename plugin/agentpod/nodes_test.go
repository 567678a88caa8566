package agentpod

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestByNode(t *testing.T) {
	id := func(c byte) string {
		b := make([]byte, 64)
		for i := range b {
			b[i] = c
		}
		return "containerd://" + string(b)
	}
	targets := []Placed{
		{Node: "n2", ContainerID: id('a')},
		{Node: "", ContainerID: id('b')},
		{Node: "n1", ContainerID: id('c')},
		{Node: "n1", ContainerID: ""},
		{Node: "n2", ContainerID: "rkt://x"},
		{Node: "n2", ContainerID: id('d')},
	}
	skipped := map[int]string{}
	jobs := ByNode(targets, func(i int, why string) { skipped[i] = why })
	got := ""
	for _, j := range jobs {
		got += fmt.Sprintf("%s%v ", j.Node, j.Targets)
	}
	if got != "n1[2] n2[0 5] " {
		t.Errorf("jobs: %s", got)
	}
	want := map[int]string{1: "the pod is not on a node yet", 3: "the pod status lists no container ID yet"}
	for i, w := range want {
		if skipped[i] != w {
			t.Errorf("target %d: %q, want %q", i, skipped[i], w)
		}
	}
	if len(skipped) != 3 || skipped[4] == "" {
		t.Errorf("skipped: %v", skipped)
	}
}

func TestUnusable(t *testing.T) {
	ready := func(s corev1.ConditionStatus, reason string) []corev1.NodeCondition {
		return []corev1.NodeCondition{{Type: corev1.NodeReady, Status: s, Reason: reason}}
	}
	for _, tc := range []struct {
		node *corev1.Node
		want string
	}{
		{nil, ""},
		{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: corev1.NodeStatus{Conditions: ready(corev1.ConditionTrue, "")}}, ""},
		{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w", Labels: map[string]string{"kubernetes.io/os": "windows"}}}, "node w runs Windows: the node agent reads Linux /proc"},
		{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Status: corev1.NodeStatus{Conditions: ready(corev1.ConditionFalse, "KubeletNotReady")}}, "node b is not Ready (KubeletNotReady): no agent was started there"},
		{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Status: corev1.NodeStatus{Conditions: ready(corev1.ConditionUnknown, "")}}, "node c is not Ready (Ready=Unknown): no agent was started there"},
	} {
		if got := Unusable(tc.node); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.node, got, tc.want)
		}
	}
}
