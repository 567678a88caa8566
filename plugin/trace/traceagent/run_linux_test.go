//go:build linux && (amd64 || arm64)

package traceagent

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capstrace"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// The test re-executes its own binary as the traced workload: a real process in a real cgroup
// named like a container's, doing real syscalls as root.
const helperEnv = "TRACEAGENT_TEST_HELPER"

func TestMain(m *testing.M) {
	if id := os.Getenv(agentEnv); id != "" {
		if err := agentProcess(id); err != nil {
			fmt.Fprintln(os.Stderr, "agent:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if procs := os.Getenv(helperEnv); procs != "" {
		if err := workload(procs, os.Getenv("TRACEAGENT_DIR")); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// workload joins the cgroup, then every 50 ms (TRACEAGENT_INTERVAL) chowns a fresh file and
// binds TCP :80 (in its own network namespace), until it is killed.
func workload(procs, dir string) error {
	interval := 50 * time.Millisecond
	if v, err := time.ParseDuration(os.Getenv("TRACEAGENT_INTERVAL")); err == nil {
		interval = v
	}
	if err := os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
		return fmt.Errorf("join cgroup: %w", err)
	}
	fmt.Println("joined")
	for i := 0; ; i++ {
		f := filepath.Join(dir, fmt.Sprintf("f%d", i)) // fresh: rewriting a file of uid 1000 would need DAC_OVERRIDE
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			return err
		}
		if err := os.Chown(f, 1000, 1000); err != nil {
			return err
		}
		if err := os.Remove(f); err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 80}); err != nil {
			return fmt.Errorf("bind :80: %w", err)
		}
		unix.Close(fd)
		time.Sleep(interval)
	}
}

func requireTracing(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF, CAP_PERFMON, CAP_SYSLOG)")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("needs kernel BTF (/sys/kernel/btf/vmlinux)")
	}
}

// containerCgroup makes a cgroup shaped like a kubelet's container leaf,
// /kubectl-caps-test-PID/pod<uid>/<64 hex>, runs the workload in it, and returns the container ID.
func containerCgroup(t testing.TB, env ...string) containerid.ID {
	t.Helper()
	v1, err := capstrace.CgroupV1()
	if err != nil {
		t.Skip(err)
	}
	hex := fmt.Sprintf("%016x", time.Now().UnixNano()) + strings.Repeat("a", 48)
	top := capstrace.CgroupDir("", v1, fmt.Sprintf("/kubectl-caps-test-%d", os.Getpid()))
	dir := filepath.Join(top, "pod0000", hex)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Skipf("cannot create a cgroup: %v", err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"="+filepath.Join(dir, "cgroup.procs"), "TRACEAGENT_DIR="+tmp), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		for i := 0; i < 50; i++ {
			if os.Remove(dir) == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = os.Remove(filepath.Dir(dir))
		if err := os.Remove(top); err != nil && !os.IsNotExist(err) {
			t.Errorf("cgroup %s left behind: %v", top, err)
		}
	})
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "joined\n" {
		t.Fatalf("helper did not join its cgroup: %q %v", buf, err)
	}
	return containerid.ID{Runtime: "containerd", Hex: hex}
}

func names(cs []tracereport.Capability) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Capability)
	}
	return out
}

func TestRunTracesARealContainerCgroup(t *testing.T) {
	requireTracing(t)
	id := containerCgroup(t)
	absent := containerid.ID{Runtime: "containerd", Hex: strings.Repeat("0", 64)}
	var started capcheck.Path
	tr := Run(context.Background(), Options{
		IDs: []containerid.ID{id, absent}, Node: "this-host", For: 1500 * time.Millisecond,
		Started: func(p capcheck.Path, n int, err error) {
			if err != nil || n != 1 {
				t.Errorf("started: %d cgroups, %v", n, err)
			}
			started = p
		},
	})
	if tr.APIVersion != tracereport.APIVersion || tr.Kind != tracereport.Kind || len(tr.Containers) != 2 {
		t.Fatalf("trace %+v", tr)
	}
	c := tr.Containers[0]
	t.Logf("path %s: used %v denied %v noise %d records, notes %q", started, names(c.Used), names(c.Denied), len(c.Records), c.Notes)
	if c.Error != "" || c.Kernel == nil || c.Kernel.Path != string(started) || c.Node != "this-host" || c.ContainerID != id.String() {
		t.Fatalf("row %+v", c)
	}
	if got := strings.Join(names(c.Used), ","); got != "CHOWN,NET_BIND_SERVICE" {
		t.Errorf("used %s, want CHOWN,NET_BIND_SERVICE", got)
	}
	if c.Suggested == nil || strings.Join(c.Suggested.Add, ",") != "CHOWN,NET_BIND_SERVICE" || len(c.Suggested.Reasons) != 2 {
		t.Errorf("suggested %+v", c.Suggested)
	}
	if !strings.Contains(strings.Join(c.Notes, "\n"), "traced cgroup ") {
		t.Errorf("notes do not name the traced cgroup: %q", c.Notes)
	}
	if a := tr.Containers[1]; a.Error == "" || !strings.Contains(a.Error, "is not running on node this-host: no process in /proc/*/cgroup names it") || a.Kernel != nil {
		t.Errorf("absent container: %+v", a)
	}
}

// The kprobe path cannot attach on a kernel without kprobes: forcing it is how a node without a
// usable path is simulated. Here it must give a row that names the path tried.
func TestRunNoKernelPath(t *testing.T) {
	requireTracing(t)
	if _, err := os.Stat("/sys/kernel/tracing/kprobe_events"); err == nil {
		t.Skip("this kernel has kprobes: the forced path would work")
	}
	if _, err := os.Stat("/sys/bus/event_source/devices/kprobe"); err == nil {
		t.Skip("this kernel has the kprobe PMU: the forced path would work")
	}
	id := containerCgroup(t)
	tr := Run(context.Background(), Options{IDs: []containerid.ID{id}, Node: "n", For: time.Second, Path: capcheck.PathKprobe})
	c := tr.Containers[0]
	if !strings.HasPrefix(c.Error, "no usable kernel path on node n (kernel ") || !strings.Contains(c.Error, "kprobe/cap_capable: ") {
		t.Errorf("row %+v", c)
	}
}

// A cancelled context (SIGTERM in the pod) ends the recording early with the summary.
func TestRunEndsEarlyWithTheSummary(t *testing.T) {
	requireTracing(t)
	id := containerCgroup(t)
	ctx, cancel := context.WithCancel(context.Background())
	began := time.Now()
	tr := Run(ctx, Options{IDs: []containerid.ID{id}, For: time.Hour, Started: func(capcheck.Path, int, error) {
		time.AfterFunc(time.Second, cancel)
	}})
	if d := time.Since(began); d > 30*time.Second {
		t.Fatalf("took %s after the cancel", d)
	}
	if c := tr.Containers[0]; c.Error != "" || len(c.Used) == 0 {
		t.Errorf("row %+v", c)
	}
	if tr.Duration == "" || tr.Duration == "1h0m0s" {
		t.Errorf("duration %q", tr.Duration)
	}
}
