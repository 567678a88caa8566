package reading

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// diffProcess lists the fields in which two readings differ, one per line.
func diffProcess(want, got Process) string {
	var b strings.Builder
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := 0; i < wv.NumField(); i++ {
		w, g := wv.Field(i).Interface(), gv.Field(i).Interface()
		if w != g {
			fmt.Fprintf(&b, "  %s: want %v, got %v\n", wv.Type().Field(i).Name, w, g)
		}
	}
	return b.String()
}

func ids(n int64) [4]int64 { return [4]int64{n, n, n, n} }

// The VM the samples were captured on lacks CAP_SYS_RESOURCE in its bounding set, as the seed
// scenarios' privileged row shows (000001fffeffffff); kernel threads still hold all 41.
var vmFull = capset.Known.Without(24)

// Each file is described in testdata/README.md with the command that produced it.
func TestParseStatusSamples(t *testing.T) {
	runtimeDefault := capset.RuntimeDefaultContainerd
	tests := []struct {
		file string
		want Process
	}{
		{"status/root-full.txt", Process{PID: 25315, PPID: 25292, Name: "cat", UID: ids(0), GID: ids(0), HasIDs: true,
			Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true}},
		{"status/pid1-in-pidns.txt", Process{PID: 1, Name: "cat", UID: ids(0), GID: ids(0), HasIDs: true,
			Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true}},
		{"status/kthreadd.txt", Process{PID: 2, Name: "kthreadd", UID: ids(0), GID: ids(0), HasIDs: true,
			Prm: capset.Known, Eff: capset.Known, Bnd: capset.Known, HasAmb: true, HasNoNewPrivs: true}},
		{"status/capsh-drop-net-raw.txt", Process{PID: 25320, PPID: 25292, Name: "cat", UID: ids(0), GID: ids(0), HasIDs: true,
			Prm: vmFull.Without(13), Eff: vmFull.Without(13), Bnd: vmFull.Without(13), HasAmb: true, HasNoNewPrivs: true}},
		{"status/no-new-privs.txt", Process{PID: 25321, PPID: 25292, Name: "cat", UID: ids(0), GID: ids(0), HasIDs: true,
			Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true, NoNewPrivs: true, HasNoNewPrivs: true}},
		{"status/runtime-default.txt", Process{PID: 25322, PPID: 25292, Name: "cat", UID: ids(0), GID: ids(0), HasIDs: true,
			Prm: runtimeDefault, Eff: runtimeDefault, Bnd: runtimeDefault, HasAmb: true, HasNoNewPrivs: true}},
		// Seed case 4 on the local cluster: non-root, drop ALL, add SYS_TIME → nothing effective,
		// SYS_TIME only in the bounding set.
		{"status/uid1025-drop-all-add-sys-time.txt", Process{PID: 25323, PPID: 25292, Name: "cat", UID: ids(1025), GID: ids(1025), HasIDs: true,
			Bnd: capset.Of(25), HasAmb: true, HasNoNewPrivs: true}},
		// The one way a non-root process really holds a capability without file caps: ambient.
		{"status/ambient-uid1025.txt", Process{PID: 25324, PPID: 25292, Name: "cat", UID: ids(1025), GID: ids(1025), HasIDs: true,
			Inh: capset.Of(10), Prm: capset.Of(10), Eff: capset.Of(10), Bnd: vmFull, Amb: capset.Of(10), HasAmb: true, HasNoNewPrivs: true}},
		{"status/seccomp-filter.txt", Process{PID: 25329, PPID: 25292, Name: "cat", UID: ids(0), GID: ids(0), HasIDs: true,
			Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true, NoNewPrivs: true, HasNoNewPrivs: true, Seccomp: 2, SeccompFilters: 2}},
		// The kernel escapes "\n" and "\\" in Name; ESC arrives raw. Name is kept as read.
		{"status/hostile-name.txt", Process{PID: 25327, PPID: 25292, Name: "a b\\n\x1b[31mc\\\\d", UID: ids(0), GID: ids(0), HasIDs: true,
			Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true}},
		// Seed case 5: only the Cap lines, as `grep Cap /proc/10/status` shows them.
		{"status/seed5-grep-cap.txt", Process{UID: ids(-1), GID: ids(-1), Seccomp: -1,
			Inh: 0xa82425fb, Prm: 0xa82425fb, Eff: 0xa82425fb, Bnd: 0xa82425fb, HasAmb: true}},
		// A 3.10 kernel (RHEL 7): no CapAmb, no NoNewPrivs, no Seccomp_filters.
		{"status/synthetic-kernel-3.10.txt", Process{PID: 7, PPID: 1, Name: "java", UID: ids(1000), GID: ids(1000), HasIDs: true,
			Inh: runtimeDefault, Bnd: runtimeDefault}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseStatus(readSample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseStatus mismatch:\n%s", diffProcess(tt.want, got))
			}
		})
	}
}

const minimalStatus = "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n"

func TestParseStatusEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		check   func(Process) bool
		wantErr string
	}{
		{name: "minimal", in: minimalStatus,
			check: func(p Process) bool {
				return p.Eff == capset.RuntimeDefaultContainerd && !p.HasIDs && !p.HasAmb && !p.HasNoNewPrivs && p.Seccomp == -1 && p.UID == ids(-1)
			}},
		{name: "CRLF line endings", in: strings.ReplaceAll("Name:\tsh\n"+minimalStatus, "\n", "\r\n"),
			check: func(p Process) bool { return p.Name == "sh" && p.Eff == capset.RuntimeDefaultContainerd }},
		{name: "no trailing newline", in: strings.TrimSuffix(minimalStatus, "\n"),
			check: func(p Process) bool { return p.Bnd == capset.RuntimeDefaultContainerd }},
		{name: "unknown and colon-less lines ignored", in: "Bogus:\tx\ngarbage without colon\n\x00\xff\n" + minimalStatus + "Future_Field:\t1 2 3\n",
			check: func(p Process) bool { return p.Prm == capset.RuntimeDefaultContainerd }},
		{name: "name with spaces, tab and colon", in: "Name:\tmy proc:\tx \n" + minimalStatus,
			check: func(p Process) bool { return p.Name == "my proc:\tx " }},
		{name: "empty name", in: "Name:\t\n" + minimalStatus,
			check: func(p Process) bool { return p.Name == "" }},
		{name: "identical duplicate is fine", in: minimalStatus + "CapEff:\t00000000a80425fb\nPid:\t5\nPid:\t5\n",
			check: func(p Process) bool { return p.PID == 5 }},
		{name: "masks with unknown high bits are kept", in: strings.Replace(minimalStatus, "CapBnd:\t00000000a80425fb", "CapBnd:\t800003ffffffffff", 1),
			check: func(p Process) bool { return p.Bnd == capset.Known|capset.Of(41, 63) }},
		{name: "ids at the 32-bit limit", in: "Uid:\t4294967295\t65534\t0\t1\n" + minimalStatus,
			check: func(p Process) bool {
				return p.UID == [4]int64{4294967295, 65534, 0, 1} && p.HasIDs && p.GID == ids(-1)
			}},
		{name: "seccomp dead mode kept", in: minimalStatus + "Seccomp:\t3\n",
			check: func(p Process) bool { return p.Seccomp == 3 }},

		{name: "empty", in: "", wantErr: "no CapInh line"},
		{name: "not a status", in: "hello\nworld\n", wantErr: "no CapInh line"},
		{name: "missing CapEff", in: strings.Replace(minimalStatus, "CapEff", "CapXXX", 1), wantErr: "no CapEff line"},
		{name: "missing CapBnd", in: strings.Replace(minimalStatus, "CapBnd", "CapXXX", 1), wantErr: "no CapBnd line"},
		{name: "bad hex", in: strings.Replace(minimalStatus, "00000000a80425fb", "00000000a80425fz", 1), wantErr: "line 2: CapPrm"},
		{name: "empty mask", in: strings.Replace(minimalStatus, "\t0000000000000000", "", 1), wantErr: "line 1: CapInh"},
		{name: "mask wider than 64 bits", in: strings.Replace(minimalStatus, "CapEff:\t00000000a80425fb", "CapEff:\t100000000a80425fb", 1), wantErr: "wider than 64 bits"},
		{name: "conflicting duplicate mask", in: minimalStatus + "CapEff:\t000001ffffffffff\n", wantErr: "line 5: CapEff: appears twice with different values"},
		{name: "conflicting duplicate name", in: "Name:\tsh\n" + minimalStatus + "Name:\tbash\n", wantErr: "Name: appears twice"},
		{name: "conflicting duplicate uid", in: "Uid:\t0\t0\t0\t0\n" + minimalStatus + "Uid:\t1\t1\t1\t1\n", wantErr: "Uid: appears twice"},
		{name: "conflicting duplicate pid", in: "Pid:\t1\n" + minimalStatus + "Pid:\t2\n", wantErr: "Pid: appears twice"},
		{name: "conflicting NoNewPrivs", in: "NoNewPrivs:\t0\n" + minimalStatus + "NoNewPrivs:\t1\n", wantErr: "NoNewPrivs: appears twice"},
		{name: "absurd pid", in: "Pid:\t99999999999\n" + minimalStatus, wantErr: "out of range"},
		{name: "negative pid", in: "Pid:\t-1\n" + minimalStatus, wantErr: "not a decimal"},
		{name: "pid overflowing int64", in: "Pid:\t99999999999999999999\n" + minimalStatus, wantErr: "not a decimal"},
		{name: "three uids", in: "Uid:\t0\t0\t0\n" + minimalStatus, wantErr: "has 3 ids, want 4"},
		{name: "five gids", in: "Gid:\t0\t0\t0\t0\t0\n" + minimalStatus, wantErr: "more than 4 ids"},
		{name: "uid beyond 32 bits", in: "Uid:\t4294967296\t0\t0\t0\n" + minimalStatus, wantErr: "out of range"},
		{name: "NoNewPrivs 2", in: minimalStatus + "NoNewPrivs:\t2\n", wantErr: "NoNewPrivs: 2 is out of range"},
		{name: "Seccomp word", in: minimalStatus + "Seccomp:\tfilter\n", wantErr: "not a decimal"},
		{name: "too large", in: minimalStatus + strings.Repeat("x", MaxStatusBytes), wantErr: "more than the 65536 accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatus([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if got != (Process{}) {
					t.Errorf("a failed parse returned a non-zero Process: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Errorf("unexpected result: %+v", got)
			}
		})
	}
}

func TestParseStatusTooLargeIsErrTooLarge(t *testing.T) {
	_, err := ParseStatus(make([]byte, MaxStatusBytes+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

// Errors quote what they show of the input: a container must not reach the terminal through an
// error message.
func TestParseStatusErrorsAreQuoted(t *testing.T) {
	in := "CapEff:\t\x1b]0;pwned\x07" + strings.Repeat("A", 1000) + "\n"
	_, err := ParseStatus([]byte(in))
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.ContainsAny(err.Error(), "\x1b\x07") || len(err.Error()) > 200 {
		t.Errorf("error is not quoted and clipped: %q", err)
	}
}

func TestEffectiveUID(t *testing.T) {
	tests := []struct {
		p    Process
		want int64
		ok   bool
	}{
		{Process{HasIDs: true, UID: [4]int64{1000, 0, 0, 0}}, 0, true},
		{Process{HasIDs: true, UID: [4]int64{1025, -1, -1, -1}}, 1025, true}, // old capsh: real only
		{Process{UID: ids(-1)}, -1, false},
	}
	for _, tt := range tests {
		if got, ok := tt.p.EffectiveUID(); got != tt.want || ok != tt.ok {
			t.Errorf("EffectiveUID(%v) = %d, %v; want %d, %v", tt.p.UID, got, ok, tt.want, tt.ok)
		}
	}
}
