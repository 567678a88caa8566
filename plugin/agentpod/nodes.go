package agentpod

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
)

// NodeJob is the containers one agent pod handles: every target on one node.
type NodeJob struct {
	Node    string
	Targets []int // indexes into the caller's targets
	IDs     []containerid.ID
}

// Placed is where one target container runs, as its pod status says.
type Placed struct {
	Node        string
	ContainerID string // as in the pod status: runtime://id
}

// ByNode groups the targets by node, in node order, for one agent per node. A target no agent
// can handle (no node yet, no container ID yet, a runtime whose IDs the agent does not know) is
// handed to skip with the reason instead.
func ByNode(targets []Placed, skip func(i int, reason string)) []*NodeJob {
	byNode := map[string]*NodeJob{}
	for i, t := range targets {
		if t.Node == "" {
			skip(i, "the pod is not on a node yet")
			continue
		}
		if t.ContainerID == "" {
			skip(i, "the pod status lists no container ID yet")
			continue
		}
		id, err := containerid.Parse(t.ContainerID)
		if err != nil {
			skip(i, "the node agent knows containers of containerd, CRI-O and Docker only: "+err.Error())
			continue
		}
		j := byNode[t.Node]
		if j == nil {
			j = &NodeJob{Node: t.Node}
			byNode[t.Node] = j
		}
		j.Targets = append(j.Targets, i)
		j.IDs = append(j.IDs, id)
	}
	jobs := make([]*NodeJob, 0, len(byNode))
	for _, j := range byNode {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].Node < jobs[b].Node })
	return jobs
}

// Nodes lists the nodes once, to tell NotReady and Windows nodes before starting agents there;
// without permission to list them the map is empty and every node is tried.
func Nodes(ctx context.Context, client kubernetes.Interface) map[string]*corev1.Node {
	out := map[string]*corev1.Node{}
	list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return out
	}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

// Unusable says why no agent should start on a node, "" when it can be tried (a nil node,
// unknown because nodes cannot be listed, is tried): Windows nodes have no Linux /proc and no
// eBPF, and a NotReady node would leave the agent pod pending until its timeout.
func Unusable(n *corev1.Node) string {
	if n == nil {
		return ""
	}
	if n.Labels["kubernetes.io/os"] == "windows" || strings.EqualFold(n.Status.NodeInfo.OperatingSystem, "windows") {
		return fmt.Sprintf("node %s runs Windows: the node agent reads Linux /proc", n.Name)
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
			why := c.Reason
			if why == "" {
				why = "Ready=" + string(c.Status)
			}
			return fmt.Sprintf("node %s is not Ready (%s): no agent was started there", n.Name, why)
		}
	}
	return ""
}
