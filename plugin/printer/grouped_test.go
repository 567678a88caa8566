package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// replicated is the real report with owners: most pods bare, default-root turned into the
// three replicas of Deployment web (one of them holding a process that dropped NET_RAW from its
// bounding set, as capsh --drop does), and dropall-1025 into two agreeing replicas of
// StatefulSet db.
func replicated(t *testing.T) *report.Report {
	t.Helper()
	r := loadReport(t)
	var out []report.Container
	for _, c := range r.Containers {
		switch c.Pod {
		case "default-root":
			for i := 0; i < 3; i++ {
				cp := clone(t, c)
				cp.Pod = fmt.Sprintf("web-5d8f9c7b6-%c", 'a'+i)
				cp.Owner = &report.Owner{Kind: "Deployment", Name: "web", APIVersion: "apps/v1", Via: "ReplicaSet/web-5d8f9c7b6"}
				if i == 2 {
					p := cp.Processes[0]
					p.PID, p.Name = 37, "sleep"
					p.Sets.Bounding = report.Caps{Mask: "00000000a80405fb"} // runtime default -NET_RAW
					cp.Processes = append(cp.Processes, p)
					cp.Findings = append(cp.Findings, report.Finding{ID: "live-differs-from-spec", Message: "pid 37 (sleep): bounding dropped -NET_RAW"})
				}
				out = append(out, cp)
			}
		case "dropall-1025":
			for i := 0; i < 2; i++ {
				cp := clone(t, c)
				cp.Pod = fmt.Sprintf("db-%d", i)
				cp.Owner = &report.Owner{Kind: "StatefulSet", Name: "db", APIVersion: "apps/v1"}
				out = append(out, cp)
			}
		default:
			c.Owner = &report.Owner{Kind: "Pod", Name: c.Pod, APIVersion: "v1"}
			out = append(out, c)
		}
	}
	r.Containers = out
	return r
}

func clone(t *testing.T, c report.Container) report.Container {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var out report.Container
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGroupedTables(t *testing.T) {
	r := replicated(t)
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"grouped.golden", Options{ByWorkload: true, WithNamespace: true}},
		{"grouped-wide.golden", Options{ByWorkload: true, Wide: true}},
		{"grouped-explain.golden", Options{ByWorkload: true, Explain: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Table(&buf, r, tt.opts); err != nil {
				t.Fatal(err)
			}
			if bytes.ContainsAny(buf.Bytes(), "\x1b\x07\r\x08") {
				t.Errorf("terminal control characters reached the table")
			}
			golden(t, tt.name, buf.Bytes())
		})
	}
}
