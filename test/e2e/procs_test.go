//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// findProcess returns the reported process with this PID, or nil.
func findProcess(c *report.Container, pid int) *report.Process {
	for i := range c.Processes {
		if c.Processes[i].PID == pid {
			return &c.Processes[i]
		}
	}
	return nil
}

func pidsOf(c *report.Container) []int {
	var out []int
	for _, p := range c.Processes {
		out = append(out, p.PID)
	}
	return out
}

// Scenario 6: several processes under different uids in one container (root, uid 1025 with
// nothing, uid 2000 keeping NET_BIND_SERVICE through the ambient set), and a process that drops
// NET_RAW from its own bounding set after start (live-differs-from-spec).
func TestScenario06Processes(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "s06")
	multi := "sleep 2147483647 & " +
		"capsh --gid=1025 --uid=1025 --shell=/bin/sh -- -c 'exec sleep 2147483646' & " +
		"capsh --keep=1 --gid=2000 --uid=2000 --caps=cap_net_bind_service+eip --addamb=cap_net_bind_service --shell=/bin/sh -- -c 'exec sleep 2147483645' & " +
		"wait"
	apply(t, ns, podSpec("multiuid", capshImage, "{}", "{}", "/bin/sh", "-c", multi)+
		podSpec("dropper", capshImage, "{}", "{}", "/usr/sbin/capsh", "--drop=cap_net_raw", "--shell=/bin/sh", "--", "-c", "exec sleep 2147483647"))
	waitReady(t, ns, "multiuid", "dropper")

	// Ground truth first: the three sleeps must exist before show runs (they start in background).
	var gt map[int]procStatus
	waitFor(t, 2*time.Minute, "the three sleep processes of multiuid", func() (bool, string) {
		gt = truthAll(t, ns, "multiuid", "main")
		n := 0
		for _, p := range gt {
			if p.Name == "sleep" {
				n++
			}
		}
		return n == 3, fmt.Sprintf("%d sleeps", n)
	})
	byUID := map[int64]fiveSets{
		0:    sets(none, defaults, defaults, defaults, none),
		1025: sets(none, none, none, defaults, none),
		2000: sets(netBind, netBind, netBind, defaults, netBind),
	}
	for pid, p := range gt {
		checkTruth(t, fmt.Sprintf("multiuid pid %d (%s uid %d)", pid, p.Name, p.UID), p, byUID[p.UID])
	}

	dropperGT := truth(t, ns, "dropper", "main", 1)
	dropped := defaults.Minus(netRaw)
	checkTruth(t, "dropper pid 1", dropperGT, sets(none, dropped, dropped, dropped, none))

	s := show(t, "-n", ns)
	t.Logf("exit %d, rows %v", s.code, s.keys(ns))
	if s.code != 0 {
		t.Errorf("exit code %d, want 0\n%s", s.code, s.result)
	}

	t.Run("multiuid", func(t *testing.T) {
		row := s.row(t, ns, "multiuid", "main")
		checkLive(t, row, gt[1])
		if row.Method != "proc" {
			t.Errorf("method %q, want proc (the image has a shell: every process must be read)", row.Method)
		}
		for pid, want := range gt {
			got := findProcess(row, pid)
			if got == nil {
				t.Errorf("pid %d (%s, uid %d) missing from processes; reported pids %v", pid, want.Name, want.UID, pidsOf(row))
				continue
			}
			checkProcess(t, fmt.Sprintf("process %d (%s uid %d)", pid, want.Name, want.UID), got, want)
		}
		checkExpected(t, row, byUID[0])
	})
	t.Run("procs-table", func(t *testing.T) {
		// --procs: one table row per process; the three sleeps of multiuid each get one.
		r := kubectl(t, "caps", "show", "-n", ns, "multiuid", "--procs")
		t.Logf("%s", r)
		if r.code != 0 {
			t.Fatalf("exit code %d", r.code)
		}
		n := 0
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.Contains(l, "sleep") {
				n++
			}
		}
		if n < 3 || !strings.Contains(r.stdout, "2000") || !strings.Contains(r.stdout, "1025") {
			t.Errorf("--procs table does not show the three sleeps (uids 0, 1025, 2000): %d rows name sleep", n)
		}
	})
	t.Run("dropper", func(t *testing.T) {
		row := s.row(t, ns, "dropper", "main")
		checkLive(t, row, dropperGT)
		checkExpected(t, row, sets(none, defaults, defaults, defaults, none))
		checkFindings(t, row, []string{fLiveDiffers}, []string{fPrivileged, fNotEffective})
	})
	checkNodeMode(t, ns, &s)
}

// Scenario 7: a binary with a file capability (cap_net_bind_service+ep, set in the image) run by
// uid 1025 really binds port 80, although the spec gives uid 1025 no effective capability.
//
// allowPrivilegeEscalation: false does NOT stop it on containerd + runc: no_new_privs only limits
// what execve grants to the permitted set the process had before (kernel cap_bprm_creds_from_file),
// and containerd puts the runtime defaults in the OCI spec's permitted set even for a non-root
// user, so runc's process holds NET_BIND_SERVICE right up to the exec. Only dropping the
// capability (drop: [ALL]) stops it, and then the exec itself fails with EPERM. The "nnp" pod
// pins that behaviour.
func TestScenario07FileCapabilities(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "s07")
	apply(t, ns, podSpec("bind80", filecapImage, "{runAsUser: 1025}", "{}", "/opt/filecap/busybox", "httpd", "-f", "-p", "80")+
		podSpec("nnp", filecapImage, "{runAsUser: 1025}", "{allowPrivilegeEscalation: false}", "/opt/filecap/busybox", "sleep", "2147483647"))
	waitReady(t, ns, "bind80", "nnp")
	bindGT := truth(t, ns, "bind80", "main", 1)
	checkTruth(t, "bind80 pid 1", bindGT, sets(none, netBind, netBind, defaults, none))
	// The process really listens on port 80 (0x0050), as uid 1025.
	tcp := must(t, "exec", "-n", ns, "bind80", "-c", "main", "--", "cat", "/proc/net/tcp", "/proc/net/tcp6")
	if !strings.Contains(tcp, ":0050 ") {
		t.Fatalf("nothing listens on port 80:\n%s", tcp)
	}
	nnpGT := truth(t, ns, "nnp", "main", 1)
	checkTruth(t, "nnp pid 1", nnpGT, sets(none, netBind, netBind, defaults, none))
	if nnpGT.NoNewPrivs != 1 {
		t.Fatalf("nnp: ground truth NoNewPrivs %d", nnpGT.NoNewPrivs)
	}
	s := show(t, "-n", ns)
	if s.code != 0 {
		t.Errorf("exit code %d, want 0\n%s", s.code, s.result)
	}
	t.Run("bind80", func(t *testing.T) {
		row := s.row(t, ns, "bind80", "main")
		checkLive(t, row, bindGT)
		checkExpected(t, row, sets(none, none, none, defaults, none))
		checkFindings(t, row, []string{fLiveDiffers, fEscalation}, []string{fPrivileged})
	})
	t.Run("nnp", func(t *testing.T) {
		row := s.row(t, ns, "nnp", "main")
		checkLive(t, row, nnpGT)
		checkExpected(t, row, sets(none, none, none, defaults, none))
		checkFindings(t, row, []string{fLiveDiffers}, []string{fPrivileged})
	})
	// From the node, the executable's file capabilities are shown beside the sets they gave.
	if n := checkNodeMode(t, ns, &s); n.rep != nil {
		for _, pod := range []string{"bind80", "nnp"} {
			if r := n.row(t, ns, pod, "main"); r.Live == nil || r.Live.FileCaps == nil || r.Live.FileCaps.Text != "cap_net_bind_service=ep" || r.Live.Executable != "/opt/filecap/busybox" {
				t.Errorf("%s via node: executable %q file capabilities %+v, want /opt/filecap/busybox cap_net_bind_service=ep", pod, r.Live.Executable, r.Live.FileCaps)
			}
		}
	}
}

// cmdlines maps PID to command line (words joined by spaces) for every process a container sees.
func cmdlines(t *testing.T, ns, podName, ctr string) map[int]string {
	t.Helper()
	out := map[int]string{}
	for _, pid := range containerPIDs(t, ns, podName, ctr) {
		r := kubectl(t, "exec", "-n", ns, podName, "-c", ctr, "--", "cat", fmt.Sprintf("/proc/%d/cmdline", pid))
		if r.code == 0 {
			out[pid] = strings.TrimSpace(strings.ReplaceAll(r.stdout, "\x00", " "))
		}
	}
	return out
}

func pidWithCmdline(all map[int]string, cmd string) int {
	for pid, c := range all {
		if c == cmd {
			return pid
		}
	}
	return 0
}

// checkScope fails when a container's process list holds processes that are not its own and the
// report does not say so (scope + scopeNote).
func checkScope(t *testing.T, row *report.Container, own func(pid int) bool) {
	t.Helper()
	var foreign []int
	for _, p := range row.Processes {
		if !own(p.PID) {
			foreign = append(foreign, p.PID)
		}
	}
	t.Logf("%s: %d processes listed, %d not the container's own; scope %q, note %q",
		row.Container, len(row.Processes), len(foreign), row.Scope, row.ScopeNote)
	if len(foreign) > 0 && row.ScopeNote == "" {
		t.Errorf("%s lists %d processes that are not the container's own (pids %v) without saying so (scope %q, no scopeNote)",
			key(row.Namespace, row.Pod, row.Container), len(foreign), clipPIDs(foreign), row.Scope)
	}
}

func clipPIDs(p []int) []int {
	if len(p) > 20 {
		return p[:20]
	}
	return p
}

// Scenario 10: shareProcessNamespace (each container must be read as its own main process, not
// the pod's PID 1) and hostPID (the node's processes must not be dumped as the container's).
func TestScenario10SharedPIDs(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "s10")
	spn := `apiVersion: v1
kind: Pod
metadata: {name: spn}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  shareProcessNamespace: true
  containers:
  - {name: a, image: ` + capshImage + `, imagePullPolicy: Never, command: [sleep, "2000001"]}
  - name: b
    image: ` + capshImage + `
    imagePullPolicy: Never
    command: [sleep, "2000002"]
    securityContext: {runAsUser: 1025, capabilities: {drop: [ALL], add: [CHOWN]}}
---
apiVersion: v1
kind: Pod
metadata: {name: hostpid}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  hostPID: true
  containers:
  - {name: main, image: ` + capshImage + `, imagePullPolicy: Never, command: [sleep, "2000003"]}
`
	apply(t, ns, spn)
	waitReady(t, ns, "spn", "hostpid")
	s := show(t, "-n", ns)
	t.Logf("exit %d, rows %v", s.code, s.keys(ns))
	if s.code != 0 {
		t.Errorf("exit code %d, want 0\n%s", s.code, s.result)
	}

	t.Run("shareProcessNamespace", func(t *testing.T) {
		cmds := cmdlines(t, ns, "spn", "a")
		pidA, pidB := pidWithCmdline(cmds, "sleep 2000001"), pidWithCmdline(cmds, "sleep 2000002")
		if pidA == 0 || pidB == 0 {
			t.Fatalf("cannot find both sleeps in the shared PID namespace: %v", cmds)
		}
		for _, c := range []struct {
			ctr  string
			pid  int
			want fiveSets
		}{
			{"a", pidA, sets(none, defaults, defaults, defaults, none)},
			{"b", pidB, sets(none, none, none, chown, none)},
		} {
			gt := truth(t, ns, "spn", c.ctr, c.pid)
			checkTruth(t, "spn/"+c.ctr, gt, c.want)
			row := s.row(t, ns, "spn", c.ctr)
			checkLive(t, row, gt)
			checkExpected(t, row, c.want)
			checkScope(t, row, func(pid int) bool { return pid == c.pid })
		}
		checkFindings(t, s.row(t, ns, "spn", "b"), []string{fNotEffective}, []string{fLiveDiffers})
		checkFindings(t, s.row(t, ns, "spn", "a"), nil, []string{fLiveDiffers})
	})

	t.Run("hostPID", func(t *testing.T) {
		// The test runs on the node, in the PID namespace a hostPID pod shares: find the sleep and
		// its container's cgroup there.
		p := getPod(t, ns, "hostpid")
		id := strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "containerd://")
		pid := hostPIDWithCmdline(t, "sleep\x002000003\x00")
		gt := truth(t, ns, "hostpid", "main", pid)
		checkTruth(t, "hostpid sleep", gt, sets(none, defaults, defaults, defaults, none))
		row := s.row(t, ns, "hostpid", "main")
		checkLive(t, row, gt)
		checkScope(t, row, func(pid int) bool {
			cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
			return err == nil && strings.Contains(string(cg), id)
		})
		if len(row.Processes) > 50 {
			t.Errorf("hostPID: %d processes listed for one sleeping container: the node's processes were dumped", len(row.Processes))
		}
	})
	// hostPID: from the node, only the container's own processes (the host's /proc says which).
	if n := checkNodeMode(t, ns, &s); n.rep != nil {
		if r := n.row(t, ns, "hostpid", "main"); len(r.Processes) != 1 || r.Processes[0].Name != "sleep" {
			t.Errorf("hostPID via node: %d processes, want exactly the container's sleep", len(r.Processes))
		}
	}
}

func hostPIDWithCmdline(t *testing.T, cmdline string) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(d + "/cmdline")
		if err == nil && string(b) == cmdline {
			pid, _ := strconv.Atoi(filepath.Base(d))
			return pid
		}
	}
	t.Fatalf("no process with cmdline %q on the node", cmdline)
	return 0
}
