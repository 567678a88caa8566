package containerid

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const (
	idA = "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"
	idB = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    ID
		wantErr string
	}{
		{in: "containerd://" + idA, want: ID{"containerd", idA}},
		{in: "cri-o://" + idA, want: ID{"cri-o", idA}},
		{in: "docker://" + idA, want: ID{"docker", idA}},
		{in: idA, want: ID{"", idA}},
		{in: "", wantErr: "want 64 lowercase hex"},
		{in: "containerd://", wantErr: "want 64 lowercase hex"},
		{in: "containerd://" + strings.ToUpper(idA), wantErr: "want 64 lowercase hex"},
		{in: "containerd://" + idA[:63], wantErr: "want 64 lowercase hex"},
		{in: "containerd://" + idA + "0", wantErr: "want 64 lowercase hex"},
		{in: "containerd://" + idA[:63] + "g", wantErr: "want 64 lowercase hex"},
		{in: "containerd://" + idA + "\n--privileged", wantErr: "want 64 lowercase hex"},
		{in: "rkt://" + idA, wantErr: "unknown runtime"},
		{in: "containerd:/" + idA, wantErr: "want 64 lowercase hex"},
		{in: "-" + idA[1:], wantErr: "want 64 lowercase hex"},
		{in: "containerd://../../" + idA[6:], wantErr: "want 64 lowercase hex"},
	} {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("Parse(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestFromCgroup(t *testing.T) {
	for _, tc := range []struct {
		name, file string // file: a sample under testdata/
		text       string // or inline text
		want       string
		wantErr    error
		errText    string
	}{
		// Real samples (see testdata/README.md for where each comes from).
		{name: "containerd cgroupfs v1 on this project's e2e cluster", file: "containerd-cgroupfs-v1-cluster.txt", want: "15f98c7eb42a52285ce720cf8d09f0f308cca7a6fd503952ff007a22410daeee"},
		{name: "the same pod's sandbox (pause)", file: "containerd-cgroupfs-v1-cluster-sandbox.txt", want: "767b8a2449a81f86f1e12647b11d6b7520ff1b5d369ba224c7ab353a493983b6"},
		{name: "kernel's v1 text, containerd cgroupfs layout, two hierarchies", file: "kernel-v1-container.txt", want: "5d2bd2fd10b44c8bb4f1fcb16fd5e9ff8c3d55b8d7c9e1f3b21c5a0a9be1f4b3"},
		{name: "pod sandbox is just another container", file: "kernel-v1-sandbox.txt", want: "c0b1d7f4d1ae2f1a4fa93b9b7fdb2b6ad3fd92f3b0f7e2c8f4b0a6b0e9a1c2d3"},
		{name: "containerd systemd driver v2", file: "containerd-systemd-v2.txt", want: idA},
		{name: "cri-o systemd v1", file: "crio-systemd-v1.txt", want: idB},
		{name: "docker systemd v1 (not Kubernetes)", file: "docker-systemd-v1.txt", want: idB},
		{name: "docker cgroupfs v1", file: "docker-cgroupfs-v1.txt", want: idA},
		{name: "host process, hybrid v1", file: "host-v1.txt", want: ""},

		{name: "v1 burstable", text: "4:memory:/kubepods/burstable/pod1b5e1a9c-1c7d-4bd8-9f6a-1f9b1f1e1e1e/" + idA + "\n", want: idA},
		{name: "v1 guaranteed (no QoS dir)", text: "4:memory:/kubepods/pod1b5e1a9c-1c7d-4bd8-9f6a-1f9b1f1e1e1e/" + idA + "\n", want: idA},
		{name: "v2 cgroupfs", text: "0::/kubepods/besteffort/pod1b5e1a9c-1c7d-4bd8-9f6a-1f9b1f1e1e1e/" + idA + "\n", want: idA},
		{name: "v2 seen from another cgroup namespace", text: "0::/../../kubepods-besteffort-pod1b5e1a9c_1c7d_4bd8_9f6a_1f9b1f1e1e1e.slice/cri-containerd-" + idA + ".scope\n", want: idA},
		{name: "crio cgroupfs", text: "0::/kubepods/besteffort/pod1b5e1a9c-1c7d-4bd8-9f6a-1f9b1f1e1e1e/crio-" + idB + "\n", want: idB},
		{name: "crio conmon is not the container", text: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b5e1a9c_1c7d.slice/crio-conmon-" + idB + ".scope\n", want: ""},
		{name: "nested cgroup below the container: the outer one wins", text: "0::/kubepods/besteffort/pod1b5e1a9c-1c7d/" + idA + "/docker/" + idB + "\n", want: idA},
		{name: "init.scope below a systemd scope", text: "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + idA + ".scope/init.scope\n", want: idA},
		{name: "lines without container ignored", text: "1:name=systemd:/system.slice/containerd.service\n4:memory:/kubepods/besteffort/pod1/" + idA + "\n0::/\n", want: idA},
		{name: "same container twice", text: "4:memory:/kubepods/pod1/" + idA + "\n3:cpu:/kubepods/pod1/" + idA + "\n", want: idA},
		{name: "v1 controllers joined, colon in a cgroup name", text: "2:cpu,cpuacct:/kubepods/pod1/" + idA + "\n9:name=systemd:/weird:name\n", want: idA},
		{name: "a component that is 64 upper-case hex is not an ID", text: "0::/kubepods/pod1/" + strings.ToUpper(idA) + "\n", want: ""},
		{name: "63 hex digits", text: "0::/kubepods/pod1/" + idA[:63] + "\n", want: ""},
		{name: "65 hex digits", text: "0::/kubepods/pod1/" + idA + "a\n", want: ""},
		{name: "prefix without id", text: "0::/kubepods/pod1/cri-containerd-.scope\n", want: ""},
		{name: "other prefix", text: "0::/machine.slice/libpod-" + idA + ".scope\n", want: ""},
		{name: "empty", text: "", want: ""},
		{name: "CRLF is malformed", text: "0::/kubepods/pod1/" + idA + "\r\n", want: ""},

		{name: "two containers", text: "4:memory:/kubepods/pod1/" + idA + "\n3:cpu:/kubepods/pod1/" + idB + "\n", wantErr: ErrConflict},
		{name: "no colons", text: "garbage\n", errText: "is not hierarchy:controllers:/path"},
		{name: "relative path", text: "0::kubepods/" + idA + "\n", errText: "is not hierarchy:controllers:/path"},
		{name: "too large", text: strings.Repeat("0::/\n", MaxCgroupBytes/5+1), errText: "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.text)
			if tc.file != "" {
				var err error
				if data, err = os.ReadFile("testdata/" + tc.file); err != nil {
					t.Fatal(err)
				}
			}
			got, err := FromCgroup(data)
			switch {
			case tc.wantErr != nil || tc.errText != "":
				if err == nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("FromCgroup = %q, %v; want error %v %q", got, err, tc.wantErr, tc.errText)
				}
			case err != nil:
				t.Fatalf("FromCgroup: %v", err)
			case got != tc.want:
				t.Fatalf("FromCgroup = %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzFromCgroup(f *testing.F) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		if b, err := os.ReadFile("testdata/" + e.Name()); err == nil && strings.HasSuffix(e.Name(), ".txt") {
			f.Add(b)
		}
	}
	f.Add([]byte("0::/kubepods/pod1/crio-" + idA + ".scope\n1:x:/" + idB))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := FromCgroup(data)
		if err == nil && id != "" {
			if !IsHex(id) || !strings.Contains(string(data), id) {
				t.Fatalf("FromCgroup returned %q, not an ID from the input", id)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add("containerd://" + idA)
	f.Add("cri-o://" + idB)
	f.Add(idA)
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			return
		}
		if !IsHex(id.Hex) || id.String() != s {
			t.Fatalf("Parse(%q) = %+v", s, id)
		}
	})
}
