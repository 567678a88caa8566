// Package version holds what `kubectl caps version` reports. The release build (Makefile and
// .goreleaser.yaml) stamps Version, Commit and Date with -ldflags -X; a plain `go install
// ...@vX.Y.Z` cannot, so Get falls back to what the Go toolchain recorded in the binary.
package version

import (
	"runtime"
	"runtime/debug"
)

// Stamped at link time: -X github.com/kubectl-caps/kubectl-caps/plugin/version.Version=v0.1.0 etc.
// They must stay plain string variables (not constants, not initialised from a function call),
// or the linker's -X silently does nothing.
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
	// AgentRepository is where the node agent image of this build is published (the release
	// pushes <repository>:<version tag>); `show --via node` runs AgentImage unless --agent-image
	// names another (a mirror in an air-gapped cluster).
	AgentRepository = "ghcr.io/kubectl-caps/kubectl-caps-agent"
)

// Info is the version report. The JSON/YAML field names are part of the CLI's contract.
type Info struct {
	Version   string `json:"version" yaml:"version"`
	Commit    string `json:"commit" yaml:"commit"`
	Date      string `json:"date" yaml:"date"`
	GoVersion string `json:"goVersion" yaml:"goVersion"`
	Platform  string `json:"platform" yaml:"platform"`
	// AgentImage is the node agent image `show --via node` uses by default.
	AgentImage string `json:"agentImage" yaml:"agentImage"`
}

// Get returns the version of the running binary.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	in := resolve(Info{
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}, bi)
	in.AgentImage = AgentImage(in.Version)
	return in
}

// AgentImage is the agent image reference for a plugin version: always a version tag, never
// "latest", so a kubelet with the default pull policy (IfNotPresent for a non-latest tag) runs an
// imported image without trying a registry, and a plugin never runs another version's agent.
func AgentImage(version string) string {
	return AgentRepository + ":" + ImageTag(version)
}

// ImageTag turns a version into a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}): git
// describe's "v0.1.0-3-gabc1234-dirty" is one already; semver build metadata ("+meta") and
// anything else becomes "-".
func ImageTag(version string) string {
	b := []byte(version)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	for len(b) > 0 && (b[0] == '.' || b[0] == '-') {
		b = b[1:]
	}
	if len(b) > 128 {
		b = b[:128]
	}
	if len(b) == 0 {
		return "dev"
	}
	return string(b)
}

// resolve fills the fields the linker did not stamp from the build info the Go toolchain embeds:
// the module version for `go install module@version`, and the VCS revision and time for a build
// from a git checkout. Stamped values always win.
func resolve(in Info, bi *debug.BuildInfo) Info {
	if bi == nil {
		return in
	}
	if in.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		in.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && in.Commit == "none" && s.Value != "":
			in.Commit = s.Value
		case s.Key == "vcs.time" && in.Date == "unknown" && s.Value != "":
			in.Date = s.Value
		}
	}
	return in
}
