package probe

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

// shells the probe must work in: busybox (most small images), dash (Debian's sh), bash.
func shells(t *testing.T) [][]string {
	var out [][]string
	for _, s := range [][]string{{"busybox", "sh"}, {"dash"}, {"bash", "--posix"}} {
		if _, err := exec.LookPath(s[0]); err == nil {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Skip("no POSIX shell on this machine")
	}
	return out
}

// TestProbeReadsRealProcesses runs the real probe script in real shells and checks what it reports
// for a real process started with a reduced bounding set, against that process's own
// /proc/PID/status read directly.
func TestProbeReadsRealProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	capsh, err := exec.LookPath("capsh")
	if err != nil {
		t.Skip("capsh (libcap2-bin) not installed")
	}
	// A process whose bounding set lacks NET_RAW (capsh --drop needs CAP_SETPCAP: root only).
	child := exec.Command(capsh, "--drop=cap_net_raw", "--", "-c", "exec sleep 60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	pid := child.Process.Pid
	var want reading.Process
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err == nil && bytes.Contains(b, []byte("Name:\tsleep")) {
			if want, err = reading.ParseStatus(b); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Skipf("child did not exec sleep (not root?): %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if want.Bnd.Has(13) {
		t.Skip("capsh could not drop NET_RAW (not root?)")
	}
	for _, sh := range shells(t) {
		t.Run(sh[0], func(t *testing.T) {
			args := append(append([]string{}, sh[1:]...), "-c", shellScript)
			out, err := exec.Command(sh[0], args...).Output()
			if err != nil {
				t.Fatalf("%v: %v", sh, err)
			}
			o, err := Parse(reading.MethodProc, out)
			if err != nil {
				t.Fatal(err)
			}
			// Problems are allowed only for processes that have exited since (another test's
			// short-lived process); the output itself must be complete.
			if probs := problemsOfLiveProcesses(o.Problems); o.Truncated || len(probs) > 0 {
				t.Errorf("truncated=%v problems=%q", o.Truncated, probs)
			}
			if o.Scope != "cgroup" {
				t.Errorf("scope %q, want cgroup filtering", o.Scope)
			}
			if o.PortStart == nil {
				t.Errorf("ip_unprivileged_port_start not read")
			}
			var got *reading.Process
			for i := range o.Procs {
				if o.Procs[i].PID == pid {
					got = &o.Procs[i]
				}
				if o.Procs[i].Name == sh[0] && o.Procs[i].PPID == os.Getpid() {
					t.Errorf("the probe's own shell (pid %d) is listed", o.Procs[i].PID)
				}
			}
			if got == nil {
				t.Fatalf("pid %d not in the probe's output (%d processes)", pid, len(o.Procs))
			}
			if got.Bnd != want.Bnd || got.Eff != want.Eff || got.UID != want.UID || got.NoNewPrivs != want.NoNewPrivs {
				t.Errorf("probe read bnd=%v eff=%v, /proc says bnd=%v eff=%v", got.Bnd.Names(), got.Eff.Names(), want.Bnd.Names(), want.Eff.Names())
			}
			if len(o.Sockets) == 0 && fileExists("/proc/net/tcp") {
				t.Logf("no sockets read (none open?)")
			}
		})
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestParseShellOutput(t *testing.T) {
	// Real output of the probe in the "web" container of a shareProcessNamespace pod on the local
	// cluster: busybox httpd on :80 as root, sleep as root, sleep as uid 2000 with ambient
	// NET_BIND_SERVICE, next to a "side" container and the pause process (the 2 "others").
	data, err := os.ReadFile(filepath.Join("testdata", "shared-web.out"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := Parse(reading.MethodProc, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Procs) != 4 || o.Scope != "cgroup" || o.Others != 2 || o.PortStart == nil || *o.PortStart != 1024 || o.Truncated {
		t.Fatalf("got %d procs scope=%s others=%d port=%v truncated=%v", len(o.Procs), o.Scope, o.Others, o.PortStart, o.Truncated)
	}
	p := o.Procs[3]
	if p.PID != 21 || p.UID[0] != 2000 || p.Eff != capset.Of(10) || p.Amb != capset.Of(10) {
		t.Errorf("pid 21: %+v", p)
	}
	listening := 0
	for _, s := range o.Sockets {
		if s.Listening {
			listening++
		}
	}
	if listening != 1 {
		t.Errorf("want the one listening socket on :80, got %+v", o.Sockets)
	}
}

func TestParseDefensive(t *testing.T) {
	header := "@@kubectl-caps 1\n"
	tests := []struct {
		name      string
		in        string
		wantErr   bool
		truncated bool
		procs     int
		clean     bool // no problems reported
	}{
		{name: "not our script", in: "sh: syntax error\n", wantErr: true},
		{name: "no end marker is truncated", in: header + "@@pid 1\n" + status(1), truncated: true, procs: 1},
		{name: "bad pid markers are skipped", in: header + "@@pid -3\n@@pid x\n@@pid 2\n" + status(2) + "@@end\n", procs: 1},
		{name: "one bad status does not lose the others", in: header + "@@pid 1\nCapEff:\tzz\n@@pid 2\n" + status(2) + "@@end\n", procs: 1},
		{name: "every status bad is an error", in: header + "@@pid 1\nCapEff:\tzz\n@@end\n", wantErr: true},
		{name: "a megabyte line", in: header + "@@pid 1\n" + strings.Repeat("A", 1<<20) + "\n" + status(1) + "@@end\n", truncated: true},
		{name: "absurd portstart ignored", in: header + "@@portstart 99999999999\n@@pid 1\n" + status(1) + "@@end\n", procs: 1},
		{name: "a process gone before its status was read", in: header + "@@pid 7\n@@pid 2\n" + status(2) + "@@end\n", procs: 1, clean: true},
		{name: "unknown net table ignored", in: header + "@@pid 1\n" + status(1) + "@@net ../../etc\nx\n@@end\n", procs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Parse(reading.MethodProc, []byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if o.Truncated != tt.truncated || (tt.procs > 0 && len(o.Procs) != tt.procs) || (tt.clean && len(o.Problems) > 0) {
				t.Errorf("truncated=%v procs=%d problems=%q", o.Truncated, len(o.Procs), o.Problems)
			}
		})
	}
}

func TestParseManyProcessesIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("@@kubectl-caps 1\n")
	for i := 1; i <= MaxProcs+50; i++ {
		b.WriteString("@@pid " + strconv.Itoa(i) + "\n" + status(i))
	}
	b.WriteString("@@end\n")
	o, err := Parse(reading.MethodProc, []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Procs) != MaxProcs || !o.Truncated {
		t.Errorf("procs=%d truncated=%v, want %d and truncated", len(o.Procs), o.Truncated, MaxProcs)
	}
	// Said once, not once per process beyond the bound.
	if n := strings.Count(strings.Join(o.Problems, "\n"), "more than 10000 processes"); n != 1 {
		t.Errorf("the bound is mentioned %d times in %q, want once", n, o.Problems)
	}
}

func TestParsePID1(t *testing.T) {
	o, err := Parse(reading.MethodPID1, []byte(status(1)+"0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if o.PortStart == nil || *o.PortStart != 0 || len(o.Procs) != 1 || o.Procs[0].Eff != 0xa80425fb {
		t.Errorf("got %+v", o)
	}
}

func status(pid int) string {
	p := strconv.Itoa(pid)
	return "Name:\tsleep\nPid:\t" + p + "\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n" +
		"CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n" +
		"CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n"
}

func TestCommandsAreConstant(t *testing.T) {
	// The probe must never carry data from the cluster: each method's argv is fixed.
	for _, m := range Methods {
		a, b := Command(m), Command(m)
		if len(a) == 0 || strings.Join(a, "\x00") != strings.Join(b, "\x00") {
			t.Errorf("%s: command not constant: %q", m, a)
		}
	}
}

// problemsOfLiveProcesses drops problems about processes that no longer exist: on a busy machine
// the script shares its cgroup with processes that exit while it reads their status, and a status
// cut short by an exit is reported as a problem, honestly.
func problemsOfLiveProcesses(problems []string) []string {
	var out []string
	for _, p := range problems {
		var pid int
		if _, err := fmt.Sscanf(p, "pid %d:", &pid); err == nil {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}
