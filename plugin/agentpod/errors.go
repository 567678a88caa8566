package agentpod

import (
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// PodSecurityError: the namespace's Pod Security admission refused the agent pod. hostPID and
// the added capabilities violate the baseline level, so the agent needs a namespace whose
// enforce level is privileged (or unset, when the cluster default is privileged).
type PodSecurityError struct {
	Namespace string
	Detail    string // the admission's message
}

func (e *PodSecurityError) Error() string {
	return fmt.Sprintf("namespace %q does not admit the node agent pod (%s); choose a namespace whose pod-security.kubernetes.io/enforce level is privileged with --agent-namespace, or read over exec with --via exec", e.Namespace, e.Detail)
}

// ForbiddenError: RBAC refused a request the agent needs.
type ForbiddenError struct {
	Verb, Resource, Namespace string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("cannot %s %s in namespace %q: missing permission (--via node needs create, get, list, watch and delete on pods and get on pods/log in the agent namespace: the kubectl-caps-node ClusterRole in rbac/kubectl-caps.yaml, bound there with a RoleBinding); choose another namespace with --agent-namespace", e.Verb, e.Resource, e.Namespace)
}

// ImageError: the agent image could not be pulled (or named) on a node.
type ImageError struct {
	Image, Node, Reason, Message string
}

func (e *ImageError) Error() string {
	return fmt.Sprintf("the node agent image %q cannot be pulled (%s); in an air-gapped cluster mirror it and name the copy with --agent-image", e.Image, e.Reason)
}

// StartError: the agent container did not start for another reason.
type StartError struct {
	Node, Pod, Reason, Message string
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("the agent pod on node %s did not start (%s)", e.Node, e.Reason)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// TimeoutError: the agent did not start or finish within Runner.Timeout.
type TimeoutError struct {
	Node, Pod, Phase, Last string
	After                  time.Duration
}

func (e *TimeoutError) Error() string {
	what := "finish reading"
	if e.Phase == "start" {
		what = "start"
	}
	return fmt.Sprintf("the agent pod on node %s did not %s within %s (--agent-timeout; %s)", e.Node, what, e.After, e.Last)
}

// createError classifies a refused create.
func createError(err error, s Spec) error {
	if apierrors.IsForbidden(err) {
		text := err.Error()
		if i := strings.Index(text, "violates PodSecurity"); i >= 0 {
			return &PodSecurityError{Namespace: s.Namespace, Detail: text[i:]}
		}
		return &ForbiddenError{Verb: "create", Resource: "pods", Namespace: s.Namespace}
	}
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot create the agent pod: namespace %q not found (--agent-namespace)", s.Namespace)
	}
	return fmt.Errorf("cannot create the agent pod in namespace %q: %w", s.Namespace, err)
}

func logError(err error, s Spec, pod string) error {
	if apierrors.IsForbidden(err) {
		return &ForbiddenError{Verb: "get", Resource: "pods/log", Namespace: s.Namespace}
	}
	return fmt.Errorf("reading the log of agent pod %s/%s: %w", s.Namespace, pod, err)
}
