package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden/sarif"
)

func TestHardenCheckSARIF(t *testing.T) {
	dir := t.TempDir()
	web := filepath.Join(dir, "web.yaml")
	done := filepath.Join(dir, "done.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	for p, s := range map[string]string{web: webDeployment, done: hardenedPod, bad: "kind: Pod\nspec: [\n"} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	decodeLog := func(stdout string) *sarif.Log {
		t.Helper()
		var l sarif.Log
		if err := json.Unmarshal([]byte(stdout), &l); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		return &l
	}
	for _, tt := range []struct {
		name    string
		args    []string
		code    int
		results int
		ok      bool
	}{
		{"not hardened", []string{"-f", web}, exitChanges, 2, true},
		{"hardened", []string{"-f", "done.yaml"}, 0, 0, true},
		{"a file that does not parse", []string{"-f", web, "-f", bad}, exitFailed, 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runHarden(t, "", append([]string{"--check", "-o", "sarif"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			l := decodeLog(stdout)
			run := l.Runs[0]
			if len(run.Results) != tt.results || run.Invocations[0].ExecutionSuccessful != tt.ok || *run.Invocations[0].ExitCode != tt.code {
				t.Errorf("%d results, successful %v, exit %d:\n%s", len(run.Results), run.Invocations[0].ExecutionSuccessful, *run.Invocations[0].ExitCode, stdout)
			}
			for _, r := range run.Results {
				if u := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; u != "web.yaml" {
					t.Errorf("artifact URI %q, want web.yaml (relative to the working directory)", u)
				}
			}
			if !tt.ok && (len(run.Invocations[0].ToolExecutionNotifications) != 1 ||
				run.Invocations[0].ToolExecutionNotifications[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "bad.yaml") {
				t.Errorf("the failed file should be a notification located at bad.yaml:\n%s", stdout)
			}
		})
	}
	if _, stderr, code := runHarden(t, "", "-o", "sarif", "-f", web); code != exitFailed || stderr == "" {
		t.Errorf("-o sarif without --check: exit %d\n%s", code, stderr)
	}
}
