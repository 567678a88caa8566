// Package agentpod runs the node agent (the plugin's own binary, `kubectl-caps agent ...`) as a
// short-lived pod on one node and brings back what it printed: create the pod, wait until its
// container starts, follow its log until it exits, delete it on every path. It also builds that
// pod's spec (pure: values in, a corev1.Pod out) and removes agent pods an earlier run left.
//
// The transport is the pod's log: the agent gets the container IDs in its arguments and prints
// one JSON document, so one reading costs pods create, a watch, one pods/log get and pods delete,
// and the RBAC a user needs is exactly that (no pods/exec). The same runner serves any mode: a
// mode that records until stopped (trace) sets Spec.StopGrace, and an interrupt then deletes the
// pod gracefully (SIGTERM) and keeps reading the log for the summary the agent prints on SIGTERM.
package agentpod

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels every agent pod carries; CleanStale finds leftovers by them.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "kubectl-caps"
	LabelComponent = "app.kubernetes.io/component"
	Component      = "node-agent"
	// LabelRun names one plugin run (all its agent pods); LabelMode the agent's mode.
	LabelRun  = "caps.kubectl.io/run"
	LabelMode = "caps.kubectl.io/mode"
	// AnnotationNode repeats spec.nodeName for people (labels cannot hold every node name).
	AnnotationNode = "caps.kubectl.io/node"

	// ContainerName is the agent's container.
	ContainerName = "agent"
	// GenerateName prefixes agent pod names; the API server appends 5 characters.
	GenerateName = "kubectl-caps-agent-"
)

// ReadCapabilities is what `agent read` needs beyond drop: [ALL], measured on a real node
// (containerd 1.6, runc, kernel 6.18; see README "Node agent"):
//   - /proc/PID/status and /proc/PID/cgroup are world-readable: no capability;
//   - /proc/PID/exe (path and file capabilities) and /proc/PID/ns/net (the network namespace,
//     hence its sockets) pass the kernel's ptrace access check, which fails for any process
//     holding capabilities the agent lacks or of another uid: CAP_SYS_PTRACE;
//   - listing /proc/PID/fd of a process of another uid (mode 0500) needs CAP_DAC_READ_SEARCH, and
//     reading its links CAP_SYS_PTRACE.
//
// ip_unprivileged_port_start of a pod's network namespace can only be read after setns, which
// needs CAP_SYS_ADMIN; the agent does not get it, so the port start is reported from the pod's
// sysctls or as unknown. The capabilities are only effective for uid 0 (Kubernetes sets no
// ambient capabilities), so the agent runs as root.
var ReadCapabilities = []corev1.Capability{"SYS_PTRACE", "DAC_READ_SEARCH"}

// Spec is one agent pod.
type Spec struct {
	Namespace string
	Node      string
	Image     string
	// Args follow the binary: ["agent", "read", "--node", N, "--container-id", ...].
	Args []string
	// Mode labels the pod ("read", "trace").
	Mode string
	// RunID labels every pod of one plugin run.
	RunID string
	// Capabilities are added to drop: [ALL]; Privileged (trace only) replaces them all.
	Capabilities []corev1.Capability
	Privileged   bool
	// Deadline becomes activeDeadlineSeconds: the kubelet stops the agent then even if the plugin
	// was killed and never deleted it (the next run deletes the finished pod, see CleanStale).
	Deadline time.Duration
	// StopGrace, when positive, is how long an interrupted agent has to print its summary after
	// SIGTERM (terminationGracePeriodSeconds); zero stops it at once.
	StopGrace time.Duration
}

// Pod is the agent pod: pinned to the node, in the host's PID namespace, tolerating every taint,
// never restarted, with a deadline, no service account token, no service links, the least
// privilege its mode needs, a read-only root filesystem and the runtime's default seccomp profile.
// It sets no resource requests (BestEffort), so the kubelet admits it even on a full node.
func (s Spec) Pod() *corev1.Pod {
	no, yes := false, true
	root := int64(0)
	grace := int64(s.StopGrace / time.Second)
	deadline := int64(s.Deadline / time.Second)
	if deadline < 1 {
		deadline = 1
	}
	sc := &corev1.SecurityContext{
		RunAsUser:                &root,
		RunAsGroup:               &root,
		RunAsNonRoot:             &no,
		AllowPrivilegeEscalation: &no,
		ReadOnlyRootFilesystem:   &yes,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: s.Capabilities},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if s.Privileged {
		// A privileged container gets every capability; listing some to add would only mislead.
		sc.Privileged = &yes
		sc.AllowPrivilegeEscalation = nil
		sc.Capabilities = nil
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	}
	labels := map[string]string{LabelManagedBy: ManagedBy, LabelComponent: Component}
	if s.Mode != "" {
		labels[LabelMode] = s.Mode
	}
	if s.RunID != "" {
		labels[LabelRun] = s.RunID
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: GenerateName,
			Namespace:    s.Namespace,
			Labels:       labels,
			Annotations: map[string]string{
				AnnotationNode:                  s.Node,
				"caps.kubectl.io/deadline-secs": strconv.FormatInt(deadline, 10),
			},
		},
		Spec: corev1.PodSpec{
			NodeName:                      s.Node,
			HostPID:                       true,
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         &deadline,
			TerminationGracePeriodSeconds: &grace,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			OS:                            &corev1.PodOS{Name: corev1.Linux},
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:                     ContainerName,
				Image:                    s.Image,
				ImagePullPolicy:          corev1.PullIfNotPresent,
				Args:                     s.Args,
				SecurityContext:          sc,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
		},
	}
}
