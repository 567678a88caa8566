//go:build linux && (amd64 || arm64)

package capstrace

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests re-execute their own binary as the traced workload: TestMain runs helperMain instead
// of the tests when helperEnv is set. The helper is a real process doing real syscalls; nothing is
// simulated.
const helperEnv = "CAPSTRACE_TEST_HELPER"

func TestMain(m *testing.M) {
	if what := os.Getenv(helperEnv); what != "" {
		if err := helperMain(what); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperMain does one job, named by what:
//   - "workload": join the cgroup in CAPSTRACE_CGROUP_PROCS, then as root: chown a file, write a
//     file another uid owns with mode 0600, bind TCP :80, open a raw ICMP socket, drop
//     CAP_SYS_TIME and try settimeofday, and (when CAPSTRACE_OVERLAY is set) read and open files
//     through an overlayfs mounted before joining the cgroup (its set-up is not the workload's).
//     Then the checks every process makes and that are never needs: an execve of a child
//     (security_vm_enough_memory_mm), reading /proc/PID/stat of another uid's process
//     (ns_capable_noaudit from __ptrace_may_access).
//   - "outsider": the same chown, without joining any target cgroup.
//   - "close": start a tracer, close it after 2 s, live 3 s more (for bpftool from outside).
//   - "nosyslog": trace a chown in CAPSTRACE_CGROUP_DIR and print how many frames were named
//     and the symbol note (run without CAP_SYSLOG).
//   - "tracer": start a tracer, print "ready", and wait to be killed.
func helperMain(what string) error {
	switch what {
	case "workload":
		dir := os.Getenv("CAPSTRACE_DIR")
		if ov := os.Getenv("CAPSTRACE_OVERLAY"); ov != "" {
			if err := mountOverlay(ov); err != nil {
				return err
			}
		}
		if err := os.WriteFile(os.Getenv("CAPSTRACE_CGROUP_PROCS"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
		if err := chownFile(filepath.Join(dir, "chowned")); err != nil {
			return err
		}
		if err := writeOthersFile(filepath.Join(dir, "others")); err != nil {
			return err
		}
		if err := bind80(); err != nil {
			return err
		}
		if err := rawSocket(); err != nil {
			return err
		}
		if err := setClockWithoutSysTime(); err != nil {
			return err
		}
		if err := everydayNoise(os.Getenv("CAPSTRACE_OTHER_PID")); err != nil {
			return err
		}
		if ov := os.Getenv("CAPSTRACE_OVERLAY"); ov != "" {
			return useOverlay(ov)
		}
		return nil
	case "outsider":
		return chownFile(filepath.Join(os.Getenv("CAPSTRACE_DIR"), "outsider"))
	case "close": // for a look from outside (bpftool): attached for 2 s, then closed for 3 s
		tr, err := Start(Options{})
		if err != nil {
			return err
		}
		fmt.Println("attached")
		time.Sleep(2 * time.Second)
		if err := tr.Close(); err != nil {
			return err
		}
		fmt.Println("closed")
		time.Sleep(3 * time.Second)
		return nil
	case "nosyslog": // run under capsh --drop=cap_syslog: the note must say why frames have no names
		dir := os.Getenv("CAPSTRACE_DIR")
		id, err := strconv.ParseUint(os.Getenv("CAPSTRACE_CGROUP_ID"), 10, 64)
		if err != nil {
			return err
		}
		tr, err := Start(Options{Cgroups: []uint64{id}})
		if err != nil {
			return err
		}
		defer tr.Close()
		// The paths travel as arguments, never inside the script.
		if out, err := exec.Command("sh", "-c", `echo $$ > "$1"/cgroup.procs && exec chown 1000 "$2"`, "sh", os.Getenv("CAPSTRACE_CGROUP_DIR"), filepath.Join(dir, "f")).CombinedOutput(); err != nil {
			return fmt.Errorf("chown in cgroup: %v: %s", err, out)
		}
		snap, err := tr.Records()
		if err != nil {
			return err
		}
		named := 0
		for _, c := range snap.Checks {
			for _, f := range c.Stack {
				if f.Func != "" {
					named++
				}
			}
		}
		fmt.Printf("checks %d named %d\nnote %s\n", len(snap.Checks), named, snap.SymbolNote)
		return nil
	case "tracer":
		id, err := strconv.ParseUint(os.Getenv("CAPSTRACE_CGROUP_ID"), 10, 64)
		if err != nil {
			return err
		}
		tr, err := Start(Options{Cgroups: []uint64{id}})
		if err != nil {
			return err
		}
		_ = tr // never closed: the test kills this process with SIGKILL
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return errors.New("not killed")
	}
	return fmt.Errorf("unknown helper job %q", what)
}

// everydayNoise execs a child in the cgroup (printing its pid for the test) and reads the stat of
// another uid's process.
func everydayNoise(otherPID string) error {
	child := exec.Command("/bin/true")
	if err := child.Run(); err != nil {
		return fmt.Errorf("exec /bin/true: %w", err)
	}
	fmt.Printf("child %d\n", child.ProcessState.Pid())
	if _, err := os.ReadFile("/proc/" + otherPID + "/stat"); err != nil {
		return fmt.Errorf("read another uid's /proc/PID/stat: %w", err)
	}
	return nil
}

func chownFile(path string) error {
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		return err
	}
	return os.Chown(path, 1000, 1000) // another uid: needs CAP_CHOWN
}

// writeOthersFile opens for writing a file owned by uid 1000 with mode 0600: root gets in only
// with CAP_DAC_OVERRIDE (a real need, unlike a denied probe).
func writeOthersFile(path string) error {
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		return err
	}
	if err := os.Chown(path, 1000, 1000); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write as root a 0600 file of uid 1000: %w", err)
	}
	return f.Close()
}

func bind80() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// INADDR_ANY: the address is valid even with lo down in the helper's own network namespace.
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 80}); err != nil {
		return fmt.Errorf("bind :80: %w", err)
	}
	return nil
}

func rawSocket() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
	if err != nil {
		return fmt.Errorf("raw ICMP socket: %w", err)
	}
	return unix.Close(fd)
}

// setClockWithoutSysTime drops CAP_SYS_TIME from this thread's effective and permitted sets
// (capabilities are per thread), checks that it is gone, and only then calls settimeofday with
// the current time, which must fail with EPERM. Were the drop to fail, the clock is never touched.
func setClockWithoutSysTime() error {
	runtime.LockOSThread() // the thread dies with its changed credentials: never unlocked
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	bit := uint32(1) << unix.CAP_SYS_TIME // 25 < 32: word 0
	data[0].Effective &^= bit
	data[0].Permitted &^= bit
	data[0].Inheritable &^= bit
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("drop CAP_SYS_TIME: %w", err)
	}
	var check [2]unix.CapUserData
	if err := unix.Capget(&hdr, &check[0]); err != nil {
		return err
	}
	if check[0].Effective&bit != 0 {
		return errors.New("CAP_SYS_TIME still effective after capset: not calling settimeofday")
	}
	var tv unix.Timeval
	if err := unix.Gettimeofday(&tv); err != nil {
		return err
	}
	if err := unix.Settimeofday(&tv); !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("settimeofday without CAP_SYS_TIME: %v, want EPERM", err)
	}
	return nil
}

// mountOverlay mounts an overlayfs at root/merged from root/{lower,upper,work}, in the helper's
// own mount namespace (the test starts it with CLONE_NEWNS), before it joins the target cgroup.
func mountOverlay(root string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	opts := fmt.Sprintf("lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", root, root, root)
	if err := unix.Mount("overlay", root+"/merged", "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay: %w", err)
	}
	return nil
}

// useOverlay reads a lower file owned by uid 1000 through the overlay (overlayfs opens the real
// file with the mounter's credentials) and writes a new file (copy-up of the directory).
func useOverlay(root string) error {
	b, err := os.ReadFile(root + "/merged/lowerfile")
	if err != nil || string(b) != "lower" {
		return fmt.Errorf("read through overlay: %q, %v", b, err)
	}
	return os.WriteFile(root+"/merged/sub/new", []byte("upper"), 0o644)
}

// startHelper runs this test binary as a helper job.
func startHelper(t *testing.T, job string, env []string, attr *syscall.SysProcAttr) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"="+job), env...)
	cmd.SysProcAttr = attr
	return cmd
}

// runHelper runs a helper job to its end and returns its pid and the pids of the children it
// reported ("child PID" lines).
func runHelper(t *testing.T, job string, env []string, attr *syscall.SysProcAttr) (int, []int) {
	t.Helper()
	cmd := startHelper(t, job, env, attr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s: %v\n%s%s", job, err, out, stderr.String())
	}
	var children []int
	for _, line := range strings.Split(string(out), "\n") {
		if pid, ok := strings.CutPrefix(line, "child "); ok {
			n, err := strconv.Atoi(pid)
			if err != nil {
				t.Fatalf("helper said %q", line)
			}
			children = append(children, n)
		}
	}
	return cmd.ProcessState.Pid(), children
}

// otherUIDProcess runs a process as uid 65534 outside every target cgroup until the test ends.
func otherUIDProcess(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

// requireTracing skips unless this machine can load the program: root and kernel BTF.
func requireTracing(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF, CAP_PERFMON, CAP_SYSLOG)")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("needs kernel BTF (/sys/kernel/btf/vmlinux)")
	}
}

// testCgroup creates a real cgroup for the workload (v1: in the memory hierarchy; v2: under the
// root) and removes it at the end. It returns its directory and id.
func testCgroup(t testing.TB) (string, uint64) {
	t.Helper()
	v1, err := CgroupV1()
	if err != nil {
		t.Skip(err)
	}
	dir := CgroupDir("", v1, fmt.Sprintf("kubectl-caps-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a cgroup: %v", err)
	}
	t.Cleanup(func() {
		// The helpers have exited; a cgroup without tasks can be removed. Retry briefly: the
		// kernel frees an exited task's cgroup reference asynchronously.
		for i := 0; i < 50; i++ {
			if err := os.Remove(dir); err == nil || os.IsNotExist(err) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("cgroup %s left behind", dir)
	})
	id, err := CgroupID(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, id
}

// ownCgroup is this process's cgroup path in the hierarchy the program reads.
func ownCgroup(v1 bool) (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if (v1 && strings.Split(f[1], ",")[0] == "memory") || (!v1 && f[0] == "0" && f[1] == "") {
			return f[2], nil
		}
		for _, c := range strings.Split(f[1], ",") {
			if v1 && c == "memory" {
				return f[2], nil
			}
		}
	}
	return "", errors.New("own cgroup not found in /proc/self/cgroup")
}
