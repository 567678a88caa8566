package fakeagent

import (
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/agentpod"
	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// Traced is what one fake node's kernel counted for a container ID, as the checks its cgroup
// made; nil means the container does not run there.
type Traced func(node, id string) []capcheck.Check

// TracePodFunc is a fakeapi.PodFunc for trace agent pods (mode "trace"): it stands in for the
// agent's recording in the node's kernel, which cannot run in a unit test (package traceagent is
// tested on real processes in real cgroups, and the e2e suite runs the real agent). The agent
// runs for its --for (scaled by o.Read when set, so tests need not wait), then prints the trace
// tracereport builds from the checks; deleted with a grace period (an interrupt) it prints the
// same trace at once, as the real agent does on SIGTERM. path "" is a node with no usable kernel
// path.
func TracePodFunc(n Traced, path func(node string) capcheck.Path, o Options) fakeapi.PodFunc {
	return func(pod *corev1.Pod) fakeapi.PodRun {
		if pod.Labels[agentpod.LabelMode] != "trace" || len(pod.Spec.Containers) == 0 {
			return fakeapi.PodRun{Start: time.Hour}
		}
		node := pod.Spec.NodeName
		if o.Fail != nil {
			if r, fail := o.Fail(node); fail {
				return r
			}
		}
		args := pod.Spec.Containers[0].Args
		d := o.Read
		if d == 0 {
			d, _ = time.ParseDuration(flagValue(args, "--for"))
		}
		tr := TraceDocument(node, IDs(args), path(node), d, n)
		b, _ := json.Marshal(tr)
		stop := TraceDocument(node, IDs(args), path(node), d/2, n)
		sb, _ := json.Marshal(stop)
		code := int32(0)
		for _, c := range tr.Containers {
			if c.Error != "" {
				code = 2
			}
		}
		return fakeapi.PodRun{Start: o.Start, Run: d, Log: append(b, '\n'), StopLog: append(sb, '\n'), ExitCode: code}
	}
}

// TraceDocument is the trace the real agent would print for ids on node.
func TraceDocument(node string, ids []string, path capcheck.Path, d time.Duration, n Traced) *tracereport.Trace {
	tr := tracereport.New()
	tr.Duration = d.String()
	for _, id := range ids {
		meta := tracereport.Meta{ContainerID: id, Node: node, Release: "6.18.0", Cgroup: "v1"}
		checks := n(node, id)
		switch {
		case checks == nil:
			tr.Containers = append(tr.Containers, tracereport.Failed(meta, "container "+id[:26]+" is not running on node "+node+": no process in /proc/*/cgroup names it"))
		case path == "":
			tr.Containers = append(tr.Containers, tracereport.Failed(meta, "no usable kernel path on node "+node+" (kernel 6.18.0): no kernel path to trace capability checks (tp_btf/cap_capable: load: not supported; kprobe/cap_capable: attach: not supported)"))
		default:
			snap := capcheck.Snapshot{Path: path, Arch: "amd64", Checks: checks}
			tr.Containers = append(tr.Containers, tracereport.Summarize(meta, snap, checks))
		}
	}
	return tr
}

func flagValue(args []string, name string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name {
			return args[i+1]
		}
	}
	return ""
}

// WorkerChecks are the checks test/e2e/images/capworker makes in a few rounds, as the kernel
// counted them on the e2e cluster (root, the runtime's defaults): CHOWN and NET_BIND_SERVICE
// used, SYS_TIME refused, overlayfs's and the Go runtime's checks as noise. cgroup is the
// container's cgroup id.
func WorkerChecks(cgroup uint64, tgid uint32) []capcheck.Check {
	chk := func(c capset.Cap, denied bool, sys int, flags capcheck.Flags, n uint64, fns ...string) capcheck.Check {
		return capcheck.Check{CgroupID: cgroup, TGID: tgid, Comm: "capworker", Cap: c, Denied: denied, Syscall: sys, Flags: flags, Count: n, Stack: frames(fns...)}
	}
	return []capcheck.Check{
		chk(0, false, 260, 0, 10, "capable_wrt_inode_uidgid", "setattr_prepare", "notify_change", "chown_common"),                    // CHOWN, fchownat
		chk(10, false, 49, 0, 5, "ns_capable", "__inet_bind", "inet_bind_sk", "__sys_bind"),                                          // NET_BIND_SERVICE, bind
		chk(25, true, 164, 0, 5, "capable", "cap_settime", "security_settime64", "do_sys_settimeofday64"),                            // SYS_TIME, settimeofday
		chk(21, false, 257, capcheck.BorrowedCred, 3, "capable", "xattr_permission", "vfs_getxattr", "ovl_xattr_get"),                // overlayfs
		chk(0, false, 260, capcheck.BorrowedCred, 10, "capable_wrt_inode_uidgid", "setattr_prepare", "notify_change", "ovl_setattr"), // overlayfs copy-up
		chk(21, false, 9, 0, 40, "security_vm_enough_memory_mm", "__mmap_region", "do_mmap"),                                         // mmap
	}
}

// frames is a kernel stack innermost first, behind the tracer's own frames.
func frames(fns ...string) []capcheck.Frame {
	all := append([]string{"bpf_prog_6deef7357e7b4530_on_cap_capable", "bpf_trace_run5", "cap_capable", "security_capable"}, fns...)
	out := make([]capcheck.Frame, len(all))
	for i, fn := range all {
		out[i] = capcheck.Frame{Addr: 0xffffffff81000000 + uint64(i)<<12, Func: fn, Offset: uint64(0x10 + i)}
	}
	return out
}
