package nodereading

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/filecap"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

const statusText = "Name:\tnc\nPid:\t42\nPPid:\t1\nUid:\t1025\t1025\t1025\t1025\nGid:\t1025\t1025\t1025\t1025\n" +
	"CapInh:\t0000000000000000\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\nCapBnd:\t00000000a80425fb\n" +
	"CapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n"

func TestStatusRoundTrip(t *testing.T) {
	want, err := reading.ParseStatus([]byte(statusText))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(FromStatus(want))
	if err != nil {
		t.Fatal(err)
	}
	var p Process
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	got, err := p.Status()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// An old kernel's status has no CapAmb, NoNewPrivs or Seccomp: absent, not zero.
	old, _ := reading.ParseStatus([]byte("Name:\tx\nPid:\t7\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"))
	op := FromStatus(old)
	if op.CapAmb != "" || op.NoNewPrivs != nil || op.Seccomp != nil {
		t.Fatalf("absent fields written: %+v", op)
	}
	back, err := op.Status()
	if err != nil || back.HasAmb || back.HasNoNewPrivs || back.Seccomp != -1 {
		t.Fatalf("absent fields read back: %+v, %v", back, err)
	}
}

func TestStatusRejects(t *testing.T) {
	good := FromStatus(must(reading.ParseStatus([]byte(statusText))))
	for name, mut := range map[string]func(*Process){
		"short mask":       func(p *Process) { p.CapEff = "400" },
		"wide mask":        func(p *Process) { p.CapEff = "10000000000000400" },
		"not hex":          func(p *Process) { p.CapBnd = "zzzzzzzzzzzzzzzz" },
		"pid 0":            func(p *Process) { p.PID = 0 },
		"pid too large":    func(p *Process) { p.PID = 5 << 20 },
		"uid out of range": func(p *Process) { p.UID[1] = 1 << 33 },
		"seccomp mode":     func(p *Process) { s := 300; p.Seccomp = &s },
		"long name":        func(p *Process) { p.Name = strings.Repeat("x", MaxTextLen+1) },
	} {
		p := good
		mut(&p)
		if _, err := p.Status(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFileCapsRoundTrip(t *testing.T) {
	root := uint32(100000)
	for _, c := range []filecap.Caps{
		{Revision: 2, Permitted: capset.Of(10), Effective: true},
		{Revision: 3, Permitted: capset.Of(10), Inheritable: capset.Of(13), RootID: &root},
	} {
		got, err := FromFileCaps(c).Caps()
		if err != nil || got.Text() != c.Text() {
			t.Errorf("%s: got %s, %v", c.Text(), got.Text(), err)
		}
	}
	for _, f := range []FileCaps{
		{Revision: 4, Permitted: "0000000000000000", Inheritable: "0000000000000000"},
		{Revision: 2, Permitted: "0000000000000000", Inheritable: "0000000000000000", RootID: &root},
		{Revision: 3, Permitted: "0000000000000000", Inheritable: "0000000000000000"},
		{Revision: 2, Permitted: "x", Inheritable: "0000000000000000"},
	} {
		if _, err := f.Caps(); err == nil {
			t.Errorf("accepted %+v", f)
		}
	}
}

func TestDecode(t *testing.T) {
	port := 0
	doc := Document{
		APIVersion: APIVersion, Kind: Kind, Node: "n1",
		Containers: []Container{{ID: "containerd://" + strings.Repeat("a", 64), Processes: []Process{FromStatus(must(reading.ParseStatus([]byte(statusText))))}}},
		NetNamespaces: []NetNamespace{{Inode: 4026532000, PortStart: &port,
			Sockets: []Socket{{Proto: "tcp", LocalPort: 80, Listening: true, UID: 1025, Inode: 9}}}},
		Scanned: 100, Others: 99,
	}
	b, _ := json.Marshal(doc)
	got, err := Decode(append(append([]byte("\n"), b...), '\n'))
	if err != nil {
		t.Fatal(err)
	}
	if got.Node != "n1" || len(got.Containers[0].Processes) != 1 || *got.NetNamespaces[0].PortStart != 0 {
		t.Fatalf("decoded %+v", got)
	}
	if sk, err := got.NetNamespaces[0].Sockets[0].Reading(); err != nil || sk.LocalPort != 80 || !sk.Listening {
		t.Fatalf("socket %+v, %v", sk, err)
	}

	for name, tc := range map[string]struct {
		data    string
		notDoc  bool
		errText string
	}{
		"empty":             {"", true, "does not start"},
		"a shell's answer":  {"@@kubectl-caps 1\n", true, "does not start"},
		"another kind":      {`{"apiVersion":"caps.kubectl.io/v1alpha1","kind":"CapabilityReport"}`, true, "CapabilityReport"},
		"another version":   {`{"apiVersion":"caps.kubectl.io/v2","kind":"NodeReading"}`, true, "v2"},
		"truncated":         {string(b[:len(b)/2]), true, ""},
		"two documents":     {string(b) + string(b), true, ""},
		"too large":         {"{" + strings.Repeat(" ", MaxBytes) + "}", false, "more than"},
		"wrong field types": {`{"apiVersion":"caps.kubectl.io/v1alpha1","kind":"NodeReading","containers":"x"}`, false, "does not decode"},
		"too many problems": {`{"apiVersion":"caps.kubectl.io/v1alpha1","kind":"NodeReading","problems":[` + strings.Repeat(`"x",`, MaxProblems) + `"x"]}`, false, "problems"},
		"port start":        {`{"apiVersion":"caps.kubectl.io/v1alpha1","kind":"NodeReading","netNamespaces":[{"inode":1,"portStart":70000}]}`, false, "portStart"},
	} {
		_, err := Decode([]byte(tc.data))
		if err == nil || errors.Is(err, ErrNotReading) != tc.notDoc || !strings.Contains(err.Error(), tc.errText) {
			t.Errorf("%s: %v (not a reading: %v)", name, err, errors.Is(err, ErrNotReading))
		}
	}
}

func TestDecodeBoundsProcesses(t *testing.T) {
	p := FromStatus(must(reading.ParseStatus([]byte(statusText))))
	c := Container{ID: "x"}
	for i := 0; i <= MaxProcesses; i++ {
		c.Processes = append(c.Processes, p)
	}
	b, _ := json.Marshal(Document{APIVersion: APIVersion, Kind: Kind, Containers: []Container{c}})
	if _, err := Decode(b); err == nil || !strings.Contains(err.Error(), "processes") {
		t.Fatalf("%d processes: %v", MaxProcesses+1, err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := json.Marshal(Document{APIVersion: APIVersion, Kind: Kind, Containers: []Container{{ID: "x", Processes: []Process{FromStatus(must(reading.ParseStatus([]byte(statusText))))}}}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data)
		if err != nil {
			return
		}
		for _, c := range d.Containers {
			for _, p := range c.Processes {
				p.Status()
				if p.FileCaps != nil {
					p.FileCaps.Caps()
				}
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
