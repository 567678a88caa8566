package traceagent

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
)

// The samples of package containerid: real /proc/PID/cgroup texts of this project's cluster and
// kernel, and hand-written ones of layouts no runtime here makes.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../containerid/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeyPath(t *testing.T) {
	const pod = "/kubepods/besteffort/pod97e422dd-494c-47c1-9009-fdd7011cc19f/15f98c7eb42a52285ce720cf8d09f0f308cca7a6fd503952ff007a22410daeee"
	for _, tc := range []struct {
		name    string
		text    string
		v1      bool
		want    string
		wantErr string
	}{
		{name: "cluster v1 memory line", text: string(sample(t, "containerd-cgroupfs-v1-cluster.txt")), v1: true, want: pod},
		{name: "cluster hybrid, read as v2", text: string(sample(t, "containerd-cgroupfs-v1-cluster.txt")), want: pod},
		{name: "systemd v2", text: string(sample(t, "containerd-systemd-v2.txt")), want: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod74c13223_5a00_11e9_b385_42010a80018d.slice/cri-containerd-4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970.scope"},
		{name: "memory among joined controllers", text: "4:cpu,memory:/a/b\n0::/x\n", v1: true, want: "/a/b"},
		{name: "memory.foo is not memory", text: "4:memoryx:/a\n", v1: true, wantErr: "no memory controller line"},
		{name: "v2 without a unified line", text: "4:memory:/a\n", wantErr: "no unified"},
		{name: "garbage", text: "not a cgroup\n::\n", v1: true, wantErr: "no memory"},
		{name: "namespace-relative path kept as is", text: "0::/../../kubepods/x\n", want: "/../../kubepods/x"},
	} {
		got, err := KeyPath([]byte(tc.text), tc.v1)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: got %q, %v; want error %q", tc.name, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestLocator(t *testing.T) {
	const hexA = "15f98c7eb42a52285ce720cf8d09f0f308cca7a6fd503952ff007a22410daeee"
	hexB := strings.Repeat("b", 64)
	ids := []containerid.ID{{Runtime: "containerd", Hex: hexA}, {Runtime: "containerd", Hex: hexB}, {Runtime: "containerd", Hex: hexA}}
	l := NewLocator(ids, true)
	l.Add(40, sample(t, "containerd-cgroupfs-v1-cluster.txt"))
	l.Add(12, sample(t, "containerd-cgroupfs-v1-cluster.txt")) // a second process, same cgroup
	l.Add(41, sample(t, "containerd-cgroupfs-v1-cluster-sandbox.txt"))
	l.Add(1, sample(t, "host-v1.txt"))
	// A process of A that made a sub-cgroup of its own: traced too.
	l.Add(50, []byte("4:memory:/kubepods/besteffort/pod97e422dd-494c-47c1-9009-fdd7011cc19f/"+hexA+"/worker\n"))
	// One that names two containers: attributed to neither, counted.
	l.Add(60, []byte("4:memory:/kubepods/x/"+hexA+"\n5:pids:/kubepods/x/"+hexB+"\n"))
	// B without a memory line (the program could not key it).
	l.Add(70, []byte("5:pids:/kubepods/x/"+hexB+"\n"))
	got := l.Found()
	wantA := Found{
		Paths: []string{
			"/kubepods/besteffort/pod97e422dd-494c-47c1-9009-fdd7011cc19f/" + hexA,
			"/kubepods/besteffort/pod97e422dd-494c-47c1-9009-fdd7011cc19f/" + hexA + "/worker",
		},
		Processes: 3, FirstPID: 12,
	}
	if !reflect.DeepEqual(got[0], wantA) {
		t.Errorf("A: %+v\nwant %+v", got[0], wantA)
	}
	if b := got[1]; b.Processes != 1 || len(b.Paths) != 0 || !strings.Contains(b.Problem, "pid 70: no memory controller line") {
		t.Errorf("B: %+v", b)
	}
	if !reflect.DeepEqual(got[2], Found{}) {
		t.Errorf("a repeated ID is found at its first position only: %+v", got[2])
	}
	if l.Conflicts != 1 {
		t.Errorf("conflicts %d, want 1", l.Conflicts)
	}
}

func TestLocatorBoundsCgroups(t *testing.T) {
	hex := strings.Repeat("c", 64)
	l := NewLocator([]containerid.ID{{Hex: hex}}, false)
	for i := 0; i < MaxCgroupsPerContainer+10; i++ {
		l.Add(100+i, []byte("0::/kubepods/"+hex+"/sub"+strings.Repeat("x", i)+"\n"))
	}
	f := l.Found()[0]
	if len(f.Paths) != MaxCgroupsPerContainer || !f.Truncated || f.Processes != MaxCgroupsPerContainer+10 {
		t.Errorf("paths %d truncated %v processes %d", len(f.Paths), f.Truncated, f.Processes)
	}
}
