package printer

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// loadReport reads testdata/report.json: a real `kubectl caps show -n lead-seed -o json` from the
// local cluster (../shared/cluster), covering defaults, uid 1025, privileged, drop ALL, added
// SYS_TIME, CAP_-prefixed names, seccomp and a shared-PID pod with an ambient capability. One
// process name is replaced by a hostile one so every golden also proves sanitizing.
func loadReport(t *testing.T) *report.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	for i := range r.Containers {
		if r.Containers[i].Pod == "shared" && r.Containers[i].Container == "web" {
			r.Containers[i].Processes[1].Name = "evil\x1b]0;pwned\x07\x1b[31mred\r\x08"
		}
	}
	return &r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestTables(t *testing.T) {
	r := loadReport(t)
	tests := []struct {
		name string
		opts Options
	}{
		{"table.golden", Options{}},
		{"table-namespace.golden", Options{WithNamespace: true}},
		{"wide.golden", Options{Wide: true}},
		{"procs.golden", Options{Procs: true}},
		{"explain.golden", Options{Explain: true}},
	}
	for _, tt := range tests {
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

func TestJSONAndYAML(t *testing.T) {
	r := loadReport(t)
	var j, y bytes.Buffer
	if err := JSON(&j, r); err != nil {
		t.Fatal(err)
	}
	if err := YAML(&y, r); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(j.Bytes(), "\x1b\x07") || bytes.ContainsAny(y.Bytes(), "\x1b\x07") {
		t.Errorf("control characters must be escaped in JSON/YAML, not written raw")
	}
	if !strings.Contains(j.String(), `\u001b]0;pwned`) {
		t.Errorf("JSON should keep the hostile name, escaped")
	}
	var back report.Report
	if err := json.Unmarshal(j.Bytes(), &back); err != nil || back.APIVersion != report.APIVersion || len(back.Containers) != len(r.Containers) {
		t.Errorf("JSON does not round-trip: %v", err)
	}
	golden(t, "report.yaml.golden", y.Bytes())
}

func TestDeclaredSummary(t *testing.T) {
	tests := []struct {
		d    report.Declared
		want string
	}{
		{report.Declared{}, "default"},
		{report.Declared{Privileged: true, Add: []string{"X"}}, "privileged"},
		{report.Declared{Drop: []string{"all"}, Add: []string{"SYS_TIME"}}, "drop ALL +SYS_TIME"},
		{report.Declared{Drop: []string{"NET_RAW"}}, "-NET_RAW"},
	}
	for _, tt := range tests {
		if got := DeclaredSummary(tt.d); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.d, got, tt.want)
		}
	}
}
