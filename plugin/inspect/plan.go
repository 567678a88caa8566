// Package inspect turns pods, nodes and live readings into report rows: it decides which
// containers can be read, and, once readings are in, combines declared, expected and live views
// with their findings. It is pure: it takes values and never talks to a cluster.
package inspect

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
	"github.com/kubectl-caps/kubectl-caps/plugin/declared"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// Planned is one container's row before its reading: read it when Read is true (it runs).
type Planned struct {
	Row  report.Container
	Pod  *corev1.Pod
	Read bool
}

// Plan lists the rows for pods, in input order, keeping only containerName when it is set.
func Plan(pods []*corev1.Pod, nodes map[string]*corev1.Node, containerName string) []Planned {
	var out []Planned
	for _, pod := range pods {
		node := nodes[pod.Spec.NodeName]
		runtime := ""
		if node != nil {
			runtime = node.Status.NodeInfo.ContainerRuntimeVersion
		}
		for _, c := range containers.List(&pod.Spec) {
			if containerName != "" && c.Name != containerName {
				continue
			}
			row := report.Container{
				Namespace: pod.Namespace,
				Pod:       pod.Name,
				Container: c.Name,
				Type:      c.Type,
				Node:      pod.Spec.NodeName,
				Runtime:   runtime,
				Declared:  declared.Of(&pod.Spec, c),
				Findings:  []report.Finding{},
			}
			state, skip := containerState(pod, node, c)
			row.State = state
			row.Skipped = skip
			out = append(out, Planned{Row: row, Pod: pod, Read: skip == ""})
		}
	}
	return out
}

// containerState says what the container is doing and, when it cannot be read, why.
func containerState(pod *corev1.Pod, node *corev1.Node, c containers.Ref) (state, skip string) {
	if isWindows(pod, node) {
		return "n/a", "Windows container: Linux capabilities do not apply"
	}
	if pod.DeletionTimestamp != nil {
		// Its containers are being stopped; an exec would race the kill.
		return "terminating", "pod is terminating"
	}
	st := containers.Status(pod, c.Name)
	switch {
	case st == nil:
		reason := string(pod.Status.Phase)
		if reason == "" {
			reason = "Pending"
		}
		if msg := unschedulable(pod); msg != "" {
			reason += ": " + msg
		}
		return "waiting", "no container status yet (pod " + reason + ")"
	case st.State.Running != nil:
		return "running", ""
	case st.State.Waiting != nil:
		r := st.State.Waiting.Reason
		if r == "" {
			r = "Waiting"
		}
		skip = "not running (" + r + ")"
		if lt := st.LastTerminationState.Terminated; lt != nil {
			skip += fmt.Sprintf("; last exit code %d", lt.ExitCode)
		}
		return "waiting: " + r, skip
	case st.State.Terminated != nil:
		r := st.State.Terminated.Reason
		if r == "" {
			r = fmt.Sprintf("exit code %d", st.State.Terminated.ExitCode)
		}
		if c.Type == containers.Init {
			return "terminated: " + r, "init container finished (" + r + ")"
		}
		// Between two crashes the kubelet shows the last termination, not CrashLoopBackOff; a
		// container the kubelet will start again is crash-looping all the same.
		if restarts(pod, st.State.Terminated.ExitCode) {
			return "terminated: " + r, fmt.Sprintf("not running (terminated: %s; CrashLoopBackOff, %d restarts)", r, st.RestartCount)
		}
		return "terminated: " + r, "not running (terminated: " + r + ")"
	}
	return "unknown", "container state unknown"
}

func isWindows(pod *corev1.Pod, node *corev1.Node) bool {
	if pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows {
		return true
	}
	if node != nil && (node.Labels["kubernetes.io/os"] == "windows" || strings.EqualFold(node.Status.NodeInfo.OperatingSystem, "windows")) {
		return true
	}
	return false
}

func unschedulable(pod *corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason != "" {
			return c.Reason
		}
	}
	return ""
}

// restarts reports whether the kubelet will start a terminated regular container again.
func restarts(pod *corev1.Pod, exitCode int32) bool {
	switch pod.Spec.RestartPolicy {
	case corev1.RestartPolicyAlways, "":
		return true
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return false
}
