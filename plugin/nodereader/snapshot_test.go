package nodereader

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/filecap"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

func id(t *testing.T, s string) containerid.ID {
	t.Helper()
	v, err := containerid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func proc(t *testing.T, pid int, netns uint64, sockets ...uint64) nodereading.Process {
	t.Helper()
	st, err := reading.ParseStatus([]byte("Name:\tp\nPid:\t" + strconv.Itoa(pid) + "\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := nodereading.FromStatus(st)
	p.NetNS, p.Sockets = netns, sockets
	return p
}

func TestSnapshots(t *testing.T) {
	a, b, gone := "containerd://"+strings.Repeat("a", 64), "cri-o://"+strings.Repeat("b", 64), strings.Repeat("c", 64)
	zero := 0
	pa := proc(t, 120, 7, 900)
	pa.Exe = "/bin/srv"
	pa.FileCaps = nodereading.FromFileCaps(filecap.Caps{Revision: 2, Permitted: 1 << 10, Effective: true})
	pa2 := proc(t, 130, 7)
	pa2.ExeError = "permission denied"
	doc := &nodereading.Document{
		Containers: []nodereading.Container{
			{ID: a, Processes: []nodereading.Process{pa2, pa}},
			{ID: b, Processes: []nodereading.Process{proc(t, 200, 8)}},
			{ID: gone, Processes: []nodereading.Process{}},
		},
		NetNamespaces: []nodereading.NetNamespace{
			{Inode: 7, PortStart: &zero, Sockets: []nodereading.Socket{{Proto: "tcp", LocalPort: 80, Listening: true, Inode: 900}}},
			{Inode: 8, PortStartError: "unknown: needs CAP_SYS_ADMIN"},
		},
	}
	// b asked without its runtime prefix, a missing ID: matched by hex, nil.
	snaps := Snapshots(doc, []containerid.ID{id(t, a), id(t, strings.Repeat("b", 64)), id(t, gone), id(t, strings.Repeat("d", 64))})
	sa := snaps[0]
	if sa.Method != Method || sa.Scope != "cgroup" || len(sa.Procs) != 2 || sa.Main().PID != 120 {
		t.Fatalf("a: %+v", sa)
	}
	if *sa.PortStart != 0 || len(sa.Sockets) != 1 || sa.Sockets[0].LocalPort != 80 || len(sa.SocketInodes[120]) != 1 {
		t.Errorf("a: port start, sockets: %+v", sa)
	}
	var main reading.Process
	for _, p := range sa.Procs {
		if p.PID == 120 {
			main = p
		}
	}
	if !main.ExeRead || main.Exe != "/bin/srv" || main.FileCaps == nil || main.FileCaps.Text() != "cap_net_bind_service=ep" {
		t.Errorf("a main exe: %+v", main)
	}
	if !strings.Contains(strings.Join(sa.Problems, "|"), "pid 130: executable: permission denied") {
		t.Errorf("a problems: %q", sa.Problems)
	}
	sb := snaps[1]
	if sb == nil || sb.PortStart != nil || !strings.Contains(strings.Join(sb.Problems, "|"), "CAP_SYS_ADMIN") {
		t.Errorf("b: %+v", sb)
	}
	if snaps[2] == nil || len(snaps[2].Procs) != 0 || snaps[3] != nil {
		t.Errorf("exited / unknown: %+v %+v", snaps[2], snaps[3])
	}
}

func TestArgsSplitIDs(t *testing.T) {
	var ids []containerid.ID
	for i := 0; i < 250; i++ {
		ids = append(ids, containerid.ID{Runtime: "containerd", Hex: fmt.Sprintf("%064x", i)})
	}
	args := Args("n1", ids)
	if strings.Join(args[:4], " ") != "agent read --node n1" || len(args) != 4+2*3 {
		t.Fatalf("args: %d %v", len(args), args[:4])
	}
	for i := 4; i < len(args); i += 2 {
		if args[i] != "--container-id" || len(args[i+1]) > 128<<10 {
			t.Fatalf("arg %d: %q (%d bytes)", i, args[i], len(args[i+1]))
		}
	}
}
