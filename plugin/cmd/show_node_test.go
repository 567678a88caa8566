package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/agentpod"
	"github.com/kubectl-caps/kubectl-caps/plugin/filecap"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/test/fakeagent"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// These run `show --via node` against test/fakeapi, whose pods/log, watch, create and delete are
// real API calls; test/fakeagent stands in for the agent's reading of a node's /proc.

const runtimeDefault = "00000000a80425fb"

// nodeFixture: pods web (two containers) on node-1 and db on node-2; web/c0 runs a setcap'd
// binary as uid 1025.
func nodeFixture() []*corev1.Pod {
	web := fakeapi.Pod("default", "web", "c0", "c1")
	db := fakeapi.Pod("default", "db", "c0")
	db.Spec.NodeName = "node-2"
	return []*corev1.Pod{web, db}
}

func fixtureProcesses(node, id string) []nodereading.Process {
	switch id {
	case fakeapi.ContainerID("default", "web", "c0"):
		p := fakeagent.Process(fakeagent.Status("nc", 101, 1025, "0000000000000400", runtimeDefault), 4026532001)
		p.Exe = "/opt/filecap/busybox"
		p.FileCaps = nodereading.FromFileCaps(filecap.Caps{Revision: 2, Permitted: 1 << 10, Effective: true})
		return []nodereading.Process{p}
	case fakeapi.ContainerID("default", "web", "c1"):
		return []nodereading.Process{fakeagent.Process(fakeagent.Status("sleep", 102, 0, runtimeDefault, runtimeDefault), 4026532001)}
	case fakeapi.ContainerID("default", "db", "c0"):
		if node != "node-2" {
			return nil
		}
		return []nodereading.Process{fakeagent.Process(fakeagent.Status("db", 201, 0, runtimeDefault, runtimeDefault), 4026532002)}
	}
	return nil
}

func startNode(t *testing.T, ao fakeagent.Options, extra ...runtime.Object) *fakeapi.Server {
	t.Helper()
	objs := fakeapi.Objects(nodeFixture())
	objs = append(objs, fakeapi.Node("node-2", "containerd://1.7.0"), fakeapi.Namespace("default"))
	objs = append(objs, extra...)
	return start(t, fakeapi.Options{RunPod: fakeagent.PodFunc(fixtureProcesses, ao)}, objs...)
}

// agentPodsLeft lists, through the API, the agent pods in a namespace.
func agentPodsLeft(t *testing.T, s *fakeapi.Server, ns string) []string {
	t.Helper()
	c, err := kubernetes.NewForConfig(s.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: agentpod.LabelManagedBy + "=" + agentpod.ManagedBy})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Name)
	}
	return names
}

func TestShowViaNode(t *testing.T) {
	s := startNode(t, fakeagent.Options{Start: 10 * time.Millisecond})
	stdout, stderr, code := runCaps(t, s, "show", "--via", "node", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decode(t, stdout)
	if r.Trust != report.TrustNoteNode {
		t.Errorf("trust note: %q", r.Trust)
	}
	web0 := row(t, r, "web", "c0")
	if web0.Method != "node" || web0.Live == nil || web0.Live.EUID != 1025 || web0.Live.Sets.Effective.Mask != "0000000000000400" {
		t.Fatalf("web/c0: %+v", web0)
	}
	fc := web0.Processes[0].FileCaps
	if fc == nil || fc.Text != "cap_net_bind_service=ep" || web0.Processes[0].Executable != "/opt/filecap/busybox" {
		t.Errorf("web/c0 file caps: %+v exe %q", fc, web0.Processes[0].Executable)
	}
	if db := row(t, r, "db", "c0"); db.Live == nil || db.Live.Name != "db" || *db.UnprivilegedPortStart != 1024 {
		t.Errorf("db/c0 on node-2: %+v", db)
	}
	if web1 := row(t, r, "web", "c1"); len(web1.Processes) != 1 || web1.Processes[0].FileCaps != nil || web1.Processes[0].Executable != "" {
		t.Errorf("web/c1: %+v", web1.Processes)
	}
	// One agent per node, each deleted; nothing written but those pods.
	creates, deletes := 0, 0
	for _, q := range s.Requests() {
		switch {
		case q.Verb == "create" && q.Resource == "pods" && q.Subresource == "":
			creates++
			if q.Namespace != "default" {
				t.Errorf("agent created in %q, want the current namespace", q.Namespace)
			}
		case q.Verb == "delete" && q.Resource == "pods":
			deletes++
		case q.IsExec():
			t.Errorf("--via node exec'd: %s", q)
		case !q.IsReadOnly():
			t.Errorf("unexpected write: %s", q)
		}
	}
	if creates != 2 || deletes != 2 {
		t.Errorf("%d agent pods created, %d deleted; want 2 and 2 (one per node)", creates, deletes)
	}
	if left := agentPodsLeft(t, s, "default"); len(left) != 0 {
		t.Errorf("agent pods left: %v", left)
	}

	// The process table shows the file capabilities.
	table, _, _ := runCaps(t, s, "show", "--via", "node", "--procs")
	if !strings.Contains(table, "FILE CAPS") || !strings.Contains(table, "cap_net_bind_service=ep") {
		t.Errorf("--procs table:\n%s", table)
	}
}

func TestShowViaNodeFailures(t *testing.T) {
	psa := func(*corev1.Pod) *metav1.Status {
		return &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
			Message: `pods "kubectl-caps-agent-abcde" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)`}
	}
	for _, tc := range []struct {
		name  string
		setup func(s *fakeapi.Server)
		args  []string
		want  string
		rows  int // containers still read
	}{
		{
			name:  "pod security",
			setup: func(s *fakeapi.Server) { s.SetAdmit(psa) },
			want:  `error: namespace "default" does not admit the node agent pod (violates PodSecurity "baseline:latest": host namespaces (hostPID=true)); choose a namespace whose pod-security.kubernetes.io/enforce level is privileged with --agent-namespace, or read over exec with --via exec (3 containers not read)`,
		},
		{
			name:  "create forbidden",
			setup: func(s *fakeapi.Server) { s.SetAuthorizer(fakeapi.Deny("create", "pods", "agents")) },
			args:  []string{"--agent-namespace", "agents"},
			want:  `error: cannot create pods in namespace "agents": missing permission`,
		},
		{
			name: "image pull",
			setup: func(s *fakeapi.Server) {
				s.SetRunPod(fakeagent.PodFunc(fixtureProcesses, fakeagent.Options{Fail: func(string) (fakeapi.PodRun, bool) {
					return fakeapi.PodRun{Waiting: "ImagePullBackOff", WaitingMessage: "Back-off pulling image"}, true
				}}))
			},
			args: []string{"--agent-image", "registry.example/agent:v9"},
			want: `error: the node agent image "registry.example/agent:v9" cannot be pulled (ImagePullBackOff); in an air-gapped cluster mirror it and name the copy with --agent-image (3 containers not read)`,
		},
		{
			name: "one node cannot be read",
			setup: func(s *fakeapi.Server) {
				s.SetRunPod(fakeagent.PodFunc(fixtureProcesses, fakeagent.Options{Fail: func(node string) (fakeapi.PodRun, bool) {
					return fakeapi.PodRun{Start: time.Hour}, node == "node-2"
				}}))
			},
			args: []string{"--agent-timeout", "500ms"},
			want: "error: default/db container c0: the agent pod on node node-2 did not start within 500ms (--agent-timeout; the pod stayed Pending",
			rows: 2,
		},
		{
			name: "agent prints something else",
			setup: func(s *fakeapi.Server) {
				s.SetRunPod(fakeagent.PodFunc(fixtureProcesses, fakeagent.Options{Fail: func(node string) (fakeapi.PodRun, bool) {
					return fakeapi.PodRun{Log: []byte("exec /kubectl-caps: exec format error\n"), ExitCode: 1}, node == "node-2"
				}}))
			},
			want: `error: default/db container c0: the agent on node node-2 (exit code 1, Error) did not print a reading: not a NodeReading document: the output does not start with '{'; its output starts "exec /kubectl-caps: exec format error"`,
			rows: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startNode(t, fakeagent.Options{}, fakeapi.Namespace("agents"))
			tc.setup(s)
			stdout, stderr, code := runCaps(t, s, append([]string{"show", "--via", "node", "-o", "json"}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant a line containing:\n%s", code, stderr, tc.want)
			}
			if n := strings.Count(stderr, "\n"); n != 1 {
				t.Errorf("want one line on stderr, got %d:\n%s", n, stderr)
			}
			r := decode(t, stdout)
			read := 0
			for _, c := range r.Containers {
				if c.Live != nil {
					read++
				}
			}
			if read != tc.rows || len(r.Containers) != 3 {
				t.Errorf("%d of %d rows read, want %d of 3", read, len(r.Containers), tc.rows)
			}
			for _, ns := range []string{"default", "agents"} {
				if left := agentPodsLeft(t, s, ns); len(left) != 0 {
					t.Errorf("agent pods left in %s: %v", ns, left)
				}
			}
		})
	}
}

func TestShowViaNodeStopsCreatingAfterPodSecurity(t *testing.T) {
	s := startNode(t, fakeagent.Options{})
	creates := 0
	s.SetAdmit(func(*corev1.Pod) *metav1.Status {
		creates++
		return &metav1.Status{Code: 403, Reason: metav1.StatusReasonForbidden, Message: `violates PodSecurity "baseline:latest": host namespaces (hostPID=true)`}
	})
	runCaps(t, s, "show", "--via", "node", "--concurrency", "1")
	if creates != 1 {
		t.Errorf("%d creates after the namespace refused the first; want 1", creates)
	}
}

func TestShowViaNodeUnreadableNodes(t *testing.T) {
	notReady := fakeapi.Node("node-3", "containerd://1.7.0")
	notReady.Status.Conditions[0].Status, notReady.Status.Conditions[0].Reason = corev1.ConditionUnknown, "NodeStatusUnknown"
	s := startNode(t, fakeagent.Options{}, notReady)
	p := fakeapi.Pod("default", "stuck", "c0")
	p.Spec.NodeName = "node-3"
	if err := s.Add(p); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCaps(t, s, "show", "--via", "node")
	if code != 1 || !strings.Contains(stderr, "error: default/stuck container c0: node node-3 is not Ready (NodeStatusUnknown): no agent was started there") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, q := range s.Requests() {
		if q.Verb == "create" && strings.Contains(q.Path, "node-3") {
			t.Errorf("an agent was created for the NotReady node")
		}
	}
}

func TestShowViaNodeInterrupted(t *testing.T) {
	s := startNode(t, fakeagent.Options{Read: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	kc, _ := s.WriteKubeconfig(t.TempDir())
	var out, errOut strings.Builder
	root := NewCmdCaps(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs([]string{"--kubeconfig", kc, "show", "--via", "node"})
	time.AfterFunc(500*time.Millisecond, cancel)
	err := root.ExecuteContext(ctx)
	if err == nil {
		t.Fatalf("interrupted show returned no error: %s", errOut.String())
	}
	if left := agentPodsLeft(t, s, "default"); len(left) != 0 {
		t.Errorf("agent pods left after an interrupt: %v", left)
	}
}

func TestShowViaFlags(t *testing.T) {
	s := startNode(t, fakeagent.Options{})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--via", "ssh"}, `unknown --via "ssh": use exec or node`},
		{[]string{"--agent-image", "x:v1"}, "--agent-image applies to --via node only"},
		{[]string{"--via", "exec", "--agent-namespace", "x"}, "--agent-namespace applies to --via node only"},
		{[]string{"--via", "node", "--agent-timeout", "0s"}, "--agent-timeout must be positive"},
	} {
		_, stderr, code := runCaps(t, s, append([]string{"show"}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, stderr)
		}
	}
}

// harden --via node observes the running pods through the node reader, as show --via node does:
// web/c0 runs as uid 1025 with NET_BIND_SERVICE effective from its binary's file capabilities,
// which the exec reader could only see with a shell in the image. No exec, one agent per node,
// none left.
func TestHardenViaNode(t *testing.T) {
	s := startNode(t, fakeagent.Options{Start: 10 * time.Millisecond})
	out, stderr, code := runCaps(t, s, "harden", "pod/web", "--via", "node")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(out, "- NET_BIND_SERVICE") != 1 {
		t.Errorf("hardened manifest lacks c0's NET_BIND_SERVICE:\n%s", out)
	}
	if !strings.Contains(stderr, "NET_BIND_SERVICE added (observed)") {
		t.Errorf("report does not say NET_BIND_SERVICE was observed:\n%s", stderr)
	}
	for _, q := range s.Requests() {
		if q.IsExec() {
			t.Errorf("harden --via node exec'd: %s", q)
		}
	}
	if left := agentPodsLeft(t, s, "default"); len(left) != 0 {
		t.Errorf("agent pods left: %v", left)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"harden", "-f", "-", "--via", "node"}, "--via node reads running pods: use it with --observe or a live object"},
		{[]string{"harden", "pod/web", "--via", "ssh"}, `unknown --via "ssh"`},
	} {
		_, stderr, code := runCaps(t, s, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, stderr, tc.want)
		}
	}
}
