package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	unstamped := Info{Version: "dev", Commit: "none", Date: "unknown", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	stamped := Info{Version: "v0.2.0", Commit: "abc1234", Date: "2026-01-02T03:04:05Z", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	goInstall := &debug.BuildInfo{Main: debug.Module{Path: "github.com/kubectl-caps/kubectl-caps", Version: "v0.1.0"}}
	checkout := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/kubectl-caps/kubectl-caps", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-11-29T04:40:00Z"},
		},
	}

	tests := []struct {
		name string
		in   Info
		bi   *debug.BuildInfo
		want Info
	}{
		{name: "no build info keeps defaults", in: unstamped, bi: nil, want: unstamped},
		{
			name: "go install module@version reports the module version",
			in:   unstamped, bi: goInstall,
			want: Info{Version: "v0.1.0", Commit: "none", Date: "unknown", GoVersion: "go1.26.8", Platform: "linux/amd64"},
		},
		{
			name: "build from a checkout reports the vcs revision and time",
			in:   unstamped, bi: checkout,
			want: Info{Version: "dev", Commit: "0123456789abcdef", Date: "2026-11-29T04:40:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"},
		},
		{name: "ldflags stamps win over build info", in: stamped, bi: checkout, want: stamped},
		{name: "ldflags stamps win over module version", in: stamped, bi: goInstall, want: stamped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolve(tt.in, tt.bi); got != tt.want {
				t.Errorf("resolve() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestImageTag(t *testing.T) {
	for in, want := range map[string]string{
		"v0.1.0":                  "v0.1.0",
		"v0.1.0-3-gabc1234-dirty": "v0.1.0-3-gabc1234-dirty",
		"abc1234":                 "abc1234",
		"dev":                     "dev",
		"v0.1.1-snapshot.gabc123": "v0.1.1-snapshot.gabc123",
		"v1.0.0+build.5":          "v1.0.0-build.5",
		"(devel)":                 "devel-",
		"":                        "dev",
		"..":                      "dev",
		"v1/../x y":               "v1-..-x-y",
		string(make([]byte, 300)): "dev",
	} {
		if got := ImageTag(in); got != want {
			t.Errorf("ImageTag(%q) = %q, want %q", in, got, want)
		}
	}
	long := ImageTag("v" + string(make([]byte, 200)))
	if len(long) != 128 {
		t.Errorf("long tag has %d bytes", len(long))
	}
	if got := AgentImage("v0.2.0"); got != "ghcr.io/kubectl-caps/kubectl-caps-agent:v0.2.0" {
		t.Errorf("AgentImage = %q", got)
	}
}
