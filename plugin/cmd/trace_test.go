package cmd

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/agentpod"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
	"github.com/kubectl-caps/kubectl-caps/test/fakeagent"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// These run `kubectl caps trace` against test/fakeapi, whose pod create, watch, log and delete
// are real API calls; test/fakeagent stands in for the agent's recording in a node's kernel.

// traceFixture: web (one container) on node-1, db on node-2, both running the capworker checks.
func traceFixture() []runtime.Object {
	web := fakeapi.Pod("default", "web", "app")
	db := fakeapi.Pod("default", "db", "app")
	db.Spec.NodeName = "node-2"
	objs := fakeapi.Objects([]*corev1.Pod{web, db})
	return append(objs, fakeapi.Node("node-2", "containerd://1.7.0"), fakeapi.Namespace("default"))
}

func workerEverywhere(_, id string) []capcheck.Check {
	if id == fakeapi.ContainerID("default", "web", "app") || id == fakeapi.ContainerID("default", "db", "app") {
		return fakeagent.WorkerChecks(7, 4242)
	}
	return nil
}

func tracepointEverywhere(string) capcheck.Path { return capcheck.PathTracepoint }

func startTrace(t *testing.T, opts fakeapi.Options, objs ...runtime.Object) *fakeapi.Server {
	t.Helper()
	if opts.RunPod == nil {
		opts.RunPod = fakeagent.TracePodFunc(workerEverywhere, tracepointEverywhere, fakeagent.Options{Start: 10 * time.Millisecond, Read: 50 * time.Millisecond})
	}
	if len(objs) == 0 {
		objs = traceFixture()
	}
	return start(t, opts, objs...)
}

func decodeTrace(t *testing.T, stdout string) *tracereport.Trace {
	t.Helper()
	tr, err := tracereport.Decode(strings.NewReader(stdout))
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	return tr
}

func TestTraceOneAgentPerNode(t *testing.T) {
	var mu sync.Mutex
	creates := map[string]*corev1.Pod{}
	run := fakeagent.TracePodFunc(workerEverywhere, tracepointEverywhere, fakeagent.Options{Read: 50 * time.Millisecond})
	s := startTrace(t, fakeapi.Options{RunPod: func(p *corev1.Pod) fakeapi.PodRun {
		mu.Lock()
		creates[p.Spec.NodeName] = p.DeepCopy()
		mu.Unlock()
		return run(p)
	}})
	stdout, stderr, code := runCaps(t, s, "trace", "--for", "2s", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
	tr := decodeTrace(t, stdout)
	if len(tr.Containers) != 2 {
		t.Fatalf("rows %+v", tr.Containers)
	}
	for _, c := range tr.Containers {
		if c.Namespace != "default" || c.Container != "app" || c.Error != "" || c.Kernel == nil || c.Kernel.Path != string(capcheck.PathTracepoint) {
			t.Errorf("row %+v", c)
		}
		if got := strings.Join(c.Suggested.Add, ","); got != "CHOWN,NET_BIND_SERVICE" {
			t.Errorf("%s: add %s", c.Pod, got)
		}
	}
	if tr.Containers[0].Pod != "db" || tr.Containers[0].Node != "node-2" || tr.Containers[1].Pod != "web" || tr.Containers[1].Node != "node-1" {
		t.Errorf("rows not in the targets' order: %s/%s %s/%s", tr.Containers[0].Pod, tr.Containers[0].Node, tr.Containers[1].Pod, tr.Containers[1].Node)
	}
	// One privileged agent per node with the node's container IDs, each deleted; no other write.
	deletes := 0
	for _, q := range s.Requests() {
		switch {
		case q.Verb == "create" && q.Resource == "pods":
		case q.Verb == "delete" && q.Resource == "pods":
			deletes++
		case q.IsExec():
			t.Errorf("trace exec'd: %s", q)
		case !q.IsReadOnly():
			t.Errorf("unexpected write: %s", q)
		}
	}
	if len(creates) != 2 || deletes != 2 {
		t.Fatalf("creates %d (nodes %v) deletes %d, want one per node", len(creates), creates, deletes)
	}
	p := creates["node-1"]
	sc := p.Spec.Containers[0].SecurityContext
	if sc == nil || sc.Privileged == nil || !*sc.Privileged || !p.Spec.HostPID || p.Labels[agentpod.LabelMode] != "trace" {
		t.Errorf("agent pod not privileged, hostPID, mode trace: %+v", p.Spec)
	}
	args := strings.Join(p.Spec.Containers[0].Args, " ")
	if want := "agent trace --node node-1 --for 2s --container-id " + fakeapi.ContainerID("default", "web", "app"); args != want {
		t.Errorf("args %q, want %q", args, want)
	}
	if g := p.Spec.TerminationGracePeriodSeconds; g == nil || *g < 10 {
		t.Errorf("grace period %v: an interrupted agent needs time to print its trace", g)
	}
	if d := p.Spec.ActiveDeadlineSeconds; d == nil || *d < 2+120 {
		t.Errorf("deadline %v, want --for plus the start timeout at least", d)
	}
	if left := agentPodsLeft(t, s, "default"); len(left) > 0 {
		t.Errorf("agent pods left: %v", left)
	}
}

func TestTraceTable(t *testing.T) {
	s := startTrace(t, fakeapi.Options{})
	stdout, stderr, code := runCaps(t, s, "trace", "web", "--for", "1s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Traced 1 of 1 containers on 1 node for 50ms; kernel path tp_btf/cap_capable.",
		"POD   CONTAINER   NODE     USED                               DENIED         NOISE",
		"web   app         node-1   CHOWN (10), NET_BIND_SERVICE (5)   SYS_TIME (5)   53",
		"  used     CHOWN              10   capworker (pid 4242, uid 0)   fchownat       from setattr_prepare",
		"  denied   SYS_TIME           5    capworker (pid 4242, uid 0)   settimeofday   from cap_settime",
		"  suggest  capabilities: {drop: [ALL], add: [CHOWN, NET_BIND_SERVICE]}",
		"           NET_BIND_SERVICE used by capworker (pid 4242, uid 0) in bind from __inet_bind, 5 checks",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "db") {
		t.Errorf("a pod not asked for was traced:\n%s", stdout)
	}
}

// A namespace whose Pod Security refuses the privileged agent: one line naming the namespace and
// the flag, exit 1, no table, and no create after the first refusal.
func TestTracePodSecurityIsOneLine(t *testing.T) {
	s := startTrace(t, fakeapi.Options{Admit: func(p *corev1.Pod) *metav1.Status {
		return &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
			Message: `pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true), privileged (container "agent" must not set securityContext.privileged=true)`}
	}})
	stdout, stderr, code := runCaps(t, s, "trace", "--for", "1s", "--concurrency", "1")
	if code != 1 || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	want := `error: namespace "default" does not admit the privileged trace agent (violates PodSecurity "baseline:latest": host namespaces (hostPID=true), privileged (container "agent" must not set securityContext.privileged=true)); trace needs an agent namespace whose pod-security.kubernetes.io/enforce level is privileged: choose one with --agent-namespace` + "\n"
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
	creates := 0
	for _, q := range s.Requests() {
		if q.Verb == "create" && q.Resource == "pods" {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("%d creates: a refusal that holds for every node must stop the others", creates)
	}
}

// A node whose kernel has no usable path: its row says so in the table, the line is on stderr,
// and the exit code is 1; the other node is traced.
func TestTraceNodeWithoutKernelPath(t *testing.T) {
	path := func(node string) capcheck.Path {
		if node == "node-2" {
			return ""
		}
		return capcheck.PathTracepoint
	}
	s := startTrace(t, fakeapi.Options{RunPod: fakeagent.TracePodFunc(workerEverywhere, path, fakeagent.Options{Read: 20 * time.Millisecond})})
	stdout, stderr, code := runCaps(t, s, "trace", "--for", "1s")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"db    app         node-2   not traced (below)",
		"web   app         node-1   CHOWN (10), NET_BIND_SERVICE (5)",
		"  not traced: no usable kernel path on node node-2 (kernel 6.18.0): no kernel path to trace capability checks (tp_btf/cap_capable:",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if want := "error: no usable kernel path on node node-2 (kernel 6.18.0): no kernel path to trace capability checks (tp_btf/cap_capable: load: not supported; kprobe/cap_capable: attach: not supported) (default/db/app)\n"; stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestTraceNothingRunning(t *testing.T) {
	pending := fakeapi.Pod("default", "pending", "app")
	pending.Status = corev1.PodStatus{Phase: corev1.PodPending}
	s := startTrace(t, fakeapi.Options{}, append(fakeapi.Objects([]*corev1.Pod{pending}), fakeapi.Namespace("default"))...)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trace", "pending"}, "error: no running container to trace among the pods of pods pending in namespace default: default/pending/app (no container status yet (pod Pending))\n"},
		{[]string{"trace", "-l", "app=nothing"}, "error: no pods of pods in namespace default: nothing to trace\n"},
		{[]string{"trace", "gone"}, `error: pods "gone" not found` + "\n"},
	} {
		stdout, stderr, code := runCaps(t, s, append(tc.args, "--for", "1s")...)
		if code != 1 || stdout != "" || stderr != tc.want {
			t.Errorf("%v: exit %d stdout %q stderr:\n%s\nwant:\n%s", tc.args, code, stdout, stderr, tc.want)
		}
	}
	for _, q := range s.Requests() {
		if !q.IsReadOnly() {
			t.Errorf("wrote with nothing to trace: %s", q)
		}
	}
}

// Ctrl-C while the agents record ends the trace with the summary they print on SIGTERM, and
// deletes them.
func TestTraceInterruptEndsWithTheSummary(t *testing.T) {
	s := startTrace(t, fakeapi.Options{RunPod: fakeagent.TracePodFunc(workerEverywhere, tracepointEverywhere, fakeagent.Options{Read: time.Hour})})
	kc, err := s.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	root := NewCmdCaps(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs([]string{"--kubeconfig", kc, "trace", "--for", "1h", "-o", "json"})
	ctx, cancel := context.WithCancel(context.Background())
	client, err := kubernetes.NewForConfig(s.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// Ctrl-C once both agents run.
		defer cancel()
		for ctx.Err() == nil {
			list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: agentpod.LabelMode + "=trace"})
			running := 0
			for _, p := range list.Items {
				for _, st := range p.Status.ContainerStatuses {
					if st.State.Running != nil {
						running++
					}
				}
			}
			if err == nil && running == 2 {
				// The plugin sees the start on its own watch a moment later; Ctrl-C before that
				// stops an agent that has not started recording (a row that says so).
				time.Sleep(300 * time.Millisecond)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	began := time.Now()
	err = root.ExecuteContext(ctx)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, errOut.String(), out.String())
	}
	if d := time.Since(began); d > time.Minute {
		t.Errorf("took %s", d)
	}
	tr := decodeTrace(t, out.String())
	for _, c := range tr.Containers {
		if c.Error != "" || len(c.Used) != 2 {
			t.Errorf("row after the interrupt: %+v", c)
		}
	}
	if tr.Duration != "30m0s" {
		t.Errorf("duration %q: the agents' own (the fake prints half its time on SIGTERM)", tr.Duration)
	}
	if left := agentPodsLeft(t, s, "default"); len(left) > 0 {
		t.Errorf("agent pods left: %v", left)
	}
}

func TestTraceRefusesBadFlags(t *testing.T) {
	s := startTrace(t, fakeapi.Options{})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trace", "-o", "html"}, `unknown output format "html"`},
		{[]string{"trace", "--for", "0s"}, "--for must be between 1s and 24h0m0s"},
		{[]string{"trace", "--kernel-path", "lsm/capable"}, `unknown --kernel-path "lsm/capable"`},
		{[]string{"trace", "--agent-image", ""}, "--agent-image must name an image"},
		{[]string{"trace", "--concurrency", "0"}, "--concurrency must be at least 1"},
		{[]string{"trace", "-A", "web"}, "cannot use --all-namespaces with a resource name"},
	} {
		_, stderr, code := runCaps(t, s, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, stderr, tc.want)
		}
	}
}
