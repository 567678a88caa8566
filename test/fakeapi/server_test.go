package fakeapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/utils/exec"
)

const kubectlPath = "/usr/bin/kubectl"

// seed is a small cluster: 3 generated pods, a deployment with its replicaset and 2 pods, a node.
func seed() []runtime.Object {
	pods := Pods(3, 2)
	d, rs, dpods := Deployment("web", "frontend", 2, "nginx")
	objs := append(Objects(pods), Objects(dpods)...)
	objs = append(objs, d, rs, Node(DefaultNode, "containerd://2.1.4"), Namespace("web"))
	for _, ns := range Namespaces(pods) {
		objs = append(objs, ns)
	}
	return objs
}

func kubectl(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath(kubectlPath); err != nil {
		t.Skipf("real kubectl not installed: %v", err)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(kubectlPath, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String() + errOut.String(), err
}

func TestRealKubectlGet(t *testing.T) {
	s := Start(t, Options{}, seed()...)
	kc, err := s.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{args: []string{"get", "pods", "-A"}, want: []string{"scale-0", "pod-00000", "pod-00002", "frontend-5d8f9c7b6-00001"}},
		{args: []string{"get", "pods", "-n", "web", "-l", "app=frontend", "-o", "name"},
			want: []string{"pod/frontend-5d8f9c7b6-00000", "pod/frontend-5d8f9c7b6-00001"}, notWant: []string{"pod-0000"}},
		{args: []string{"get", "deploy/frontend", "-n", "web", "-o", "jsonpath={.spec.selector.matchLabels.app}"}, want: []string{"frontend"}},
		{args: []string{"get", "rs,sts,ds,jobs,cronjobs", "-n", "web", "-o", "name"}, want: []string{"replicaset.apps/frontend-5d8f9c7b6"}},
		{args: []string{"get", "nodes", "-o", "jsonpath={.items[0].status.nodeInfo.containerRuntimeVersion}"}, want: []string{"containerd://2.1.4"}},
		{args: []string{"get", "pods", "-A", "--field-selector", "spec.nodeName=" + DefaultNode, "-o", "name"}, want: []string{"pod/pod-00001"}},
		{args: []string{"get", "pods", "-A", "--field-selector", "spec.nodeName=elsewhere"}, want: []string{"No resources found"}, notWant: []string{"pod-0"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := kubectl(t, kc, tc.args...)
			if err != nil {
				t.Fatalf("kubectl %v: %v\n%s", tc.args, err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	for _, r := range s.Requests() {
		if !r.IsReadOnly() {
			t.Errorf("kubectl get made a non-read request: %s", r)
		}
	}
}

func TestClientGoReads(t *testing.T) {
	s := Start(t, Options{}, seed()...)
	cs := kubernetes.NewForConfigOrDie(s.RESTConfig())
	ctx := context.Background()

	all, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 5 {
		t.Errorf("all pods: got %d, want 5", len(all.Items))
	}
	sel, err := cs.CoreV1().Pods("web").List(ctx, metav1.ListOptions{LabelSelector: "app=frontend,pod-template-hash"})
	if err != nil || len(sel.Items) != 2 {
		t.Errorf("label selector: %d pods, err %v", len(sel.Items), err)
	}
	if _, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.bogus=x"}); err == nil {
		t.Error("unknown field selector accepted")
	}
	_, err = cs.CoreV1().Pods("web").Get(ctx, "missing", metav1.GetOptions{})
	if err == nil || err.Error() != `pods "missing" not found` {
		t.Errorf("missing pod: got %v", err)
	}
	n, err := cs.CoreV1().Nodes().Get(ctx, DefaultNode, metav1.GetOptions{})
	if err != nil || n.Status.NodeInfo.ContainerRuntimeVersion != "containerd://2.1.4" {
		t.Errorf("node: %v %v", n, err)
	}
	rs, err := cs.AppsV1().ReplicaSets("web").Get(ctx, "frontend-5d8f9c7b6", metav1.GetOptions{})
	if err != nil || rs.OwnerReferences[0].Name != "frontend" {
		t.Errorf("replicaset: %v %v", rs, err)
	}
	if _, err := cs.Discovery().ServerPreferredResources(); err != nil {
		t.Errorf("discovery: %v", err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil || v.GitVersion != "v1.37.2" {
		t.Errorf("version: %v %v", v, err)
	}
}

// execute runs one exec through client-go's real executors, as kubectl and the plugin do.
func execute(t *testing.T, s *Server, transport, ns, pod, container string, command ...string) (stdout, stderr string, err error) {
	t.Helper()
	cfg := s.RESTConfig()
	cs := kubernetes.NewForConfigOrDie(cfg)
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: command, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	var ex remotecommand.Executor
	switch transport {
	case "websocket":
		ex, err = remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
	case "spdy":
		ex, err = remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
	case "fallback": // kubectl exec's arrangement
		ws, werr := remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
		sp, serr := remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
		if err = errors.Join(werr, serr); err == nil {
			ex, err = remotecommand.NewFallbackExecutor(ws, sp, func(err error) bool { return isUpgradeFailure(err) })
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &o, Stderr: &e})
	return o.String(), e.String(), err
}

func TestExecProtocols(t *testing.T) {
	for _, transport := range []string{"websocket", "spdy"} {
		t.Run(transport, func(t *testing.T) {
			s := Start(t, Options{}, seed()...)

			s.SetExec(Canned(map[string]string{"/bin/sh": "@@kubectl-caps 1\n@@end\n"}))
			out, _, err := execute(t, s, transport, "scale-0", "pod-00001", "c1", "/bin/sh", "-c", "echo")
			if err != nil || out != "@@kubectl-caps 1\n@@end\n" {
				t.Errorf("canned: out %q err %v", out, err)
			}

			s.SetExec(ExitWith(3, "partial\n"))
			out, _, err = execute(t, s, transport, "scale-0", "pod-00001", "c1", "false")
			var exitErr utilexec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitStatus() != 3 || out != "partial\n" {
				t.Errorf("exit code: out %q err %#v", out, err)
			}

			s.SetExec(Canned(nil))
			_, _, err = execute(t, s, transport, "scale-0", "pod-00001", "c1", "capsh", "--print")
			want := `Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "`
			tail := `": OCI runtime exec failed: exec failed: unable to start container process: exec: "capsh": executable file not found in $PATH: unknown`
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), tail) {
				t.Errorf("missing binary: got %v", err)
			}

			s.SetExec(RunLocally)
			out, _, err = execute(t, s, transport, "scale-0", "pod-00001", "c1", "cat", "/proc/self/status")
			if err != nil || !strings.Contains(out, "\nCapEff:\t") {
				t.Errorf("run locally: err %v out %q", err, out)
			}

			s.SetExec(Flood(1 << 20))
			out, _, err = execute(t, s, transport, "scale-0", "pod-00001", "c1", "yes")
			if err != nil || len(out) != 1<<20 {
				t.Errorf("flood: got %d bytes, err %v", len(out), err)
			}

			for _, r := range s.Execs() {
				if r.Transport != transport {
					t.Errorf("exec went over %s (%s), want %s", r.Transport, r.Protocol, transport)
				}
			}
		})
	}
}

func TestExecRefusedWebSocketFallsBackToSPDY(t *testing.T) {
	s := Start(t, Options{RefuseWebSocket: true, Exec: Canned(map[string]string{"cat": "ok\n"})}, seed()...)
	out, _, err := execute(t, s, "fallback", "scale-0", "pod-00000", "c0", "cat", "/proc/1/status")
	if err != nil || out != "ok\n" {
		t.Fatalf("out %q err %v", out, err)
	}
	execs := s.Execs()
	if len(execs) != 1 || execs[0].Transport != "spdy" || execs[0].Protocol != "v4.channel.k8s.io" {
		t.Errorf("execs: %+v", execs)
	}
	var codes []int
	for _, r := range s.Requests() {
		if r.IsExec() {
			codes = append(codes, r.Code)
		}
	}
	if len(codes) != 2 || codes[0] != http.StatusBadRequest || codes[1] != http.StatusSwitchingProtocols {
		t.Errorf("exec request codes: %v, want websocket refused then SPDY upgraded", codes)
	}
}

func TestExecValidation(t *testing.T) {
	s := Start(t, Options{Exec: Canned(map[string]string{"cat": "ok"})}, seed()...)
	done := Pod("web", "done", "app")
	done.Status.Phase = corev1.PodSucceeded
	if err := s.Add(done); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ ns, pod, container, want string }{
		{"web", "nope", "app", `pods "nope" not found`},
		{"scale-0", "pod-00000", "", "a container name must be specified for pod pod-00000, choose one of: [c0 c1]"},
		{"scale-0", "pod-00000", "zz", "container zz is not valid for pod pod-00000"},
		{"web", "done", "app", "cannot exec into a container in a completed pod; current phase is Succeeded"},
	}
	for _, tc := range tests {
		for _, transport := range []string{"websocket", "spdy"} {
			_, _, err := execute(t, s, transport, tc.ns, tc.pod, tc.container, "cat")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %s/%s -c %q: got %v, want %q", transport, tc.ns, tc.pod, tc.container, err, tc.want)
			}
		}
	}
	if n := len(s.Execs()); n != 0 {
		t.Errorf("%d execs ran", n)
	}
}

func TestExecForbidden(t *testing.T) {
	s := Start(t, Options{Exec: Canned(map[string]string{"cat": "ok"}), Authorize: DenyExecIn("scale-0")}, seed()...)
	want := `pods "pod-00000" is forbidden: User "test-user" cannot create resource "pods/exec" in API group "" in the namespace "scale-0"`
	for _, transport := range []string{"websocket", "spdy", "fallback"} {
		_, _, err := execute(t, s, transport, "scale-0", "pod-00000", "c0", "cat")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", transport, err, want)
		}
	}
	if _, _, err := execute(t, s, "websocket", "web", "frontend-5d8f9c7b6-00000", "nginx", "cat"); err != nil {
		t.Errorf("exec in another namespace: %v", err)
	}

	kc, err := s.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := kubectl(t, kc, "exec", "-n", "scale-0", "pod-00000", "-c", "c0", "--", "cat", "/proc/1/status")
	if err == nil || !strings.Contains(out, "Error from server (Forbidden): "+want) {
		t.Errorf("kubectl exec: err %v out %s", err, out)
	}
	s.SetAuthorizer(Deny("list", "pods", ""))
	out, err = kubectl(t, kc, "get", "pods", "-A")
	if err == nil || !strings.Contains(out, `pods is forbidden: User "test-user" cannot list resource "pods" in API group "" at the cluster scope`) {
		t.Errorf("kubectl get: err %v out %s", err, out)
	}
}

func TestRealKubectlExec(t *testing.T) {
	s := Start(t, Options{Exec: RunLocally}, seed()...)
	kc, err := s.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := kubectl(t, kc, "exec", "-n", "scale-0", "pod-00002", "-c", "c1", "--", "cat", "/proc/self/status")
	if err != nil || !strings.Contains(out, "CapBnd:\t") {
		t.Fatalf("kubectl exec: err %v\n%s", err, out)
	}
	out, err = kubectl(t, kc, "exec", "-n", "scale-0", "pod-00002", "-c", "c1", "--", "sh", "-c", "exit 7")
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 7 {
		t.Errorf("kubectl exec exit 7: err %v\n%s", err, out)
	}
	out, err = kubectl(t, kc, "exec", "-n", "scale-0", "pod-00002", "-c", "c1", "--", "no-such-binary-here")
	if err == nil || !strings.Contains(out, `exec: "no-such-binary-here": executable file not found in $PATH: unknown`) {
		t.Errorf("kubectl exec missing binary: err %v\n%s", err, out)
	}
	execs := s.Execs()
	if len(execs) != 3 || execs[0].Transport != "websocket" || execs[0].Protocol != "v5.channel.k8s.io" {
		t.Errorf("kubectl should exec over WebSocket v5: %+v", execs)
	}
}

func TestHangEndsWhenClientLeaves(t *testing.T) {
	for _, transport := range []string{"websocket", "spdy"} {
		t.Run(transport, func(t *testing.T) {
			s := Start(t, Options{Exec: Hang}, seed()...)
			cfg := s.RESTConfig()
			cs := kubernetes.NewForConfigOrDie(cfg)
			req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("scale-0").Name("pod-00000").SubResource("exec").
				VersionedParams(&corev1.PodExecOptions{Container: "c0", Command: []string{"sleep", "inf"}, Stdout: true}, scheme.ParameterCodec)
			var ex remotecommand.Executor
			var err error
			if transport == "websocket" {
				ex, err = remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
			} else {
				ex, err = remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
			}
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &bytes.Buffer{}}) }()
			// Wait until the exec is running on the server, then leave.
			waitFor(t, func() bool {
				for _, r := range s.Requests() {
					if r.IsExec() && r.Code == http.StatusSwitchingProtocols {
						return true
					}
				}
				return false
			})
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Errorf("client: %v", err)
			}
			waitFor(t, func() bool { return len(s.Execs()) == 1 })
			if e := s.Execs()[0]; !errors.Is(e.Err, context.Canceled) {
				t.Errorf("server exec ended with %v", e.Err)
			}
		})
	}
}

// waitFor polls cond; the deadline is only a safety net against hanging the suite, not a timing
// assertion.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Older clients ask for v4.channel.k8s.io over WebSocket; exit codes still arrive as a Status.
func TestExecWebSocketV4(t *testing.T) {
	s := Start(t, Options{Exec: ExitWith(5, "v4\n")}, seed()...)
	cfg := s.RESTConfig()
	cs := kubernetes.NewForConfigOrDie(cfg)
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("scale-0").Name("pod-00000").SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "c0", Command: []string{"x"}, Stdout: true}, scheme.ParameterCodec)
	ex, err := remotecommand.NewWebSocketExecutorForProtocols(cfg, "GET", req.URL().String(), "v4.channel.k8s.io")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = ex.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: &out})
	var exitErr utilexec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitStatus() != 5 || out.String() != "v4\n" {
		t.Errorf("out %q err %v", out.String(), err)
	}
	if e := s.Execs(); len(e) != 1 || e[0].Protocol != "v4.channel.k8s.io" {
		t.Errorf("execs %+v", e)
	}
}
