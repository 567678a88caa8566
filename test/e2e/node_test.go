//go:build e2e

package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// Issue 12: `show --via node`. The suite runs on the node, so the ground truth of a node reading is
// the host's own /proc, read here directly (its own parser, not the plugin's): every process whose
// /proc/PID/cgroup names the container's ID.

// hostTruth reads every process of one container from the host's /proc.
func hostTruth(t *testing.T, containerID string) map[int]procStatus {
	t.Helper()
	_, hex, ok := strings.Cut(containerID, "://")
	if !ok || len(hex) != 64 {
		t.Fatalf("container ID %q is not runtime://<64 hex>", containerID)
	}
	out := map[int]procStatus{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cg, err := os.ReadFile(d + "/cgroup")
		if err != nil || !strings.Contains(string(cg), "/"+hex) {
			continue
		}
		st, err := os.ReadFile(d + "/status")
		if err != nil {
			continue // exited meanwhile
		}
		ps, err := parseStatus(string(st))
		if err != nil {
			t.Fatalf("host %s/status: %v", d, err)
		}
		out[ps.PID] = ps
	}
	return out
}

// hostFileCaps is the security.capability of a host process's executable: the permitted mask and
// the effective flag of a revision 2 or 3 attribute, ok false when the file has none.
func hostFileCaps(pid int) (permitted uint64, effective, ok bool) {
	buf := make([]byte, 64)
	n, err := unix.Getxattr(fmt.Sprintf("/proc/%d/exe", pid), "security.capability", buf)
	if err != nil || n < 20 {
		return 0, false, false
	}
	magic := binary.LittleEndian.Uint32(buf)
	permitted = uint64(binary.LittleEndian.Uint32(buf[4:])) | uint64(binary.LittleEndian.Uint32(buf[12:]))<<32
	return permitted, magic&1 == 1, true
}

// containerIDOf is a container's ID from the pod's status (any of its container lists).
func containerIDOf(t *testing.T, ns, podName, ctr string) string {
	t.Helper()
	out := must(t, "get", "pod", "-n", ns, podName, "-o",
		`jsonpath={range .status.containerStatuses[*]}{.name}={.containerID}{"\n"}{end}{range .status.initContainerStatuses[*]}{.name}={.containerID}{"\n"}{end}`)
	for _, line := range strings.Split(out, "\n") {
		if name, id, ok := strings.Cut(line, "="); ok && name == ctr {
			return id
		}
	}
	t.Fatalf("no container ID for %s", key(ns, podName, ctr))
	return ""
}

// agentPods lists, through the API, the agent pods in a namespace.
func agentPods(t *testing.T, ns string) []string {
	t.Helper()
	out := must(t, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/managed-by=kubectl-caps,app.kubernetes.io/component=node-agent", "-o", "name")
	return strings.Fields(out)
}

func noAgentLeft(t *testing.T, ns string) {
	t.Helper()
	if left := agentPods(t, ns); len(left) > 0 {
		t.Errorf("agent pods left in %s: %v", ns, left)
	}
}

// procKey is a process as both readers must agree on it whatever its PID namespace: name, uids,
// the five sets, no_new_privs and seccomp.
func procKey(p report.Process) string {
	s := p.Sets
	return fmt.Sprintf("%s uid=%d/%d %s/%s/%s/%s/%s nnp=%v seccomp=%s", p.Name, p.UID, p.EUID,
		s.Inheritable.Mask, s.Permitted.Mask, s.Effective.Mask, s.Bounding.Mask, s.Ambient.Mask, p.NoNewPrivs, p.Seccomp)
}

func procKeys(ps []report.Process) []string {
	var out []string
	for _, p := range ps {
		out = append(out, procKey(p))
	}
	sort.Strings(out)
	return out
}

// checkNodeMode runs `show -n NS --via node` (agents in NS itself, the default: the current
// namespace) and checks every row against the host's /proc: exactly the container's own
// processes, each with the kernel's sets, and its executable's file capabilities. With exec (the
// same namespace read over exec), every container exec read gives the same processes and sets
// from the node, and every container exec could not read (no shell) is read completely now.
func checkNodeMode(t *testing.T, ns string, exec *shown) *shown {
	t.Helper()
	var node shown
	t.Run("via-node", func(t *testing.T) {
		n := show(t, "-n", ns, "--via", "node")
		node = n
		t.Logf("show -n %s --via node: exit %d\n%s", ns, n.code, n.stderr)
		if n.rep.Trust != report.TrustNoteNode {
			t.Errorf("trust note %q, want the node one", n.rep.Trust)
		}
		rows := n.rep.Containers
		if exec != nil {
			rows = exec.rep.Containers
		}
		for i := range rows {
			r := &rows[i]
			if r.Namespace != ns {
				continue
			}
			what := key(ns, r.Pod, r.Container)
			nc := n.row(t, ns, r.Pod, r.Container)
			if r.Skipped != "" || nc.Skipped != "" {
				if (r.Skipped == "") != (nc.Skipped == "") {
					t.Errorf("%s: skipped %q over exec, %q from the node", what, r.Skipped, nc.Skipped)
				}
				continue
			}
			if nc.Live == nil || nc.Error != "" || nc.Method != "node" {
				t.Errorf("%s: no node reading: method %q, error %q", what, nc.Method, nc.Error)
				continue
			}
			gt := hostTruth(t, containerIDOf(t, ns, r.Pod, r.Container))
			var got []int
			for j := range nc.Processes {
				p := &nc.Processes[j]
				got = append(got, p.PID)
				want, ok := gt[p.PID]
				if !ok {
					t.Errorf("%s: pid %d (%s) reported, but it is not the container's on the host", what, p.PID, p.Name)
					continue
				}
				checkProcess(t, what+" via node", p, want)
				prm, eff, has := hostFileCaps(p.PID)
				switch {
				case has && p.FileCaps == nil:
					t.Errorf("%s pid %d: its executable has file capabilities %016x, none reported", what, p.PID, prm)
				case !has && p.FileCaps != nil:
					t.Errorf("%s pid %d: file capabilities %q reported, the executable has none", what, p.PID, p.FileCaps.Text)
				case has && (p.FileCaps.Permitted.Mask != fmt.Sprintf("%016x", prm) || p.FileCaps.Effective != eff):
					t.Errorf("%s pid %d: file capabilities %+v, host %016x effective %v", what, p.PID, *p.FileCaps, prm, eff)
				}
			}
			var want []int
			for pid := range gt {
				want = append(want, pid)
			}
			sort.Ints(got)
			sort.Ints(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: node reading lists pids %v, the host's /proc has %v for this container", what, got, want)
			}
			if exec == nil {
				continue
			}
			switch {
			case r.Live == nil:
				t.Logf("%s: exec could not read it (%s); the node read %d processes", what, r.Error, len(nc.Processes))
			case r.Method == "proc" && !r.Truncated:
				if e, g := procKeys(r.Processes), procKeys(nc.Processes); strings.Join(e, "\n") != strings.Join(g, "\n") {
					t.Errorf("%s: processes differ between exec and node\n  exec: %v\n  node: %v", what, e, g)
				}
			default:
				checkSets(t, what+": main process, exec vs node", fromReport(t, "exec", r.Live.Sets), fromReport(t, "node", nc.Live.Sets))
			}
		}
		noAgentLeft(t, ns)
	})
	return &node
}

// TestNodeModeFailures: each failure is one clear line, a non-zero exit code, and no agent pod
// left behind (checked through the API): an image that cannot be pulled, an image that is not the
// agent, an agent namespace whose Pod Security level is baseline, and SIGINT while the agents run.
func TestNodeModeFailures(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "nodefail")
	apply(t, ns, podSpec("one", capshImage, "{}", "{}"))
	waitReady(t, ns, "one")

	t.Run("image cannot be pulled", func(t *testing.T) {
		img := "registry.invalid/kubectl-caps-agent:v0"
		r := kubectl(t, "caps", "show", "-n", ns, "--via", "node", "--agent-image", img, "--agent-timeout", "90s")
		t.Logf("%s", r)
		want := `error: the node agent image "` + img + `" cannot be pulled (`
		if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--agent-image") {
			t.Errorf("want exit 1 and %q naming the flag, got:\n%s", want, r)
		}
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
			t.Errorf("want one line on stderr, got %d", n+1)
		}
		noAgentLeft(t, ns)
	})
	t.Run("not the agent", func(t *testing.T) {
		// The capsh image's entrypoint is sleep: `sleep agent read ...` fails and prints no reading.
		r := kubectl(t, "caps", "show", "-n", ns, "--via", "node", "--agent-image", capshImage)
		t.Logf("%s", r)
		if r.code != 1 || !strings.Contains(r.stderr, "did not print a reading") {
			t.Errorf("want exit 1 and 'did not print a reading', got:\n%s", r)
		}
		noAgentLeft(t, ns)
	})
	t.Run("baseline namespace", func(t *testing.T) {
		agents := namespace(t, "baseline")
		must(t, "label", "namespace", agents, "pod-security.kubernetes.io/enforce=baseline")
		r := kubectl(t, "caps", "show", "-n", ns, "--via", "node", "--agent-namespace", agents)
		t.Logf("%s", r)
		want := `error: namespace "` + agents + `" does not admit the node agent pod (violates PodSecurity "baseline:latest"`
		if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--agent-namespace") {
			t.Errorf("want exit 1 and %q, got:\n%s", want, r)
		}
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
			t.Errorf("want one line on stderr, got %d", n+1)
		}
		noAgentLeft(t, agents)
	})
	t.Run("SIGINT", func(t *testing.T) {
		// The noshell image's /sleeper ignores its arguments and runs until stopped: an agent that
		// never answers. The interrupt must delete it.
		r := kubectlInterrupt(t, 8, "caps", "show", "-n", ns, "--via", "node", "--agent-image", noshellImage)
		t.Logf("%s", r)
		if r.code != 130 {
			t.Errorf("exit code %d after SIGINT, want 130", r.code)
		}
		noAgentLeft(t, ns)
	})
}

// TestNodeModeAgentLeastPrivilege: the agent pod's capabilities are exactly what its reads need,
// shown by taking each away, on a process of another uid that gained NET_BIND_SERVICE from its
// executable's file capabilities (so it is not dumpable) and listens on port 80.
func TestNodeModeAgentLeastPrivilege(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "nodelp")
	apply(t, ns, podSpec("bind80", filecapImage, "{runAsUser: 1025}", "{}", "/opt/filecap/busybox", "httpd", "-f", "-p", "80"))
	waitReady(t, ns, "bind80")
	id := containerIDOf(t, ns, "bind80", "main")
	var info struct{ AgentImage string }
	if err := jsonUnmarshal(kubectl(t, "caps", "version", "-o", "json").stdout, &info); err != nil || info.AgentImage == "" {
		t.Fatalf("kubectl caps version -o json: %v", err)
	}
	for _, tc := range []struct {
		name string
		add  string
		// what the reading lacks
		exe, fds bool
	}{
		{"the agent's set", "[SYS_PTRACE, DAC_READ_SEARCH]", true, true},
		{"without DAC_READ_SEARCH", "[SYS_PTRACE]", true, false},
		{"without SYS_PTRACE", "[DAC_READ_SEARCH]", false, false},
		{"nothing", "[]", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "agent-" + strings.ToLower(strings.NewReplacer(" ", "-", "'", "", "_", "-").Replace(tc.name))
			apply(t, ns, `apiVersion: v1
kind: Pod
metadata: {name: `+name+`}
spec:
  hostPID: true
  restartPolicy: Never
  automountServiceAccountToken: false
  containers:
  - name: agent
    image: `+info.AgentImage+`
    imagePullPolicy: IfNotPresent
    args: [agent, read, --container-id, "`+id+`"]
    securityContext: {runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, seccompProfile: {type: RuntimeDefault}, capabilities: {drop: [ALL], add: `+tc.add+`}}
`)
			waitFor(t, 90*time.Second, name+" finished", func() (bool, string) {
				ph := strings.TrimSpace(must(t, "get", "pod", "-n", ns, name, "-o", "jsonpath={.status.phase}"))
				return ph == "Succeeded" || ph == "Failed", ph
			})
			log := must(t, "logs", "-n", ns, name)
			must(t, "delete", "pod", "-n", ns, name, "--wait=false")
			var doc struct {
				Containers []struct {
					Processes []struct {
						PID      int
						Exe      string
						FileCaps *struct{ Permitted string }
						Sockets  []uint64
						ExeError string
						FDError  string
					}
				}
			}
			if err := jsonUnmarshal(log, &doc); err != nil || len(doc.Containers) != 1 || len(doc.Containers[0].Processes) == 0 {
				t.Fatalf("agent output: %v\n%s", err, clip(log, 2000))
			}
			p := doc.Containers[0].Processes[0]
			t.Logf("add %s: exe %q fileCaps %v sockets %v exeError %q fdError %q", tc.add, p.Exe, p.FileCaps != nil, p.Sockets, p.ExeError, p.FDError)
			if gotExe := p.FileCaps != nil && p.FileCaps.Permitted == "0000000000000400"; gotExe != tc.exe {
				t.Errorf("file capabilities read: %v, want %v (exeError %q)", gotExe, tc.exe, p.ExeError)
			}
			if gotFDs := len(p.Sockets) > 0; gotFDs != tc.fds {
				t.Errorf("sockets read: %v, want %v (fdError %q)", gotFDs, tc.fds, p.FDError)
			}
		})
	}
}

// TestNodeModeRBAC: `show --via node` works under exactly the repo's roles (kubectl-caps-show for
// the targets' namespace, kubectl-caps-node for the agent namespace), and the API server's audit
// log shows its only writes are agent pods created and deleted in the agent namespace (no exec).
func TestNodeModeRBAC(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(auditLog()); err != nil {
		t.Skipf("no audit log at %s: %v", auditLog(), err)
	}
	ns := namespace(t, "noderbac")
	agents := namespace(t, "noderbac-agents")
	apply(t, ns, podSpec("one", capshImage, "{}", "{}")+podSpec("two", noshellImage, "{}", "{}"))
	waitReady(t, ns, "one", "two")
	sa := "caps-node"
	kc := bindShowRole(t, ns, sa)
	apply(t, agents, `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: `+sa+`-node}
subjects:
- {kind: ServiceAccount, name: `+sa+`, namespace: `+ns+`}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubectl-caps-node}
`)
	s := showAs(t, kc, "-n", ns, "--via", "node", "--agent-namespace", agents)
	t.Logf("as %s: exit %d\n%s", sa, s.code, s.stderr)
	if s.code != 0 {
		t.Errorf("exit %d under kubectl-caps-show + kubectl-caps-node, want 0\n%s", s.code, s.result)
	}
	for _, c := range s.rep.Containers {
		if c.Live == nil || c.Method != "node" {
			t.Errorf("%s: not read from the node (error %q)", c.Pod, c.Error)
		}
	}
	noAgentLeft(t, agents)
	// Without the node role in that namespace: one line naming the verb, resource and namespace.
	other := namespace(t, "noderbac-none")
	r := kubectlAs(t, kc, "", "caps", "show", "-n", ns, "--via", "node", "--agent-namespace", other)
	if want := `error: cannot create pods in namespace "` + other + `": missing permission`; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("want exit 1 and %q, got:\n%s", want, r)
	}

	user := "system:serviceaccount:" + ns + ":" + sa
	var evs []auditEvent
	waitFor(t, 30*time.Second, "audit events of "+user+" including a pod delete", func() (bool, string) {
		evs = requestsBy(t, user)
		for _, e := range evs {
			if e.Verb == "delete" && e.Stage == "ResponseComplete" {
				return true, ""
			}
		}
		return false, "no completed delete yet"
	})
	seen := map[string]int{}
	for _, e := range evs {
		if e.Stage != "ResponseComplete" || e.ObjectRef == nil {
			continue
		}
		what := e.Verb + " " + e.ObjectRef.Resource
		if e.ObjectRef.Subresource != "" {
			what += "/" + e.ObjectRef.Subresource
		}
		seen[what+" in "+e.ObjectRef.Namespace]++
		switch {
		case e.ObjectRef.Subresource == "exec":
			t.Errorf("--via node exec'd: %s", e.RequestURI)
		case e.Verb == "get" || e.Verb == "list" || e.Verb == "watch":
		case (e.Verb == "create" || e.Verb == "delete") && e.ObjectRef.Resource == "pods" && e.ObjectRef.Subresource == "" && e.ObjectRef.Namespace == agents:
		case e.Verb == "create" && e.ObjectRef.Namespace == other && e.Response != nil && e.Response.Code == 403:
		default:
			t.Errorf("%s wrote something other than its agent pods: %s %s", user, e.Verb, e.RequestURI)
		}
	}
	t.Logf("requests by %s: %v", user, seen)
}

func jsonUnmarshal(s string, v any) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("empty output")
	}
	return json.Unmarshal([]byte(s), v)
}

// kubectlInterrupt runs kubectl as admin and sends it SIGINT after the given seconds (kubectl
// execs the plugin, so the plugin is the process that gets it), as Ctrl-C would.
func kubectlInterrupt(t *testing.T, afterSecs int, args ...string) result {
	t.Helper()
	cmd := exec.Command(h.kubectl, args...)
	cmd.Env = h.env(h.kubeconfig)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Duration(afterSecs)*time.Second, func() { _ = cmd.Process.Signal(os.Interrupt) })
	defer timer.Stop()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("kubectl %s: still running 3m after SIGINT", strings.Join(args, " "))
	}
	r := result{args: args, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	}
	return r
}

// TestHardenViaNode: harden's live evidence read from the node. The capworker image has no
// shell, so over exec harden sees nothing of it; with --via node the agent reads its socket
// listening on port 80 and harden adds NET_BIND_SERVICE, saying it was observed. No agent pod is
// left.
func TestHardenViaNode(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "harden-node")
	apply(t, ns, workerDeployment(""))
	waitSelectorReady(t, ns, "app=worker", 2)

	overExec := kubectl(t, "caps", "harden", "deploy/worker", "-n", ns)
	if !strings.Contains(overExec.stderr, "no /bin/sh, cat or capsh in the image") || strings.Contains(overExec.stdout, "NET_BIND_SERVICE") {
		t.Errorf("over exec, harden should see nothing of the shell-less capworker:\n%s", overExec)
	}
	r := kubectl(t, "caps", "harden", "deploy/worker", "-n", ns, "--via", "node")
	t.Logf("harden --via node: exit %d\n%s", r.code, r.stderr)
	if r.code != 0 {
		t.Fatalf("harden --via node: %s", r)
	}
	if !strings.Contains(r.stdout, "add:\n") || strings.Count(r.stdout, "- NET_BIND_SERVICE") != 1 {
		t.Errorf("hardened manifest does not add NET_BIND_SERVICE:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "NET_BIND_SERVICE added (observed): listening on port 80") {
		t.Errorf("report does not say why NET_BIND_SERVICE was added:\n%s", r.stderr)
	}
	noAgentLeft(t, ns)
}
