package cmd

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-caps/kubectl-caps/plugin/version"
)

func TestVersionCommand(t *testing.T) {
	// What the linker stamps in a release build.
	defer func(v, c, d string) { version.Version, version.Commit, version.Date = v, c, d }(version.Version, version.Commit, version.Date)
	version.Version, version.Commit, version.Date = "v1.2.3", "abc1234", "2026-11-29T04:40:00Z"
	want := version.Info{Version: "v1.2.3", Commit: "abc1234", Date: "2026-11-29T04:40:00Z", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		AgentImage: "ghcr.io/kubectl-caps/kubectl-caps-agent:v1.2.3"}

	run := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		streams, _, out, _ := genericiooptions.NewTestIOStreams()
		root := NewCmdCaps(streams)
		root.SetArgs(append([]string{"version"}, args...))
		err := root.Execute()
		return out.String(), err
	}

	t.Run("plain", func(t *testing.T) {
		out, err := run(t)
		if err != nil {
			t.Fatal(err)
		}
		if got, w := out, "kubectl caps v1.2.3 (commit abc1234, built 2026-11-29T04:40:00Z)\nagent image: ghcr.io/kubectl-caps/kubectl-caps-agent:v1.2.3\n"; got != w {
			t.Errorf("got %q, want %q", got, w)
		}
	})
	t.Run("json", func(t *testing.T) {
		out, err := run(t, "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var got version.Info
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		if got != want {
			t.Errorf("-o json = %+v, want %+v", got, want)
		}
		if !strings.Contains(out, `"goVersion": "`) {
			t.Errorf("-o json lacks the goVersion key: %s", out)
		}
	})
	t.Run("yaml", func(t *testing.T) {
		out, err := run(t, "--output=yaml")
		if err != nil {
			t.Fatal(err)
		}
		var got version.Info
		if err := yaml.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("-o yaml = %+v, want %+v", got, want)
		}
	})
	t.Run("unknown output", func(t *testing.T) {
		_, err := run(t, "-o", "table")
		if err == nil || !strings.Contains(err.Error(), `unknown --output "table"`) {
			t.Errorf("err = %v, want unknown --output", err)
		}
	})
	t.Run("no arguments", func(t *testing.T) {
		if _, err := run(t, "extra"); err == nil {
			t.Error("version extra: want an error")
		}
	})
}
