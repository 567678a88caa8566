package group

import (
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

func replica(pod string, procs ...report.Process) report.Container {
	c := report.Container{
		Namespace: "shop", Pod: pod, Container: "c", State: "running", Method: "proc",
		Owner:    &report.Owner{Kind: "Deployment", Name: "web"},
		Findings: []report.Finding{{ID: "escalation-possible", Message: "pid-specific text for " + pod}},
	}
	c.Processes = procs
	if len(procs) > 0 {
		c.Live = &procs[0]
	}
	return c
}

func proc(pid int, name, bnd string) report.Process {
	return report.Process{PID: pid, Name: name, Sets: report.Sets{Bounding: report.Caps{Mask: bnd}, Effective: report.Caps{Mask: bnd}}}
}

const def, noRaw = "00000000a80425fb", "00000000a80405fb"

func TestByWorkload(t *testing.T) {
	tests := []struct {
		name     string
		rows     []report.Container
		variants []int // sizes
		differs  string
	}{
		{"three agreeing replicas (PIDs, names and messages differ)", []report.Container{
			replica("web-a", proc(1, "httpd", def)), replica("web-b", proc(7, "nginx", def)), replica("web-c", proc(1, "httpd", def), proc(9, "httpd", def)),
		}, []int{3}, ""},
		{"one replica with a process that dropped NET_RAW", []report.Container{
			replica("web-a", proc(1, "sh", def)), replica("web-b", proc(1, "sh", def), proc(40, "sleep", noRaw)), replica("web-c", proc(1, "sh", def)),
		}, []int{2, 1}, "pid 40 (sleep) uid 0: effective runtime default -NET_RAW, bounding runtime default -NET_RAW"},
		{"one replica not running", []report.Container{
			replica("web-a", proc(1, "sh", def)), {Namespace: "shop", Pod: "web-b", Container: "c", State: "waiting: CrashLoopBackOff", Skipped: "not running (CrashLoopBackOff)", Owner: &report.Owner{Kind: "Deployment", Name: "web"}},
		}, []int{1, 1}, "not read: not running (CrashLoopBackOff)"},
		{"replicas that could not be read for reasons naming each pod agree", []report.Container{
			{Namespace: "shop", Pod: "web-a", Container: "c", State: "running", Error: "exec web-a: refused", Owner: &report.Owner{Kind: "Deployment", Name: "web"}},
			{Namespace: "shop", Pod: "web-b", Container: "c", State: "running", Error: "exec web-b: refused", Owner: &report.Owner{Kind: "Deployment", Name: "web"}},
		}, []int{2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := ByWorkload(tt.rows)
			if len(gs) != 1 {
				t.Fatalf("%d groups, want 1", len(gs))
			}
			g := gs[0]
			var sizes []int
			for _, v := range g.Variants {
				sizes = append(sizes, len(v.Rows))
			}
			if len(sizes) != len(tt.variants) || sizes[0] != tt.variants[0] {
				t.Fatalf("variants %v, want %v", sizes, tt.variants)
			}
			if g.Agree() != (len(tt.variants) == 1) {
				t.Errorf("Agree = %v", g.Agree())
			}
			if tt.differs != "" && !strings.Contains(strings.Join(g.Variants[1].Differs, "; "), tt.differs) {
				t.Errorf("differs %q, want it to contain %q", g.Variants[1].Differs, tt.differs)
			}
		})
	}
}

func TestGroupsAreWorkloadsAndContainers(t *testing.T) {
	a := replica("web-a")
	b := replica("web-b")
	side := replica("web-a")
	side.Container = "side"
	bare := replica("db")
	bare.Owner = &report.Owner{Kind: "Pod", Name: "db"}
	other := replica("web-x")
	other.Namespace = "ops"
	unknown1, unknown2 := replica("u1"), replica("u2")
	unknown1.Owner, unknown2.Owner = nil, nil
	gs := ByWorkload([]report.Container{a, side, b, bare, other, unknown1, unknown2})
	var got []string
	for _, g := range gs {
		got = append(got, g.Namespace+" "+g.Workload()+" "+g.Container+" "+string(rune('0'+len(g.Rows))))
	}
	want := "ops deployment/web c 1|shop - c 1|shop - c 1|shop deployment/web c 2|shop deployment/web side 1|shop pod/db c 1"
	if strings.Join(got, "|") != want {
		t.Errorf("groups\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
