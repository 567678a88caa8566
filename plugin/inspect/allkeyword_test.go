package inspect

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// TestAllKeywordSpellings: show's verdict on drop: [CAP_ALL], [all] and [All] follows the
// runtime's rule (capset.IsAll): all and All drop everything; CAP_ALL is ignored, so the 14
// defaults stay. plugin/harden's golden "all-spellings" holds harden's verdict on the same file.
func TestAllKeywordSpellings(t *testing.T) {
	uid := int64(0)
	ctr := func(name, drop string) corev1.Container {
		return corev1.Container{Name: name, SecurityContext: &corev1.SecurityContext{
			RunAsUser: &uid, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{corev1.Capability(drop)}},
		}}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "spellings"},
		Spec:       corev1.PodSpec{NodeName: "node", Containers: []corev1.Container{ctr("cap-all", "CAP_ALL"), ctr("lower", "all"), ctr("title", "All")}},
	}
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node"}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{ContainerRuntimeVersion: "containerd://1.6.20"}}}
	rep := report.New()
	for _, p := range Plan([]*corev1.Pod{pod}, map[string]*corev1.Node{"node": node}, "") {
		rep.Containers = append(rep.Containers, Complete(p, Reading{}, nil))
	}
	var out bytes.Buffer
	if err := printer.Table(&out, rep, printer.Options{Wide: true, Explain: true}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "all-spellings.golden")
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("differs from %s (go test -update rewrites it):\n%s", path, out.Bytes())
	}
}
