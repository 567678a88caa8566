package owner

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

func ctrl(apiVersion, kind, name string) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, Controller: &t}
}

func pod(name string, labels map[string]string, refs ...metav1.OwnerReference) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, Labels: labels, OwnerReferences: refs}}
}

func TestOf(t *testing.T) {
	dep := ctrl("apps/v1", "Deployment", "web")
	cron := ctrl("batch/v1", "CronJob", "nightly")
	listed := Controllers{
		Owners: map[Ref]*metav1.OwnerReference{
			{ReplicaSet, "shop", "web-5d8f9c7b6"}: &dep,
			{ReplicaSet, "shop", "bare-rs"}:       nil,
			{Job, "shop", "nightly-29163"}:        &cron,
			{Job, "shop", "once"}:                 nil,
		},
		Listed: map[Ref]bool{{Kind: ReplicaSet, Namespace: "shop"}: true, {Kind: Job, Namespace: "shop"}: true},
	}
	hash := map[string]string{"pod-template-hash": "5d8f9c7b6"}
	nonController := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "x"}
	tests := []struct {
		name string
		pod  *corev1.Pod
		ctl  Controllers
		want report.Owner
	}{
		{"bare pod", pod("db", nil), listed, report.Owner{Kind: "Pod", Name: "db", APIVersion: "v1"}},
		{"only a non-controller reference", pod("db", nil, nonController), listed, report.Owner{Kind: "Pod", Name: "db", APIVersion: "v1"}},
		{"static pod (mirror pod owned by its node)", pod("etcd-node1", nil, ctrl("v1", "Node", "node1")), listed, report.Owner{Kind: "Pod", Name: "etcd-node1", APIVersion: "v1"}},
		{"deployment through its replicaset", pod("web-5d8f9c7b6-abcde", hash, ctrl("apps/v1", "ReplicaSet", "web-5d8f9c7b6")), listed,
			report.Owner{Kind: "Deployment", Name: "web", APIVersion: "apps/v1", Via: "ReplicaSet/web-5d8f9c7b6"}},
		{"bare replicaset", pod("bare-rs-x", nil, ctrl("apps/v1", "ReplicaSet", "bare-rs")), listed, report.Owner{Kind: "ReplicaSet", Name: "bare-rs", APIVersion: "apps/v1"}},
		{"replicaset gone since the pods were listed", pod("old-1", hash, ctrl("apps/v1", "ReplicaSet", "old-5d8f9c7b6")), listed, report.Owner{Kind: "ReplicaSet", Name: "old-5d8f9c7b6", APIVersion: "apps/v1"}},
		{"replicasets not listable: the deployment naming rule", pod("web-5d8f9c7b6-abcde", hash, ctrl("apps/v1", "ReplicaSet", "web-5d8f9c7b6")), Controllers{},
			report.Owner{Kind: "Deployment", Name: "web", APIVersion: "apps/v1", Via: "ReplicaSet/web-5d8f9c7b6", Inferred: "pod-template-hash"}},
		{"not listable and no hash label: the replicaset", pod("rs-1", nil, ctrl("apps/v1", "ReplicaSet", "rs")), Controllers{}, report.Owner{Kind: "ReplicaSet", Name: "rs", APIVersion: "apps/v1"}},
		{"hash label that is not the name's suffix", pod("x-1", hash, ctrl("apps/v1", "ReplicaSet", "x-other")), Controllers{}, report.Owner{Kind: "ReplicaSet", Name: "x-other", APIVersion: "apps/v1"}},
		{"cronjob through its job", pod("nightly-29163-q", nil, ctrl("batch/v1", "Job", "nightly-29163")), listed,
			report.Owner{Kind: "CronJob", Name: "nightly", APIVersion: "batch/v1", Via: "Job/nightly-29163"}},
		{"bare job", pod("once-q", nil, ctrl("batch/v1", "Job", "once")), listed, report.Owner{Kind: "Job", Name: "once", APIVersion: "batch/v1"}},
		{"statefulset", pod("db-0", nil, ctrl("apps/v1", "StatefulSet", "db")), listed, report.Owner{Kind: "StatefulSet", Name: "db", APIVersion: "apps/v1"}},
		{"daemonset", pod("agent-x", nil, ctrl("apps/v1", "DaemonSet", "agent")), listed, report.Owner{Kind: "DaemonSet", Name: "agent", APIVersion: "apps/v1"}},
		{"custom controller", pod("r-1", nil, ctrl("argoproj.io/v1alpha1", "Rollout", "r")), listed, report.Owner{Kind: "Rollout", Name: "r", APIVersion: "argoproj.io/v1alpha1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.pod, tt.ctl); *got != tt.want {
				t.Errorf("Of = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestNeedsOneListPerNamespaceAndKind(t *testing.T) {
	rs := ctrl("apps/v1", "ReplicaSet", "web-1")
	job := ctrl("batch/v1", "Job", "j")
	pods := []*corev1.Pod{pod("a", nil, rs), pod("b", nil, rs), pod("c", nil, job), pod("d", nil), pod("e", nil, ctrl("apps/v1", "StatefulSet", "s"))}
	other := pod("f", nil, rs)
	other.Namespace = "ops"
	pods = append(pods, other)
	got := Needs(pods)
	want := []Ref{{Kind: ReplicaSet, Namespace: "shop"}, {Kind: Job, Namespace: "shop"}, {Kind: ReplicaSet, Namespace: "ops"}}
	if len(got) != len(want) {
		t.Fatalf("Needs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Needs[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}
