// Package owner finds the workload that runs a pod, from the pod's controller ownerReference and,
// where that is a ReplicaSet or a Job, the ReplicaSet's or Job's own (Deployment, CronJob). It is
// pure: the caller lists ReplicaSets and Jobs once per namespace (never one call per pod) and
// hands their owner references in as Controllers.
package owner

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// Intermediate kinds: their pods belong to whoever controls them.
const (
	ReplicaSet = "ReplicaSet"
	Job        = "Job"
)

// Ref names one controller object: "ReplicaSet" in namespace shop called web-5d8f9c7b6.
type Ref struct {
	Kind, Namespace, Name string
}

// Controllers holds, for each ReplicaSet and Job that was listed, its own controller reference
// (nil when it has none: a bare ReplicaSet or Job). A Ref that is absent was not listed (no
// permission, or the list failed); a namespace in Listed was listed for that kind, so an absent
// object there no longer exists.
type Controllers struct {
	Owners map[Ref]*metav1.OwnerReference
	Listed map[Ref]bool // Ref{Kind, Namespace, ""}
}

// Needs lists the intermediate objects whose owners decide pods' workloads, one Ref{Kind,
// Namespace} per namespace and kind: what the caller must list.
func Needs(pods []*corev1.Pod) []Ref {
	seen := map[Ref]bool{}
	var out []Ref
	for _, p := range pods {
		c := metav1.GetControllerOf(p)
		if c == nil || !intermediate(c) {
			continue
		}
		r := Ref{Kind: c.Kind, Namespace: p.Namespace}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func intermediate(c *metav1.OwnerReference) bool {
	return (c.Kind == ReplicaSet && strings.HasPrefix(c.APIVersion, "apps/")) ||
		(c.Kind == Job && strings.HasPrefix(c.APIVersion, "batch/"))
}

// Of is the owning workload of a pod.
func Of(p *corev1.Pod, ctl Controllers) *report.Owner {
	c := metav1.GetControllerOf(p)
	if c == nil || c.Kind == "Node" {
		// A bare pod, or a static pod (its mirror pod is owned by the Node): its own workload.
		return &report.Owner{Kind: "Pod", Name: p.Name, APIVersion: "v1"}
	}
	direct := &report.Owner{Kind: c.Kind, Name: c.Name, APIVersion: c.APIVersion}
	if !intermediate(c) {
		return direct
	}
	via := c.Kind + "/" + c.Name
	ref := Ref{Kind: c.Kind, Namespace: p.Namespace, Name: c.Name}
	up, known := ctl.Owners[ref]
	switch {
	case known && up != nil:
		return &report.Owner{Kind: up.Kind, Name: up.Name, APIVersion: up.APIVersion, Via: via}
	case known, ctl.Listed[Ref{Kind: c.Kind, Namespace: p.Namespace}]:
		return direct
	}
	// Not listed: the Deployment controller's naming rule is the one thing that is certain
	// without reading the ReplicaSet (NAME-HASH, and the pods carry HASH as pod-template-hash).
	if c.Kind == ReplicaSet {
		if hash := p.Labels["pod-template-hash"]; hash != "" && strings.HasSuffix(c.Name, "-"+hash) && len(c.Name) > len(hash)+1 {
			return &report.Owner{Kind: "Deployment", Name: strings.TrimSuffix(c.Name, "-"+hash), APIVersion: "apps/v1", Via: via, Inferred: "pod-template-hash"}
		}
	}
	return direct
}

// Key identifies a workload within a report: namespace, kind and name.
func Key(namespace string, o *report.Owner) string {
	if o == nil {
		return namespace + "/"
	}
	return namespace + "/" + o.Kind + "/" + o.Name
}

// Label is how tables and the page name a workload: "deployment/web", "pod/db".
func Label(o *report.Owner) string {
	if o == nil {
		return "-"
	}
	return strings.ToLower(o.Kind) + "/" + o.Name
}
