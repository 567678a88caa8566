package agentpod

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
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

// PerNode against the fake API server: a Windows node is skipped with its reason, a fatal error
// stops the nodes after it, one run ID is shared, and a done context skips what is left.
func TestPerNode(t *testing.T) {
	win := fakeapi.Node("n0-win", "containerd://2.0.0")
	win.Labels["kubernetes.io/os"] = "windows"
	s := fakeapi.Start(t, fakeapi.Options{}, fakeapi.Namespace("agents"), win, fakeapi.Node("n1", "containerd://2.0.0"), fakeapi.Node("n2", "containerd://2.0.0"))
	c, err := kubernetes.NewForConfig(s.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	jobs := []*NodeJob{{Node: "n0-win"}, {Node: "n1"}, {Node: "n2"}}
	var mu sync.Mutex
	var ran, runIDs []string
	skipped := map[string]string{}
	p := PerNode{Client: c, Namespace: "agents", Concurrency: 1}
	p.Run(context.Background(), jobs, func(_ context.Context, j *NodeJob, runID string) error {
		mu.Lock()
		defer mu.Unlock()
		ran, runIDs = append(ran, j.Node), append(runIDs, runID)
		return errors.New("forbidden everywhere")
	}, func(j *NodeJob, err error) {
		mu.Lock()
		defer mu.Unlock()
		skipped[j.Node] = err.Error()
	})
	if strings.Join(ran, " ") != "n1" || runIDs[0] == "" {
		t.Errorf("ran %v (run IDs %v), want only n1: the fatal error stops n2", ran, runIDs)
	}
	if skipped["n0-win"] != "node n0-win runs Windows: the node agent reads Linux /proc" || skipped["n2"] != "forbidden everywhere" {
		t.Errorf("skipped: %v", skipped)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran, skipped = nil, map[string]string{}
	p.Run(ctx, jobs[1:], func(context.Context, *NodeJob, string) error { ran = append(ran, "x"); return nil },
		func(j *NodeJob, err error) { mu.Lock(); skipped[j.Node] = err.Error(); mu.Unlock() })
	if len(ran) != 0 || skipped["n1"] != context.Canceled.Error() || skipped["n2"] != context.Canceled.Error() {
		t.Errorf("cancelled: ran %v, skipped %v", ran, skipped)
	}
}
