package tracereport

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

func frames(fns ...string) []capcheck.Frame {
	all := append([]string{"bpf_prog_89034057f967047a_on_cap_capable", "bpf_trace_run5", "cap_capable", "security_capable"}, fns...)
	out := make([]capcheck.Frame, len(all))
	for i, fn := range all {
		out[i] = capcheck.Frame{Addr: 0xffffffff81000000 + uint64(i)<<12, Func: fn, Offset: uint64(0x10 + i)}
	}
	return out
}

func mustCap(name string) capset.Cap {
	c, err := capset.ParseName(name)
	if err != nil {
		panic(err)
	}
	return c
}

// sample is the real container of the notes (app as root, chown/bind/raw socket/settimeofday,
// overlayfs, runc's set-up), two cgroups: the app's (7) and another container's (8).
func sample() capcheck.Snapshot {
	chk := func(comm string, tgid, uid uint32, cap string, denied bool, sys int, flags capcheck.Flags, n uint64, st []capcheck.Frame) capcheck.Check {
		return capcheck.Check{CgroupID: 7, TGID: tgid, UID: uid, Comm: comm, Cap: mustCap(cap), Denied: denied, Syscall: sys, Flags: flags, Count: n, Stack: st}
	}
	return capcheck.Snapshot{
		Path: capcheck.PathTracepoint, Arch: "amd64",
		Checks: []capcheck.Check{
			chk("app", 4242, 0, "CHOWN", false, 260, 0, 30, frames("capable_wrt_inode_uidgid", "setattr_prepare", "ovl_setattr", "notify_change")),
			chk("app", 4242, 0, "NET_BIND_SERVICE", false, 49, 0, 30, frames("ns_capable", "__inet_bind", "__sys_bind")),
			chk("app", 4242, 0, "NET_RAW", false, 41, 0, 30, frames("ns_capable", "inet_create", "__sock_create")),
			chk("app", 4242, 0, "SYS_TIME", true, 164, 0, 30, frames("capable", "cap_settime", "security_settime64")),
			chk("app", 4242, 0, "SYS_ADMIN", false, 257, capcheck.BorrowedCred, 120, frames("capable", "xattr_permission", "vfs_getxattr", "ovl_xattr_get")),
			chk("app", 4242, 0, "FOWNER", false, 257, capcheck.BorrowedCred, 60, frames("capable_wrt_inode_uidgid", "inode_owner_or_capable", "ovl_open_realfile")),
			chk("app", 4242, 0, "DAC_OVERRIDE", false, 257, 0, 2, frames("capable_wrt_inode_uidgid", "generic_permission", "inode_permission")),
			chk("sh\x1b[31m", 4300, 1000, "DAC_READ_SEARCH", true, 4, 0, 5, frames("capable_wrt_inode_uidgid", "generic_permission", "inode_permission")),
			chk("app", 4242, 0, "SYS_ADMIN", false, 9, 0, 400, frames("security_vm_enough_memory_mm", "__mmap_region", "do_mmap")),
			chk("app", 4242, 0, "SYS_PTRACE", false, 0, 0, 12, frames("ns_capable_noaudit", "__ptrace_may_access", "ptrace_may_access", "do_task_stat")),
			chk("runc:[2:INIT]", 4242, 0, "SYS_ADMIN", false, 165, 0, 72, frames("ns_capable", "path_mount", "__x64_sys_mount")),
			chk("runc:[2:INIT]", 4242, 0, "SETPCAP", false, 157, 0, 54, frames("capable", "cap_task_prctl", "__do_sys_prctl")),
			{CgroupID: 8, TGID: 9999, Comm: "other", Cap: mustCap("SYS_MODULE"), Syscall: 175, Count: 1},
		},
	}
}

func TestSummarizeNotesContainer(t *testing.T) {
	snap := sample()
	c := Summarize(Meta{Namespace: "ns", Pod: "p", Container: "app"}, snap, ForCgroups(snap, 7))
	var used, denied, noise []string
	for _, u := range c.Used {
		used = append(used, u.Capability)
	}
	for _, d := range c.Denied {
		denied = append(denied, d.Capability)
	}
	for _, n := range c.Noise {
		noise = append(noise, n.Reason+"="+strings.Join(n.Capabilities, ","))
	}
	if want := []string{"CHOWN", "DAC_OVERRIDE", "NET_BIND_SERVICE", "NET_RAW"}; !reflect.DeepEqual(used, want) {
		t.Errorf("used = %v, want %v", used, want)
	}
	if want := []string{"SYS_TIME"}; !reflect.DeepEqual(denied, want) {
		t.Errorf("denied = %v, want %v", denied, want)
	}
	if want := []string{"non-auditing=SYS_PTRACE,SYS_ADMIN", "borrowed-credentials=FOWNER,SYS_ADMIN", "runtime-setup=SETPCAP,SYS_ADMIN", "path-probing=DAC_READ_SEARCH"}; !reflect.DeepEqual(noise, want) {
		t.Errorf("noise = %v, want %v", noise, want)
	}
	if want := []string{"CHOWN", "DAC_OVERRIDE", "NET_BIND_SERVICE", "NET_RAW"}; c.Suggested == nil || !reflect.DeepEqual(c.Suggested.Add, want) || !reflect.DeepEqual(c.Suggested.Drop, []string{"ALL"}) {
		t.Errorf("suggested = %+v", c.Suggested)
	}
	if f := Failed(Meta{Pod: "p"}, "no kernel path"); f.Suggested != nil || f.Error == "" {
		t.Errorf("a container not traced suggests %+v", f.Suggested)
	}
	for _, r := range c.Records {
		if r.Comm == "other" {
			t.Error("a check of another cgroup is in the container's records")
		}
		if strings.ContainsRune(r.Comm, 0x1b) {
			t.Errorf("comm not sanitized: %q", r.Comm)
		}
	}
}

func TestGoldenJSON(t *testing.T) {
	snap := sample()
	tr := New()
	tr.Duration = "1m0s"
	tr.Containers = append(tr.Containers,
		Summarize(Meta{Namespace: "caps-e2e", Pod: "worker-5d8f", Container: "app", ContainerID: "containerd://" + strings.Repeat("ab", 32), Node: "node-1", Release: "6.18.44", Cgroup: "v1"}, snap, ForCgroups(snap, 7)),
		Failed(Meta{Namespace: "caps-e2e", Pod: "worker-old", Container: "app", Node: "node-2"}, "node node-2: no kernel path to trace capability checks (tp_btf/cap_capable: load: no BTF type btf_trace_cap_capable; kprobe/cap_capable: attach: kprobes are not supported)"),
	)
	got, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "trace.json.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("JSON differs from %s (run with -update if intended):\n%s", path, got)
	}
	// harden --evidence reads it back unchanged.
	back, err := Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, tr) {
		t.Error("Decode(golden) differs from the trace that wrote it")
	}
}

func TestDecodeRefusesOtherKinds(t *testing.T) {
	for _, in := range []string{
		`{"apiVersion":"caps.kubectl.io/v1alpha1","kind":"CapabilityReport","containers":[]}`,
		`{"apiVersion":"caps.kubectl.io/v2","kind":"CapabilityTrace","containers":[]}`,
		`not json`,
	} {
		if _, err := Decode(strings.NewReader(in)); err == nil {
			t.Errorf("Decode(%s) accepted it", in)
		}
	}
}
