//go:build linux

package hostscan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
)

// TestReadRealProcesses runs real processes in real cgroups whose directory names are container
// IDs in containerd's cgroupfs layout (<hierarchy>/.../kubepods/besteffort/pod<uid>/<64hex>), and
// reads them with Read as the agent would: one as root, one as uid 1025 running a copy of busybox
// with the file capability cap_net_bind_service+ep and listening on port 81 in a network namespace
// of its own whose ip_unprivileged_port_start is 555, one running a copy with a namespaced (v3)
// file capability, one in a container that was not asked about, and a requested ID with no process.
// It needs root, setcap, setpriv, unshare and busybox; it says what is missing and skips otherwise.
func TestReadRealProcesses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes cgroups, sets file capabilities, changes uid")
	}
	for _, tool := range []string{"setcap", "setpriv", "unshare", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	base := writableCgroup(t)
	ids := []string{randomHex(t), randomHex(t), randomHex(t), randomHex(t)}
	podDir := filepath.Join(base, "kubectl-caps-hostscan-"+ids[0][:8], "kubepods", "besteffort", "pod1b5e1a9c-1c7d-4bd8-9f6a-0c2a7d3e5f10")
	for _, id := range ids {
		mkdir(t, filepath.Join(podDir, id))
	}
	t.Cleanup(func() {
		for _, id := range ids {
			os.Remove(filepath.Join(podDir, id))
		}
		for d := podDir; d != base && strings.HasPrefix(d, base); d = filepath.Dir(d) {
			os.Remove(d)
		}
	})

	// Executables readable by uid 1025: a 0755 directory outside t.TempDir (which is 0700).
	bin, err := os.MkdirTemp("/tmp", "hostscan-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(bin) })
	os.Chmod(bin, 0o755)
	bb, _ := exec.LookPath("busybox")
	// busybox picks its applet from the file name.
	mkdir(t, filepath.Join(bin, "netbind"))
	mkdir(t, filepath.Join(bin, "ns"))
	capBB := copyFile(t, bb, filepath.Join(bin, "netbind", "nc"))
	nsBB := copyFile(t, bb, filepath.Join(bin, "ns", "sleep"))
	run(t, "setcap", "cap_net_bind_service+ep", capBB)
	run(t, "setcap", "-n", "100000", "cap_net_bind_service+ep", nsBB)

	join := func(id string) string { return "echo $$ > " + filepath.Join(podDir, id, "cgroup.procs") + " && " }
	rootSleep := start(t, "sh", "-c", join(ids[0])+"exec sleep 300")
	listener := start(t, "unshare", "-n", "sh", "-c",
		"echo 555 > /proc/sys/net/ipv4/ip_unprivileged_port_start && busybox ip link set lo up && "+join(ids[0])+
			"exec setpriv --reuid 1025 --regid 1025 --clear-groups "+capBB+" -l -p 81")
	v3 := start(t, "sh", "-c", join(ids[1])+"exec setpriv --reuid 1026 --regid 1026 --clear-groups "+nsBB+" 300")
	other := start(t, "sh", "-c", join(ids[2])+"exec sleep 300")

	// Wait until the listener has exec'd and bound (its cgroup and name are set before).
	var doc *nodereading.Document
	var opts Options
	for _, id := range []string{ids[0], ids[1], ids[3]} {
		cid, err := containerid.Parse("containerd://" + id)
		if err != nil {
			t.Fatal(err)
		}
		opts.IDs = append(opts.IDs, cid)
	}
	opts.Node, opts.Version = "test-node", "test"
	deadline := time.Now().Add(10 * time.Second)
	for {
		doc = Read(context.Background(), opts)
		if p := find(doc, listener); p != nil && p.Name == "nc" && len(p.Sockets) > 0 && find(doc, v3) != nil && find(doc, v3).Exe == nsBB {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes never showed up as expected: %+v", doc)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if doc.Error != "" || doc.Kind != nodereading.Kind || doc.Node != "test-node" {
		t.Fatalf("document: %+v", doc)
	}
	if len(doc.Containers) != 3 {
		t.Fatalf("%d containers, want the 3 requested", len(doc.Containers))
	}
	if got := pids(doc.Containers[0]); fmt.Sprint(got) != fmt.Sprint(sorted(rootSleep, listener)) {
		t.Errorf("container 0 processes %v, want exactly %v", got, sorted(rootSleep, listener))
	}
	if got := pids(doc.Containers[1]); fmt.Sprint(got) != fmt.Sprint([]int{v3}) {
		t.Errorf("container 1 processes %v, want exactly [%d]", got, v3)
	}
	if len(doc.Containers[2].Processes) != 0 {
		t.Errorf("the container with no process lists %v", pids(doc.Containers[2]))
	}
	if find(doc, other) != nil || find(doc, os.Getpid()) != nil {
		t.Errorf("a process of a container that was not asked about (or the test itself) is described")
	}
	if doc.Others < 2 || doc.Scanned < doc.Others+3 {
		t.Errorf("scanned %d, others %d", doc.Scanned, doc.Others)
	}

	// The root sleep: root's capabilities, no file capabilities, the host's network namespace.
	rs := find(doc, rootSleep)
	if rs.UID[1] != 0 || rs.FileCaps != nil || rs.ExeError != "" || !strings.HasSuffix(rs.Exe, "/sleep") {
		t.Errorf("root sleep: %+v", rs)
	}

	// The listener: uid 1025, NET_BIND_SERVICE from the file, its socket on port 81, port start 555.
	l := find(doc, listener)
	st, err := l.Status()
	if err != nil {
		t.Fatal(err)
	}
	nbs := capset.Of(10)
	if st.UID[1] != 1025 || st.Eff != nbs || st.Prm != nbs {
		t.Errorf("listener: uid %v eff %s prm %s, want 1025 and NET_BIND_SERVICE", st.UID, st.Eff.Hex(), st.Prm.Hex())
	}
	if l.Exe != capBB || l.FileCaps == nil {
		t.Fatalf("listener exe %q file caps %+v (%s)", l.Exe, l.FileCaps, l.ExeError)
	}
	fc, err := l.FileCaps.Caps()
	if err != nil || fc.Revision != 2 || fc.Permitted != nbs || !fc.Effective || fc.RootID != nil {
		t.Errorf("listener file caps %+v, %v; want revision 2, cap_net_bind_service=ep", fc, err)
	}
	ns := netns(doc, l.NetNS)
	if ns == nil || rs.NetNS == l.NetNS {
		t.Fatalf("listener's network namespace %d not reported apart from the host's", l.NetNS)
	}
	if ns.PortStart == nil || *ns.PortStart != 555 {
		t.Errorf("port start of the listener's namespace: %v (%s), want 555 (read by setns, not the host's)", ns.PortStart, ns.PortStartError)
	}
	found := false
	for _, sk := range ns.Sockets {
		if strings.HasPrefix(sk.Proto, "tcp") && sk.LocalPort == 81 && sk.Listening && sk.UID == 1025 && sk.Inode == l.Sockets[0] {
			found = true
		}
	}
	if !found {
		t.Errorf("listener's tcp socket on port 81 not among %+v (held %v)", ns.Sockets, l.Sockets)
	}
	if host := netns(doc, rs.NetNS); host == nil || host.PortStart == nil || len(host.Sockets) != 0 {
		t.Errorf("host namespace: %+v; want its port start and no socket (the root sleep holds none)", host)
	}

	// The v3 copy: the file's capabilities say rootid 100000, so uid 1026 in the initial user
	// namespace did not get them.
	p3 := find(doc, v3)
	if p3.FileCaps == nil || p3.FileCaps.Revision != 3 || p3.FileCaps.RootID == nil || *p3.FileCaps.RootID != 100000 {
		t.Errorf("v3 file caps: %+v (%s)", p3.FileCaps, p3.ExeError)
	}
	if st3, _ := p3.Status(); st3.Eff != 0 || st3.Prm != 0 {
		t.Errorf("uid 1026 running a v3 file for rootid 100000 holds %s/%s; the kernel should not apply it", st3.Prm.Hex(), st3.Eff.Hex())
	}
	if len(doc.Problems) != 0 {
		t.Errorf("problems: %q", doc.Problems)
	}
}

func TestReadNoTargetsDescribesNothing(t *testing.T) {
	id, _ := containerid.Parse(strings.Repeat("ab", 32))
	doc := Read(context.Background(), Options{IDs: []containerid.ID{id}})
	if len(doc.Containers) != 1 || len(doc.Containers[0].Processes) != 0 || len(doc.NetNamespaces) != 0 {
		t.Fatalf("an ID no process has: %+v", doc)
	}
	if doc.Scanned == 0 || doc.Others != doc.Scanned {
		t.Fatalf("scanned %d others %d: every process should be another's", doc.Scanned, doc.Others)
	}
}

func TestReadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	doc := Read(ctx, Options{})
	if !doc.Truncated || len(doc.Problems) != 1 || !strings.Contains(doc.Problems[0], "interrupted") {
		t.Fatalf("cancelled read: %+v", doc)
	}
}

// writableCgroup is a directory of a cgroup hierarchy below the test's own cgroup, so the test's
// processes stay accounted where the test runs: the v1 memory hierarchy, or the v2 root.
func writableCgroup(t *testing.T) string {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir string
		switch {
		case parts[1] == "memory":
			dir = "/sys/fs/cgroup/memory" + parts[2]
		case parts[0] == "0" && parts[1] == "" && fileExists("/sys/fs/cgroup/cgroup.controllers"):
			dir = "/sys/fs/cgroup" + parts[2]
		default:
			continue
		}
		probe := filepath.Join(dir, "kubectl-caps-probe-"+randomHex(t)[:8])
		if err := os.Mkdir(probe, 0o755); err == nil {
			os.Remove(probe)
			return dir
		}
	}
	t.Skip("no writable cgroup hierarchy (v1 memory or v2) below this process's cgroup")
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func start(t *testing.T, name string, args ...string) int {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

func run(t *testing.T, name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func copyFile(t *testing.T, from, to string) string {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return to
}

func mkdir(t *testing.T, d string) {
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func find(d *nodereading.Document, pid int) *nodereading.Process {
	for i := range d.Containers {
		for j := range d.Containers[i].Processes {
			if d.Containers[i].Processes[j].PID == pid {
				return &d.Containers[i].Processes[j]
			}
		}
	}
	return nil
}

func netns(d *nodereading.Document, ino uint64) *nodereading.NetNamespace {
	for i := range d.NetNamespaces {
		if d.NetNamespaces[i].Inode == ino {
			return &d.NetNamespaces[i]
		}
	}
	return nil
}

func pids(c nodereading.Container) []int {
	var out []int
	for _, p := range c.Processes {
		out = append(out, p.PID)
	}
	return sorted(out...)
}

func sorted(v ...int) []int {
	out := append([]int(nil), v...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
