//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// result is one finished command.
type result struct {
	args   []string
	stdout string
	stderr string
	code   int
}

func (r result) String() string {
	return fmt.Sprintf("$ kubectl %s\nexit code %d\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(r.args, " "), r.code, clip(r.stdout, 6000), clip(r.stderr, 3000))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("\n... (%d more bytes)", len(s)-n)
}

// kubectlAs runs the real kubectl with the given kubeconfig; it never fails the test itself.
func kubectlAs(t *testing.T, kubeconfig, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.kubectl, args...)
	cmd.Env = h.env(kubeconfig)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("kubectl %s: timed out after 4m\n%s", strings.Join(args, " "), r)
	}
	return r
}

func kubectl(t *testing.T, args ...string) result {
	t.Helper()
	return kubectlAs(t, h.kubeconfig, "", args...)
}

// must runs kubectl as admin and fails the test when it does not exit 0.
func must(t *testing.T, args ...string) string {
	t.Helper()
	r := kubectl(t, args...)
	if r.code != 0 {
		t.Fatalf("command failed:\n%s", r)
	}
	return r.stdout
}

// namespace creates a fresh namespace for one scenario (unique per run, so a reused cluster with
// namespaces still terminating from an earlier run does not matter) and deletes it afterwards.
func namespace(t *testing.T, name string) string {
	t.Helper()
	return createNamespace(t, "e2e-"+name+"-"+h.runID)
}

// hardenNamespace is a namespace for the harden tests of issue 11: harden-NAME-RUNID.
func hardenNamespace(t *testing.T, name string) string {
	t.Helper()
	return createNamespace(t, "harden-"+name+"-"+h.runID)
}

func createNamespace(t *testing.T, ns string) string {
	t.Helper()
	must(t, "create", "namespace", ns)
	must(t, "label", "namespace", ns, "kubectl-caps-e2e=true")
	t.Cleanup(func() {
		kubectl(t, "delete", "namespace", ns, "--wait=false")
	})
	// Pods are refused until the controller manager has made the namespace's default ServiceAccount.
	waitFor(t, 2*time.Minute, "ServiceAccount default in "+ns, func() (bool, string) {
		r := kubectl(t, "get", "serviceaccount", "default", "-n", ns)
		return r.code == 0, r.stderr
	})
	return ns
}

func apply(t *testing.T, ns, manifest string) {
	t.Helper()
	r := kubectlAs(t, h.kubeconfig, manifest, "apply", "-n", ns, "-f", "-")
	if r.code != 0 {
		t.Fatalf("apply failed:\n%s\nmanifest:\n%s", r, manifest)
	}
}

// waitFor polls cond every second until it holds or the timeout passes. Timeouts are generous: the
// machine is small and shared, and the kubelet and apiserver compete with the tests for CPU.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, detail)
		}
		time.Sleep(time.Second)
	}
}

// waitReady waits until every named pod is Ready, and shows the pods' state when they are not.
func waitReady(t *testing.T, ns string, pods ...string) {
	t.Helper()
	args := []string{"wait", "-n", ns, "--for=condition=Ready", "--timeout=240s"}
	for _, p := range pods {
		args = append(args, "pod/"+p)
	}
	if r := kubectl(t, args...); r.code != 0 {
		t.Fatalf("pods not Ready:\n%s\n%s", r, kubectl(t, "get", "pods", "-n", ns, "-o", "wide").stdout+
			kubectl(t, "describe", "pods", "-n", ns).stdout)
	}
}

// waitSelectorReady waits until the selector matches n pods and all of them are Ready.
func waitSelectorReady(t *testing.T, ns, selector string, n int) []string {
	t.Helper()
	var names []string
	waitFor(t, 4*time.Minute, fmt.Sprintf("%d Ready pods -l %s in %s", n, selector, ns), func() (bool, string) {
		r := kubectl(t, "get", "pods", "-n", ns, "-l", selector, "-o", "json")
		if r.code != 0 {
			return false, r.stderr
		}
		var list podList
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
			return false, err.Error()
		}
		names = names[:0]
		for _, p := range list.Items {
			if p.Metadata.DeletionTimestamp != "" {
				continue
			}
			if !p.ready() {
				return false, "pod " + p.Metadata.Name + " not Ready"
			}
			names = append(names, p.Metadata.Name)
		}
		return len(names) == n, fmt.Sprintf("%d pods Ready: %v", len(names), names)
	})
	return names
}

// podList is the part of `kubectl get pods -o json` the tests read.
type podList struct {
	Items []pod `json:"items"`
}

type pod struct {
	Metadata struct {
		Name              string `json:"name"`
		Namespace         string `json:"namespace"`
		DeletionTimestamp string `json:"deletionTimestamp"`
	} `json:"metadata"`
	Spec struct {
		Containers     []struct{ Name string } `json:"containers"`
		InitContainers []struct{ Name string } `json:"initContainers"`
	} `json:"spec"`
	Status struct {
		Phase      string `json:"phase"`
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
		ContainerStatuses []containerStatus `json:"containerStatuses"`
	} `json:"status"`
}

type containerStatus struct {
	Name        string `json:"name"`
	ContainerID string `json:"containerID"`
	State       struct {
		Waiting *struct {
			Reason string `json:"reason"`
		} `json:"waiting"`
		Running *struct {
			StartedAt string `json:"startedAt"`
		} `json:"running"`
	} `json:"state"`
}

func (p pod) ready() bool {
	for _, c := range p.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

func getPod(t *testing.T, ns, name string) pod {
	t.Helper()
	var p pod
	if err := json.Unmarshal([]byte(must(t, "get", "pod", "-n", ns, name, "-o", "json")), &p); err != nil {
		t.Fatalf("pod %s/%s: %v", ns, name, err)
	}
	return p
}

// podsOf lists the (namespace, pod, container) keys of the running pods a selector matches.
func podsOf(t *testing.T, ns, selector string) []string {
	t.Helper()
	var list podList
	if err := json.Unmarshal([]byte(must(t, "get", "pods", "-n", ns, "-l", selector, "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range list.Items {
		for _, c := range p.Spec.Containers {
			keys = append(keys, key(ns, p.Metadata.Name, c.Name))
		}
	}
	return keys
}

func key(ns, pod, ctr string) string { return ns + "/" + pod + "/" + ctr }

// podSpec renders a one-container pod. podSC and ctrSC are YAML flow mappings ("{}" for none).
func podSpec(name, image, podSC, ctrSC string, command ...string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels: {app: %s}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  securityContext: %s
  containers:
  - name: main
    image: %s
    imagePullPolicy: Never
    securityContext: %s
%s---
`, name, name, podSC, image, ctrSC, commandYAML("    ", command))
}

func commandYAML(indent string, command []string) string {
	if len(command) == 0 {
		return ""
	}
	b, _ := json.Marshal(command)
	return indent + "command: " + string(b) + "\n"
}

const (
	capshImage   = "docker.io/local/capsh:v1"
	filecapImage = "docker.io/local/filecap:v1"
	noshellImage = "docker.io/local/noshell:v1"
)
