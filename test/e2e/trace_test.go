//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// Issue 13: `kubectl caps trace` and `harden --trace/--evidence` on the real cluster, with the
// real agent (privileged, hostPID, the eBPF program on the capability:cap_capable tracepoint of
// this node's kernel). The suite runs on the node, so it also checks, with bpftool and the
// agent's own /proc/PID/fdinfo, that no program of the agent stays loaded.

// capworkerImage is test/e2e/images/capworker: as root with the runtime's defaults, every 2 s it
// chowns a fresh file, binds TCP :80 and asks for SYS_TIME (settimeofday with no arguments).
const capworkerImage = "docker.io/local/capworker:v1"

// traceNamespace is a namespace for the trace tests: trace-NAME-RUNID.
func traceNamespace(t *testing.T, name string) string {
	t.Helper()
	return createNamespace(t, "trace-"+name+"-"+h.runID)
}

// workerDeployment is the workload the "Done when" names: two replicas (one workload,
// two pods to merge), readiness true only while the last round's chown and bind worked.
func workerDeployment(securityContext string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  labels: {app: worker}
spec:
  replicas: 2
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      terminationGracePeriodSeconds: 1
      automountServiceAccountToken: false
      containers:
      - name: app
        image: ` + capworkerImage + `
        imagePullPolicy: Never
        readinessProbe:
          httpGet: {path: /healthz, port: 80}
          periodSeconds: 2
` + securityContext
}

// agentPrograms watches the node while a trace runs: the ids of the eBPF programs held by the
// trace agents of one namespace's containers (from /proc/PID/fdinfo of every `kubectl-caps agent
// trace` process on the host whose arguments name one of them).
type agentPrograms struct {
	mu   sync.Mutex
	ids  map[int]bool
	stop chan struct{}
	done chan struct{}
}

func watchAgentPrograms(t *testing.T, ns string) *agentPrograms {
	t.Helper()
	var hexes []string
	for _, id := range strings.Fields(must(t, "get", "pods", "-n", ns, "-o", "jsonpath={.items[*].status.containerStatuses[*].containerID}")) {
		if _, hex, ok := strings.Cut(id, "://"); ok {
			hexes = append(hexes, hex)
		}
	}
	if len(hexes) == 0 {
		t.Fatalf("no container IDs in %s to recognise its trace agents by", ns)
	}
	w := &agentPrograms{ids: map[int]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			for _, id := range agentProgramIDs(hexes) {
				w.mu.Lock()
				w.ids[id] = true
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *agentPrograms) seen() []int {
	close(w.stop)
	<-w.done
	var out []int
	for id := range w.ids {
		out = append(out, id)
	}
	sort.Ints(out)
	return out
}

// agentProgramIDs reads the prog_id of every BPF program file descriptor of the host's trace
// agent processes that trace one of the containers.
func agentProgramIDs(hexes []string) []int {
	var ids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(d + "/cmdline")
		if err != nil || !strings.Contains(string(cmd), "kubectl-caps\x00agent\x00trace\x00") || !containsAny(string(cmd), hexes) {
			continue
		}
		infos, _ := filepath.Glob(d + "/fdinfo/*")
		for _, fi := range infos {
			b, err := os.ReadFile(fi)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "prog_id:"); ok {
					if id, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
						ids = append(ids, id)
					}
				}
			}
		}
	}
	return ids
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// loadedPrograms is `bpftool prog list` on the node: id → name.
func loadedPrograms(t *testing.T) map[int]string {
	t.Helper()
	out, err := exec.Command("bpftool", "-j", "prog", "list").Output()
	if err != nil {
		t.Fatalf("bpftool prog list (the e2e deps install bpftool): %v", err)
	}
	var progs []struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(out, &progs); err != nil {
		t.Fatalf("bpftool -j prog list: %v\n%s", err, out)
	}
	m := map[int]string{}
	for _, p := range progs {
		m[p.ID] = p.Name
	}
	return m
}

// noProgramLeft checks on the node that none of the programs the agents held is loaded, and
// that no capability-check program appeared that was not loaded before. The trace tests do not
// run in parallel with each other for this; a program another tester on this machine loads
// would be named here too, and the message says so.
func noProgramLeft(t *testing.T, before map[int]string, held []int) {
	t.Helper()
	// The kernel frees a program after its last reference (the agent's fds, its link) goes;
	// the pod's deletion and the process's exit come first.
	var now map[int]string
	waitFor(t, 60*time.Second, "the agents' eBPF programs to be unloaded", func() (bool, string) {
		now = loadedPrograms(t)
		for _, id := range held {
			if name, ok := now[id]; ok {
				return false, fmt.Sprintf("program %d (%s) is still loaded", id, name)
			}
		}
		for id, name := range now {
			if _, old := before[id]; !old && strings.HasPrefix(name, "on_cap_capable") {
				return false, fmt.Sprintf("program %d (%s) was loaded during the test and still is (an agent's, or another tester's on this machine)", id, name)
			}
		}
		return true, ""
	})
	t.Logf("bpftool prog list: %d programs loaded, none of the %d the agents held %v", len(now), len(held), held)
}

func decodeTraceOut(t *testing.T, r result) *tracereport.Trace {
	t.Helper()
	tr, err := tracereport.Decode(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("not a CapabilityTrace: %v\n%s", err, r)
	}
	return tr
}

func capNames(cs []tracereport.Capability) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Capability)
	}
	return out
}

// checkWorkerTrace: every replica used exactly CHOWN and NET_BIND_SERVICE, was refused
// SYS_TIME, and nothing of the noise (SYS_ADMIN, SYS_PTRACE, DAC_*) is a need.
func checkWorkerTrace(t *testing.T, tr *tracereport.Trace, ns string, pods int, wantUsed []string) {
	t.Helper()
	if len(tr.Containers) != pods {
		t.Fatalf("%d rows, want %d (one per replica)", len(tr.Containers), pods)
	}
	for _, c := range tr.Containers {
		what := key(ns, c.Pod, c.Container)
		if c.Error != "" || c.Kernel == nil {
			t.Errorf("%s: not traced: %s", what, c.Error)
			continue
		}
		if c.Kernel.Path != "tp_btf/cap_capable" || c.Kernel.Cgroup != "v1" {
			t.Errorf("%s: kernel %+v, want the tracepoint on cgroup v1", what, *c.Kernel)
		}
		if c.Workload == nil || c.Workload.Kind != "Deployment" || c.Workload.Name != "worker" {
			t.Errorf("%s: workload %+v", what, c.Workload)
		}
		if got := strings.Join(capNames(c.Used), ","); got != strings.Join(wantUsed, ",") {
			t.Errorf("%s: used %s, want %s", what, got, strings.Join(wantUsed, ","))
		}
		for _, u := range c.Used {
			if u.Count == 0 || len(u.Processes) == 0 || u.Processes[0].Comm != "capworker" || len(u.Syscalls) == 0 {
				t.Errorf("%s: %s without its count, process or syscall: %+v", what, u.Capability, u)
			}
		}
		if got := strings.Join(capNames(c.Denied), ","); got != "SYS_TIME" {
			t.Errorf("%s: denied %s, want SYS_TIME", what, got)
		}
		for _, n := range append(capNames(c.Used), c.Suggested.Add...) {
			if n == "SYS_ADMIN" || n == "SYS_PTRACE" || strings.HasPrefix(n, "DAC_") {
				t.Errorf("%s: noise %s reported as a need", what, n)
			}
		}
		if got := strings.Join(c.Suggested.Add, ","); got != strings.Join(wantUsed, ",") || strings.Join(c.Suggested.Drop, ",") != "ALL" || len(c.Suggested.Reasons) != len(wantUsed) {
			t.Errorf("%s: suggested %+v", what, *c.Suggested)
		}
		noise := 0
		for _, n := range c.Noise {
			noise += int(n.Count)
		}
		t.Logf("%s: used %v, denied %v, %d noise checks %v", what, capNames(c.Used), capNames(c.Denied), noise, c.Noise)
	}
}

// TestTraceClosedLoop is the closed loop, in one test: trace the workload (CHOWN and
// NET_BIND_SERVICE used, SYS_TIME refused, no noise as a need); harden its manifest with that
// trace (drop ALL, add exactly those two, each with its reason); apply it; the pods become Ready
// and do their work; show --via node reads exactly those two as effective; a second trace sees
// no refusal but SYS_TIME. After each trace no agent pod and no program of the agent is left.
func TestTraceClosedLoop(t *testing.T) {
	ns := traceNamespace(t, "loop")
	original := workerDeployment("")
	apply(t, ns, original)
	waitSelectorReady(t, ns, "app=worker", 2)

	before := loadedPrograms(t)
	w := watchAgentPrograms(t, ns)
	r := kubectl(t, "caps", "trace", "deploy/worker", "-n", ns, "--for", "20s", "-o", "json")
	held := w.seen()
	if r.code != 0 {
		t.Fatalf("trace: %s", r)
	}
	tr := decodeTraceOut(t, r)
	checkWorkerTrace(t, tr, ns, 2, []string{"CHOWN", "NET_BIND_SERVICE"})
	noAgentLeft(t, ns)
	if len(held) == 0 {
		t.Errorf("no agent process holding an eBPF program was seen on the node during the trace")
	}
	noProgramLeft(t, before, held)

	// harden with that trace as evidence.
	dir := t.TempDir()
	evidence := filepath.Join(dir, "worker.trace.json")
	manifest := filepath.Join(dir, "worker.yaml")
	if err := os.WriteFile(evidence, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	hr := kubectl(t, "caps", "harden", "-f", manifest, "-n", ns, "--evidence", evidence)
	t.Logf("harden --evidence:\n%s", hr.stderr)
	if hr.code != 0 {
		t.Fatalf("harden: %s", hr)
	}
	for _, want := range []string{
		"drop:\n            - ALL\n            add:\n            - CHOWN\n            - NET_BIND_SERVICE\n",
	} {
		if !strings.Contains(hr.stdout, want) {
			t.Errorf("hardened manifest lacks %q:\n%s", want, hr.stdout)
		}
	}
	for _, want := range []string{
		"+ CHOWN added (traced): used by capworker (pid ",
		") in fchownat from setattr_prepare, ",
		"+ NET_BIND_SERVICE added (traced): used by capworker (pid ",
		") in bind from __inet_bind, ",
		"(in 2 of 2 traced pods)",
		"SYS_TIME was refused in the trace and is not added",
	} {
		if !strings.Contains(hr.stderr, want) {
			t.Errorf("harden's report lacks %q", want)
		}
	}

	// Applied, the hardened workload becomes Ready (its readiness needs chown and bind to work)
	// and does its work.
	apply(t, ns, hr.stdout)
	if rr := kubectl(t, "rollout", "status", "deploy/worker", "-n", ns, "--timeout=4m"); rr.code != 0 {
		t.Fatalf("hardened rollout: %s\n%s", rr, kubectl(t, "describe", "pods", "-n", ns).stdout)
	}
	pods := waitSelectorReady(t, ns, "app=worker", 2)
	for _, p := range pods {
		waitFor(t, 30*time.Second, p+" logs a round", func() (bool, string) {
			log := kubectl(t, "logs", "-n", ns, p).stdout
			return strings.Contains(log, "chown ok; bind :80 ok; settimeofday operation not permitted"), clip(log, 300)
		})
		t.Logf("%s, hardened, logs: %s", p, lastLine(kubectl(t, "logs", "-n", ns, p, "--tail", "1").stdout))
	}

	// show reads exactly those two as effective (from the node: the image has no shell).
	s := show(t, "-n", ns, "--via", "node")
	for _, p := range pods {
		c := s.row(t, ns, p, "app")
		if c.Live == nil {
			t.Errorf("%s: not read: %s", p, c.Error)
			continue
		}
		t.Logf("show --via node: %s effective %s %v", p, c.Live.Sets.Effective.Mask, c.Live.Sets.Effective.Names)
		if got := c.Live.Sets.Effective.Mask; got != "0000000000000401" {
			t.Errorf("%s: effective %s (%v), want exactly CHOWN and NET_BIND_SERVICE (0000000000000401)", p, got, c.Live.Sets.Effective.Names)
		}
	}
	noAgentLeft(t, ns)

	// A second trace of the hardened workload: nothing refused but SYS_TIME.
	before = loadedPrograms(t)
	w = watchAgentPrograms(t, ns)
	r2 := kubectl(t, "caps", "trace", "deploy/worker", "-n", ns, "--for", "15s", "-o", "json")
	held = w.seen()
	if r2.code != 0 {
		t.Fatalf("second trace: %s", r2)
	}
	checkWorkerTrace(t, decodeTraceOut(t, r2), ns, 2, []string{"CHOWN", "NET_BIND_SERVICE"})
	noAgentLeft(t, ns)
	noProgramLeft(t, before, held)
	// The table people read, for the log.
	r3 := kubectl(t, "caps", "trace", "deploy/worker", "-n", ns, "--for", "6s")
	t.Logf("%s", r3)
	if r3.code != 0 || !strings.Contains(r3.stdout, "kernel path tp_btf/cap_capable") {
		t.Errorf("trace table: %s", r3)
	}
	noAgentLeft(t, ns)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// TestTraceInterrupt: Ctrl-C while the agents record ends the trace with the summary, and leaves
// no agent pod and no program loaded.
func TestTraceInterrupt(t *testing.T) {
	ns := traceNamespace(t, "sigint")
	apply(t, ns, workerDeployment(""))
	waitSelectorReady(t, ns, "app=worker", 2)
	before := loadedPrograms(t)
	w := watchAgentPrograms(t, ns)
	r := kubectlInterrupt(t, 25, "caps", "trace", "deploy/worker", "-n", ns, "--for", "10m")
	held := w.seen()
	t.Logf("%s", r)
	if r.code != 0 {
		t.Errorf("exit %d after Ctrl-C, want 0: the trace ends with its summary", r.code)
	}
	for _, want := range []string{"kernel path tp_btf/cap_capable", "CHOWN (", "NET_BIND_SERVICE (", "SYS_TIME ("} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the summary after Ctrl-C lacks %q", want)
		}
	}
	if !strings.Contains(r.stderr, "interrupted: the trace above covers ") {
		t.Errorf("stderr does not say the trace was cut short: %q", r.stderr)
	}
	noAgentLeft(t, ns)
	if len(held) == 0 {
		t.Errorf("no agent process holding an eBPF program was seen on the node")
	}
	noProgramLeft(t, before, held)
}

// TestTraceFailures: each is one clear line, a non-zero exit code, no agent pod left and no
// program loaded.
func TestTraceFailures(t *testing.T) {
	ns := traceNamespace(t, "fail")
	apply(t, ns, workerDeployment(""))
	waitSelectorReady(t, ns, "app=worker", 2)

	t.Run("baseline agent namespace", func(t *testing.T) {
		agents := traceNamespace(t, "baseline")
		must(t, "label", "namespace", agents, "pod-security.kubernetes.io/enforce=baseline")
		r := kubectl(t, "caps", "trace", "deploy/worker", "-n", ns, "--for", "5s", "--agent-namespace", agents)
		t.Logf("%s", r)
		want := `error: namespace "` + agents + `" does not admit the privileged trace agent (violates PodSecurity "baseline:latest"`
		if r.code != 1 || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "--agent-namespace") || r.stdout != "" {
			t.Errorf("want exit 1, no table and %q naming the flag", want)
		}
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
			t.Errorf("want one line on stderr, got %d", n+1)
		}
		noAgentLeft(t, agents)
	})
	t.Run("a node without a usable kernel path (simulated)", func(t *testing.T) {
		// Simulated: this node's kernel has the tracepoint, so the agent is made to use only the
		// kprobe path, which this kernel lacks (no CONFIG_KPROBES). The programs load (the
		// verifier accepts them), the attach fails, and the agent must unload them.
		before := loadedPrograms(t)
		r := kubectl(t, "caps", "trace", "deploy/worker", "-n", ns, "--for", "5s", "--kernel-path", "kprobe/cap_capable")
		t.Logf("%s", r)
		if r.code != 1 {
			t.Errorf("exit %d, want 1", r.code)
		}
		if !strings.Contains(r.stdout, "not traced (below)") || !strings.Contains(r.stdout, "  not traced: no usable kernel path on node ") {
			t.Errorf("no row says the node cannot trace:\n%s", r.stdout)
		}
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 || !strings.HasPrefix(r.stderr, "error: no usable kernel path on node ") || !strings.Contains(r.stderr, "kprobe/cap_capable: ") {
			t.Errorf("want one line naming the kprobe path tried, got:\n%s", r.stderr)
		}
		noAgentLeft(t, ns)
		noProgramLeft(t, before, nil)
	})
	t.Run("no running pod", func(t *testing.T) {
		apply(t, ns, `apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  containers:
  - {name: app, image: docker.io/local/not-there:v1, imagePullPolicy: Never}
`)
		waitFor(t, 90*time.Second, "pod never to be ErrImageNeverPull", func() (bool, string) {
			p := getPod(t, ns, "never")
			for _, st := range p.Status.ContainerStatuses {
				if st.State.Waiting != nil && st.State.Waiting.Reason == "ErrImageNeverPull" {
					return true, ""
				}
			}
			return false, p.Status.Phase
		})
		r := kubectl(t, "caps", "trace", "pod/never", "-n", ns, "--for", "5s")
		t.Logf("%s", r)
		want := "error: no running container to trace among the pods of pod/never in namespace " + ns + ": " + ns + "/never/app (not running (ErrImageNeverPull))"
		if r.code != 1 || strings.TrimSpace(r.stderr) != want || r.stdout != "" {
			t.Errorf("want exit 1 and exactly %q", want)
		}
		noAgentLeft(t, ns)
	})
}

// TestTraceRBAC: trace works under exactly the repo's kubectl-caps-show (targets' namespace) and
// kubectl-caps-trace (agent namespace); without the latter one line names what is missing.
func TestTraceRBAC(t *testing.T) {
	ns := traceNamespace(t, "rbac")
	agents := traceNamespace(t, "rbac-agents")
	apply(t, ns, workerDeployment(""))
	waitSelectorReady(t, ns, "app=worker", 2)
	sa := "caps-trace"
	kc := bindShowRole(t, ns, sa)
	apply(t, agents, `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: `+sa+`-trace}
subjects:
- {kind: ServiceAccount, name: `+sa+`, namespace: `+ns+`}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubectl-caps-trace}
`)
	r := kubectlAs(t, kc, "", "caps", "trace", "deploy/worker", "-n", ns, "--for", "5s", "--agent-namespace", agents, "-o", "json")
	if r.code != 0 {
		t.Fatalf("under kubectl-caps-show + kubectl-caps-trace: %s", r)
	}
	checkWorkerTrace(t, decodeTraceOut(t, r), ns, 2, []string{"CHOWN", "NET_BIND_SERVICE"})
	noAgentLeft(t, agents)
	other := traceNamespace(t, "rbac-none")
	r = kubectlAs(t, kc, "", "caps", "trace", "deploy/worker", "-n", ns, "--for", "5s", "--agent-namespace", other)
	want := `error: cannot create pods in namespace "` + other + `": missing permission (trace needs`
	if r.code != 1 || !strings.HasPrefix(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("want exit 1 and one line %q, got:\n%s", want, r)
	}
}
