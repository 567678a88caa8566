package printer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

func traceFrames(fns ...string) []capcheck.Frame {
	all := append([]string{"bpf_prog_6deef7357e7b4530_on_cap_capable", "bpf_trace_run5", "cap_capable", "security_capable"}, fns...)
	out := make([]capcheck.Frame, len(all))
	for i, fn := range all {
		out[i] = capcheck.Frame{Addr: 0xffffffff81000000 + uint64(i)<<12, Func: fn, Offset: uint64(0x10 + i)}
	}
	return out
}

// sampleTrace: the e2e workload's checks (CHOWN and NET_BIND_SERVICE used, SYS_TIME refused,
// overlayfs and mmap noise) from a process whose name carries escape sequences, a container on a
// node without a kernel path, and a container traced on the kprobe path with nothing to report.
func sampleTrace() *tracereport.Trace {
	chk := func(c capset.Cap, denied bool, sys int, flags capcheck.Flags, n uint64, fns ...string) capcheck.Check {
		return capcheck.Check{CgroupID: 7, TGID: 4242, Comm: "capworker\x1b]0;pwned\x07", Cap: c, Denied: denied, Syscall: sys, Flags: flags, Count: n, Stack: traceFrames(fns...)}
	}
	checks := []capcheck.Check{
		chk(0, false, 260, 0, 10, "capable_wrt_inode_uidgid", "setattr_prepare", "notify_change"),
		chk(10, false, 49, 0, 5, "ns_capable", "__inet_bind", "__sys_bind"),
		chk(25, true, 164, 0, 5, "capable", "cap_settime", "security_settime64"),
		chk(21, false, 257, capcheck.BorrowedCred, 3, "capable", "xattr_permission", "vfs_getxattr", "ovl_xattr_get"),
		chk(21, false, 9, 0, 40, "security_vm_enough_memory_mm", "__mmap_region", "do_mmap"),
	}
	snap := capcheck.Snapshot{Path: capcheck.PathTracepoint, Arch: "amd64", Checks: checks}
	tr := tracereport.New()
	tr.Duration = "1m0s"
	tr.Containers = []tracereport.Container{
		tracereport.Summarize(tracereport.Meta{Namespace: "shop", Pod: "web-0", Container: "app", Node: "node-1", Release: "6.18.0", Cgroup: "v1"}, snap, checks),
		tracereport.Failed(tracereport.Meta{Namespace: "shop", Pod: "web-1", Container: "app", Node: "node-2"}, "no usable kernel path on node node-2 (kernel 5.4.0): no kernel path to trace capability checks (tp_btf/cap_capable: load: not supported; kprobe/cap_capable: attach: not supported)"),
		tracereport.Summarize(tracereport.Meta{Namespace: "shop", Pod: "db-0", Container: "db", Node: "node-3", Release: "6.1.0", Cgroup: "v2"}, capcheck.Snapshot{Path: capcheck.PathKprobe, Arch: "amd64"}, nil),
		tracereport.Failed(tracereport.Meta{Namespace: "shop", Pod: "omitted", Container: "app", Node: "node-4"}, "said elsewhere"),
	}
	return tr
}

func TestTraceTables(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    TraceOptions
	}{
		{"trace.golden", TraceOptions{Omit: map[int]bool{3: true}}},
		{"trace-wide.golden", TraceOptions{Wide: true, WithNamespace: true, Omit: map[int]bool{3: true}}},
	} {
		var b bytes.Buffer
		if err := TraceTable(&b, sampleTrace(), tc.o); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(b.String(), "\x1b\x07") {
			t.Errorf("%s: control characters reach the terminal", tc.name)
		}
		golden(t, tc.name, b.Bytes())
	}
}

func TestTraceTableAllOmitted(t *testing.T) {
	var b bytes.Buffer
	if err := TraceTable(&b, sampleTrace(), TraceOptions{Omit: map[int]bool{0: true, 1: true, 2: true, 3: true}}); err != nil || b.Len() != 0 {
		t.Errorf("%v %q: nothing to print when every row is said elsewhere", err, b.String())
	}
}

// The JSON is the CapabilityTrace kind, read back by harden --evidence.
func TestTraceJSONRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := TraceJSON(&b, sampleTrace()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Error("raw escape in JSON")
	}
	tr, err := tracereport.Decode(&b)
	if err != nil || len(tr.Containers) != 4 || tr.Containers[0].Suggested == nil || strings.Join(tr.Containers[0].Suggested.Add, ",") != "CHOWN,NET_BIND_SERVICE" {
		t.Fatalf("%v %+v", err, tr)
	}
	var y bytes.Buffer
	if err := TraceYAML(&y, sampleTrace()); err != nil || !strings.Contains(y.String(), "kind: CapabilityTrace\n") {
		t.Errorf("%v\n%s", err, y.String())
	}
}
